from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "handover.audit"
    label = "audit"
    verbose_name = "Audit trail"
