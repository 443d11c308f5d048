from django.apps import AppConfig


class ChildrenConfig(AppConfig):
    name = "handover.children"
    label = "children"
    verbose_name = "Children's records"
