"""Case Transfer Summaries (drafted, then authorised by a manager before they are final) and letters sent to the
family and professionals about a transfer. The final form of each is also kept as a document on the child's file."""

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords

from handover.children.models import DocumentOnFile, InvolvedProfessional
from handover.organisation.models import StaffMember
from handover.transfers.models import Transfer


class TransferSummary(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        AUTHORISED = "authorised", "Authorised"

    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="summaries")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    work_undertaken = models.TextField()
    last_assessment_date = models.DateField(null=True, blank=True)
    last_assessment_outcome = models.CharField(max_length=300, blank=True)
    drafted_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    drafted_on = models.DateField(help_text="the eight-week look-ahead starts on this day")
    authorised_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    authorised_at = models.DateTimeField(null=True, blank=True)
    contents = models.JSONField(default=dict, help_text="what the final summary said, as authorised")
    document = models.OneToOneField(
        DocumentOnFile, on_delete=models.PROTECT, null=True, blank=True, related_name="transfer_summary"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-pk"]
        verbose_name_plural = "transfer summaries"


class Letter(models.Model):
    class Recipient(models.TextChoices):
        FAMILY = "family", "Family"
        PROFESSIONAL = "professional", "Professional"

    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="letters")
    recipient = models.CharField(max_length=20, choices=Recipient.choices)
    professional = models.ForeignKey(
        InvolvedProfessional, on_delete=models.PROTECT, null=True, blank=True, related_name="letters"
    )
    addressee = models.CharField(max_length=200)
    address = models.TextField(blank=True)
    docx = models.BinaryField(editable=False)
    pdf = models.BinaryField(editable=False)
    document = models.OneToOneField(DocumentOnFile, on_delete=models.PROTECT, related_name="letter")
    generated_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    generated_at = models.DateTimeField()
    content_digest = models.CharField(
        max_length=64,
        null=True,
        editable=False,
        help_text="SHA-256 of what the letter says (all but the date it was written): the version of the "
        "letter. Empty for letters written before it was recorded.",
    )
    # Sent by post through GOV.UK Notify's precompiled-letter API (the PDF as written): its id and our reference.
    posted_at = models.DateTimeField(null=True, blank=True)
    posted_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    postage = models.CharField(max_length=20, blank=True)
    notify_id = models.CharField(max_length=100, blank=True, help_text="GOV.UK Notify's notification id")
    notify_reference = models.CharField(max_length=100, blank=True, help_text="our reference, sent to Notify")
    history = HistoricalRecords(excluded_fields=["docx", "pdf"])

    class Meta:
        ordering = ["-generated_at", "recipient", "pk"]
        constraints = [
            # The same letter is written once: asking again (a double click, two people at once) finds it.
            models.UniqueConstraint(
                fields=["transfer", "content_digest"],
                condition=models.Q(recipient="family"),
                name="one_family_letter_per_transfer_and_version",
            ),
            models.UniqueConstraint(
                fields=["transfer", "professional", "content_digest"],
                condition=models.Q(recipient="professional"),
                name="one_professional_letter_per_transfer_and_version",
            ),
        ]
