from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "handover.documents"
    label = "documents"
    verbose_name = "Documents: meeting papers, transfer summaries and letters"
