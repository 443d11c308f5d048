from django.apps import AppConfig


class SweepConfig(AppConfig):
    name = "handover.sweep"
    label = "sweep"
    verbose_name = "The sweep"
