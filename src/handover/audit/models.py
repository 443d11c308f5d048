"""The audit trail: every read of a child's record and every write, with who, when, before and after.

Rows are written by `handover.audit.services.audit_record` in the same transaction as the change they record,
and sealed into their authority's hash chain as soon as it commits (`handover.audit.chain`; docs/security.md).
Rows are never changed or removed: on PostgreSQL a trigger refuses it, but for sealing a row once and erasing its
payload once with the child's record (keeping the payload's digest, which the seal covers).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Verb(models.TextChoices):
    CHILD_VIEWED = "child_viewed", "Viewed a child's record"
    CHILD_LISTED = "child_listed", "Listed children"
    CHILD_CREATED = "child_created", "Created a child's record"
    CHILD_CHANGED = "child_changed", "Changed a child's record"
    CHILD_CLOSED = "child_closed", "Closed a child's record"
    ALLOCATION_STARTED = "allocation_started", "Started an allocation"
    ALLOCATION_ENDED = "allocation_ended", "Ended an allocation"
    TRANSFER_PROPOSED = "transfer_proposed", "Proposed a transfer"
    TRANSFER_ACTION = "transfer_action", "Took a transfer action"
    TRANSFER_SIGNED_OFF = "transfer_signed_off", "Signed off a transfer"
    TRANSFER_VIEWED = "transfer_viewed", "Viewed a transfer"
    REMEDIAL_ACTION = "remedial_action", "Recorded a remedial action"
    CASE_REQUESTED = "case_requested", "Asked for a case"
    BULK_TRANSFER = "bulk_transfer", "Ran a bulk transfer"
    IMPORT = "import", "Imported records"
    DOCUMENT_WRITTEN = "document_written", "Wrote a document"
    DOCUMENT_READ = "document_read", "Read or downloaded a document"
    STAFF_CHANGED = "staff_changed", "Changed a member of staff's record"
    PROTOCOL_PUBLISHED = "protocol_published", "Published a protocol version"
    PROTOCOL_MIGRATED = "protocol_migrated", "Moved a transfer to another protocol version"
    MEETING_SCHEDULED = "meeting_scheduled", "Scheduled a meeting sitting"
    SHEET_COMPILED = "sheet_compiled", "Compiled an early warning sheet"
    ESCALATION_RAISED = "escalation_raised", "Raised an escalation"
    ESCALATION_ACKNOWLEDGED = "escalation_acknowledged", "Acknowledged an escalation"
    ESCALATION_RESOLVED = "escalation_resolved", "Resolved an escalation"
    NOTIFICATION_PREFERENCE = "notification_preference", "Chose how to be told"
    LETTER_POSTED = "letter_posted", "Sent a letter by post"
    SUBJECT_ACCESS = "subject_access", "Exported a child's record for a subject access request"
    CHILD_ERASED = "child_erased", "Erased a child's record at the end of its retention period"
    SWEEP = "sweep", "Ran the sweep"


class AuditEvent(models.Model):
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    verb = models.CharField(max_length=40, choices=Verb.choices)
    child = models.ForeignKey(
        "children.Child", on_delete=models.PROTECT, null=True, related_name="audit_events"
    )
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=60, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    detail = models.CharField(max_length=300, blank=True)
    # The hash chain (audit/chain.py): the authority whose chain the row is in (the child's; else the acting
    # staff member's; else the record's; none for a sweep across authorities or an import run by no one, which
    # form a chain of their own), its number there, the seal of the row before and its own seal. Empty until the
    # transaction that wrote the row has committed and `audit_seal` has sealed it, a moment later.
    authority = models.ForeignKey(
        "organisation.Authority", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sequence = models.PositiveBigIntegerField(null=True, blank=True)
    previous_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)
    # Set when the child's record was erased (privacy/erasure.py): the SHA-256 of the payload (`before`, `after`,
    # `detail`) that was removed, which the seal covers in its place (audit/chain.py, version 2).
    erased_payload_digest = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["child", "at"]),
            models.Index(fields=["actor", "at"]),
            # The rows waiting to be sealed: a handful at any moment, found without reading the rest.
            models.Index(fields=["authority"], condition=models.Q(sequence=None), name="audit_unsealed"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["authority", "sequence"], name="audit_chain_sequence_unique")
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.verb} {self.object_type} {self.object_id}"


class AuditChainHead(models.Model):
    """Where each chain ends: the number and seal of its last row. Sealing locks this row (SELECT ... FOR UPDATE)
    until its transaction ends, so one authority's rows are numbered one at a time; `handover audit verify`
    compares it with the last row, so rows removed from the end are seen too."""

    chain = models.PositiveBigIntegerField(primary_key=True)  # the authority's id; 0 for rows tied to none
    authority = models.OneToOneField(
        "organisation.Authority", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sequence = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.authority or 'no authority'}: {self.sequence} rows"
