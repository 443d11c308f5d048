from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "handover.privacy"
    verbose_name = "Data protection"
