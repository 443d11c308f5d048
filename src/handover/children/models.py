"""Children's records: who they are, their legal status and plans over time, their family, what is on file,
key events, and who holds their case (allocations).

Names follow the sector's standards: legal statuses as SSDA903 `LS` (see handover.domain.facts), plan types as
the CIN census, allocations as the SSD's `ssd_involvements` with SSDA903 `SW_REASON` change reasons.
Nothing is deleted: records close with a reason.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from handover.domain.facts import ASYLUM_STATUSES, LEGAL_STATUSES, PLAN_TYPES
from handover.organisation.models import Authority, Role, StaffMember, Team


def _choices(values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(v, v.replace("_", " ")) for v in values]


LEGAL_STATUS_CHOICES = _choices(LEGAL_STATUSES)
PLAN_CHOICES = _choices(PLAN_TYPES)


# The CIN census (and SSDA903) ethnicity codes, in words: the record keeps the code, people read the words. Not
# the field's `choices`: an import may hold codes of its own, which pages show as recorded.
ETHNICITIES = (
    ("WBRI", "White British"),
    ("WIRI", "White Irish"),
    ("WIRT", "Traveller of Irish heritage"),
    ("WROM", "Gypsy or Roma"),
    ("WOTH", "Any other White background"),
    ("MWBC", "White and Black Caribbean"),
    ("MWBA", "White and Black African"),
    ("MWAS", "White and Asian"),
    ("MOTH", "Any other mixed background"),
    ("AIND", "Indian"),
    ("APKN", "Pakistani"),
    ("ABAN", "Bangladeshi"),
    ("AOTH", "Any other Asian background"),
    ("BCRB", "Black Caribbean"),
    ("BAFR", "Black African"),
    ("BOTH", "Any other Black background"),
    ("CHNE", "Chinese"),
    ("OOTH", "Any other ethnic group"),
    ("REFU", "Refused"),
    ("NOBT", "Information not yet obtained"),
)

# The Case Transfer Summary's document type: it goes on file only when a manager authorises it.
SUMMARY_DOCUMENT_TYPE = "transfer_summary"
# A letter to the family or a professional about a transfer (documents.letters), kept on the child's file.
LETTER_DOCUMENT_TYPE = "transfer_letter"


class Family(models.Model):
    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="families")
    name = models.CharField(max_length=200)

    class Meta:
        verbose_name_plural = "families"

    def __str__(self) -> str:
        return self.name


class Child(models.Model):
    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="children")
    identifier = models.CharField(max_length=40, unique=True, help_text="the authority's person ID")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField(null=True, blank=True)
    expected_date_of_birth = models.DateField(null=True, blank=True)
    gender = models.CharField(max_length=40, blank=True)
    ethnicity = models.CharField(max_length=10, blank=True, help_text="CIN census ethnicity code")
    disability = models.BooleanField(null=True)
    asylum_status = models.CharField(max_length=40, choices=_choices(ASYLUM_STATUSES), default="none")
    address = models.TextField(blank=True)
    locality = models.CharField(max_length=100, blank=True)
    school = models.CharField(max_length=200, blank=True)
    family = models.ForeignKey(
        Family, on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    mother_looked_after = models.BooleanField(null=True)
    restricted = models.BooleanField(default=False, help_text="visible only to the staff named on the record")
    closed_on = models.DateField(null=True, blank=True)
    closure_reason = models.CharField(max_length=200, blank=True)
    # Set when the record was erased at the end of its retention period (privacy/erasure.py): the row stays, with
    # nothing about the child in it, so the audit trail that names it still points somewhere.
    erased_on = models.DateField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "children"
        indexes = [models.Index(fields=["last_name", "first_name"]), models.Index(fields=["date_of_birth"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(date_of_birth__isnull=False)
                | models.Q(expected_date_of_birth__isnull=False)
                | models.Q(erased_on__isnull=False),
                name="child_has_birth_or_expected_date",
            )
        ]

    def __str__(self) -> str:
        if self.erased_on is not None:
            return self.name
        return f"{self.first_name} {self.last_name} ({self.identifier})"

    @property
    def name(self) -> str:
        if self.erased_on is not None:
            return f"A record erased on {self.erased_on:%-d %B %Y}"
        return f"{self.first_name} {self.last_name}"


class RestrictedAccess(models.Model):
    """Staff named on a restricted record; nobody else sees it."""

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="restricted_access")
    staff = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="restricted_children")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["child", "staff"], name="unique_restricted_access")]


class LegalStatusEpisode(models.Model):
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="legal_statuses")
    status = models.CharField(max_length=40, choices=LEGAL_STATUS_CHOICES)
    start = models.DateField()
    end = models.DateField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-start"]


class PlanEpisode(models.Model):
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="plans")
    plan = models.CharField(max_length=40, choices=PLAN_CHOICES)
    start = models.DateField()
    end = models.DateField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-start"]


class InvolvedProfessional(models.Model):
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="professionals")
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=200)
    organisation = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    address = models.TextField(blank=True)
    history = HistoricalRecords()


class DocumentQuerySet(models.QuerySet):
    def current(self):
        """The versions in force: a replaced version stays on file (its history), but counts for nothing."""
        return self.filter(replaced_at__isnull=True)


class DocumentOnFile(models.Model):
    """A document on the child's file, by the protocol's document type (chronology, genogram, C&F assessment...).

    Replacing one (children/files.py: `document_replace`) adds the new version as a row of its own and marks this
    one replaced, pointing at it: nothing is overwritten, and the earlier versions stay downloadable."""

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="documents")
    document_type = models.CharField(max_length=60)
    title = models.CharField(max_length=200, blank=True)
    dated = models.DateField()
    recorded_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, null=True, blank=True)
    # Not auto_now_add: the services pass the boundary's `now` (a fixed clock in tests and the demo).
    recorded_at = models.DateTimeField(default=timezone.now)
    content = models.BinaryField(null=True, blank=True, editable=False)
    content_type = models.CharField(max_length=100, blank=True)
    # Set together when a newer version takes this one's place; one newer version per version, so a chain.
    replaced_by = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaces"
    )
    replaced_at = models.DateTimeField(null=True, blank=True)
    replaced_by_staff = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords(excluded_fields=["content"])

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["-dated"]
        indexes = [models.Index(fields=["child", "document_type", "dated"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(replaced_by__isnull=True, replaced_at__isnull=True)
                | models.Q(replaced_by__isnull=False, replaced_at__isnull=False),
                name="document_replaced_by_and_when",
            )
        ]


class KeyEvent(models.Model):
    """ICPC, CiN meeting, LAC reviews, PLO meeting, LGP decision and the like, with their dates."""

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="key_events")
    event_type = models.CharField(max_length=60)
    date = models.DateField()
    notes = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-date"]


class ChangeReason(models.TextChoices):
    """SSDA903 SWEpisodes SW_REASON."""

    MANAGE = "MANAGE", "Management decision"
    FCONTA = "FCONTA", "Family request"
    LEFTRL = "LEFTRL", "Worker left the role"
    ORGRST = "ORGRST", "Organisational restructure"
    TSPROC = "TSPROC", "Transfer by the standard process"
    ABSENC = "ABSENC", "Worker absence"
    CHCHAN = "CHCHAN", "Child's circumstances changed"
    PCCHAN = "PCCHAN", "Placement changed"
    SWDIED = "SWDIED", "Worker died"
    OTHERS = "OTHERS", "Other"


class AllocationKind(models.TextChoices):
    PRIMARY = "primary", "Primary (case holder)"
    SECONDARY = "secondary", "Secondary"


class Allocation(models.Model):
    """Who holds a child's case, over time (SSD `ssd_involvements`). Ended, never deleted."""

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="allocations")
    kind = models.CharField(max_length=20, choices=AllocationKind.choices)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="allocations")
    worker = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="allocations"
    )
    role = models.CharField(max_length=40, choices=Role.choices, default=Role.SOCIAL_WORKER)
    purpose = models.CharField(
        max_length=100, blank=True, help_text="for secondary allocations: e.g. family finding"
    )
    start = models.DateField()
    end = models.DateField(null=True, blank=True)
    start_reason = models.CharField(max_length=6, choices=ChangeReason.choices, blank=True)
    end_reason = models.CharField(max_length=6, choices=ChangeReason.choices, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-start"]
        indexes = [models.Index(fields=["child", "kind", "end"]), models.Index(fields=["worker", "end"])]
        constraints = [
            models.UniqueConstraint(
                fields=["child"],
                condition=models.Q(kind="primary", end__isnull=True),
                name="one_open_primary_allocation",
            ),
            models.CheckConstraint(
                condition=models.Q(end__isnull=True) | models.Q(end__gte=models.F("start")),
                name="allocation_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.child} — {self.team} ({self.kind})"


class FrontDoorContact(models.Model):
    """A contact or referral received at the front door (Dorset's MASH, Central Bedfordshire's Hub) about a child
    new to the service or closed: recorded with the day it arrived, then decided within the protocol's time
    (Dorset D-077: a working day) by proposing the transfer the protocol routes it to, or closed as information
    only. While it is open the child is allocated to the front door team."""

    class Outcome(models.TextChoices):
        OPEN = "open", "Awaiting the decision"
        PROPOSED = "proposed", "Decided: transfer proposed"
        INFORMATION_ONLY = "information_only", "Information only: no further action"
        PASSED_ON = "passed_on", "Passed to the team that holds the case"

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="front_door_contacts")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="front_door_contacts")
    event = models.CharField(
        max_length=60, help_text="the protocol's event: a referral, a court's request..."
    )
    received_on = models.DateField()
    summary = models.TextField(blank=True)
    recorded_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.OPEN)
    decided_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    from_authority = models.CharField(
        max_length=150, blank=True, help_text="for a transfer in: the authority that sent the notification"
    )
    # A contact about a child open to another team goes to that team: who there has read it, and when.
    passed_to = models.ForeignKey(Team, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    read_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    read_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["received_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["child"], condition=models.Q(outcome="open"), name="one_open_front_door_contact"
            )
        ]
