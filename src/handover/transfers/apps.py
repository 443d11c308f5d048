from django.apps import AppConfig


class TransfersConfig(AppConfig):
    name = "handover.transfers"
    label = "transfers"
    verbose_name = "Transfers"
