from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "handover.meetings"
    label = "meetings"
    verbose_name = "Transfer meetings"
