from django.apps import AppConfig


class OrganisationConfig(AppConfig):
    name = "handover.organisation"
    label = "organisation"
    verbose_name = "Organisation"
