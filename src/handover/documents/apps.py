from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "handover.documents"
    label = "documents"
    verbose_name = "Documents: meeting papers, transfer summaries and letters"

    def ready(self) -> None:
        # The transfers app may not import documents: it announces its actions, and the Case Transfer Summary
        # on file records the handover meeting and the day the case moved when they happen after authorisation.
        from handover.documents.transfer_summary import on_transfer_acted
        from handover.transfers.signals import transfer_acted

        transfer_acted.connect(on_transfer_acted, dispatch_uid="documents_summary_after_authorisation")
