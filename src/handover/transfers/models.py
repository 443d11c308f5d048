"""Transfers of case responsibility and everything that happens to them.

Each transfer records the protocol version it ran under and the situation it was routed on, so changing the
protocol file never rewrites history. State changes go only through `handover.transfers.services`; every one
is a TransferEvent row written in the same transaction, and `version` guards against lost updates.
"""

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords

from handover.children.models import Allocation, AllocationKind, Child, Family
from handover.domain.workflow import FINAL_STATES, State
from handover.organisation.models import Service, StaffMember, Team
from handover.organisation.selectors import name_with_role

# How people read an act of Handover's sweep (`handover sweep`) wherever a person's name would be.
SWEEP_NAME = "Handover (automatic, by the protocol's timings)"


class Transfer(models.Model):
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="transfers")
    kind = models.CharField(max_length=20, choices=AllocationKind.choices, default=AllocationKind.PRIMARY)
    state = models.CharField(max_length=30, choices=[(s.value, s.value.replace("_", " ")) for s in State])
    blocked_from = models.CharField(max_length=30, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)

    protocol = models.CharField(max_length=200)
    protocol_version = models.CharField(max_length=100)
    event = models.CharField(max_length=60)
    event_date = models.DateField()
    situation = models.JSONField(help_text="the situation the transfer was routed on, as given")
    rule = models.CharField(max_length=100, blank=True)
    pathway = models.CharField(max_length=100, blank=True)
    route_kind = models.CharField(max_length=30)
    recommended_service = models.ForeignKey(
        Service, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    override_reason = models.TextField(
        blank=True, help_text="why the receiving service differs from the recommendation"
    )

    from_allocation = models.ForeignKey(
        Allocation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    from_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="outgoing_transfers")
    to_service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="incoming_transfers")
    to_team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="incoming_transfers"
    )
    receiving_worker = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="incoming_transfers"
    )
    to_allocation = models.ForeignKey(
        Allocation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    transfer_date = models.DateField(null=True, blank=True, help_text="agreed date of formal transfer")

    family = models.ForeignKey(
        Family, on_delete=models.PROTECT, null=True, blank=True, related_name="transfers"
    )
    sibling_group = models.UUIDField(null=True, blank=True, help_text="siblings proposed together share this")
    separation_reason = models.TextField(blank=True, help_text="why this child moves apart from siblings")
    exception = models.CharField(
        max_length=100, blank=True, help_text="permitted exception from the protocol"
    )

    proposed_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="proposed_transfers")
    proposed_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_reason = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-proposed_at"]
        indexes = [
            models.Index(fields=["state"]),
            models.Index(fields=["from_team", "state"]),
            models.Index(fields=["to_service", "state"]),
        ]
        constraints = [
            # One open transfer per child and allocation kind: the database refuses a second, however
            # simultaneous (services.transfer_propose turns the refusal into its usual message).
            models.UniqueConstraint(
                fields=["child", "kind"],
                condition=~models.Q(state__in=sorted(s.value for s in FINAL_STATES)),
                name="one_open_transfer_per_child_and_kind",
            )
        ]

    def __str__(self) -> str:
        return f"Transfer {self.pk} of {self.child}: {self.from_team} → {self.to_team or self.to_service}"

    @property
    def is_open(self) -> bool:
        return self.state not in FINAL_STATES


class TransferEvent(models.Model):
    """One transition, as it happened: who, when, from which state to which, why."""

    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=40)
    from_state = models.CharField(max_length=30, blank=True)
    to_state = models.CharField(max_length=30)
    actor = models.ForeignKey(
        StaffMember,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text="who took the action; empty for Handover's sweep (an escalation the protocol's timings raised)",
    )
    at = models.DateTimeField()
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    @property
    def action_label(self) -> str:
        return self.action.replace("_", " ").capitalize()

    @property
    def actor_name(self) -> str:
        return self.actor.name if self.actor_id else SWEEP_NAME

    @property
    def actor_words(self) -> str:
        """Who took the action with the role and team they held that day ("Name, Role, Team"); prefetch
        `organisation.selectors.with_memberships("actor")` for a list."""
        return name_with_role(self.actor, self.at) if self.actor_id else SWEEP_NAME


class Deadline(models.Model):
    """A deadline computed by the protocol engine; recomputed (replaced) whenever the facts change."""

    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="deadlines")
    step = models.CharField(max_length=100)
    name = models.CharField(max_length=200)
    due = models.DateField(null=True, blank=True)
    actual = models.DateField(null=True, blank=True)
    transfer_by = models.BooleanField(default=False)
    standing = models.BooleanField(
        default=False, help_text="a standing timescale rather than a timeline step"
    )
    cites = models.JSONField(default=list)
    basis = models.CharField(max_length=200, blank=True)
    closed_by = models.CharField(
        max_length=100,
        blank=True,
        help_text="what closes it: a workflow action, letters_send, document:<type>, key_event:<event>, manual",
    )

    class Meta:
        ordering = ["due", "pk"]
        constraints = [models.UniqueConstraint(fields=["transfer", "step"], name="unique_deadline_step")]


class SignOffKind(models.TextChoices):
    SUMMARY_AUTHORISED = "summary_authorised", "Transfer summary authorised by the transferring manager"
    SENDING_AUDIT = "sending_audit", "File audited by the transferring team manager"
    RECEIVING_AUDIT = "receiving_audit", "File audited by the receiving team manager, remedial actions agreed"


class SignOff(models.Model):
    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="sign_offs")
    kind = models.CharField(max_length=30, choices=SignOffKind.choices)
    by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["transfer", "kind"], name="unique_sign_off")]

    @property
    def by_words(self) -> str:
        """Who signed off, with the role and team they held that day."""
        return name_with_role(self.by, self.at)


class ReadinessConfirmation(models.Model):
    """A checklist item a person confirmed (e.g. 'the CIN plan is SMART'), for items that need a judgement."""

    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="confirmations")
    item = models.CharField(max_length=100)
    by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["transfer", "item"], name="unique_confirmation")]


class RemedialAction(models.Model):
    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="remedial_actions")
    description = models.TextField()
    owner = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="remedial_actions")
    due = models.DateField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["due"]


class Escalation(models.Model):
    """A level of the protocol's escalation ladder raised on a transfer: by a manager (a blocked transfer) or by
    the sweep (work blocked or overdue past the local timings). The work it is about is `subject`: the transfer's
    block, one of its steps, or a remedial action. The level below is resolved when the next opens ("moved up"),
    so one escalation at a time is open per piece of work."""

    class Subject(models.TextChoices):
        BLOCKED = "blocked", "The transfer is blocked"
        STEP = "step", "A step is overdue"
        REMEDIAL_ACTION = "remedial_action", "A remedial action is overdue"
        DISPUTE = "dispute", "The receiving team declined the transfer"

    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="escalations")
    subject = models.CharField(max_length=20, choices=Subject.choices, default=Subject.BLOCKED)
    step = models.CharField(max_length=100, blank=True, help_text="the deadline step, for an overdue step")
    remedial_action = models.ForeignKey(
        RemedialAction, on_delete=models.PROTECT, null=True, blank=True, related_name="escalations"
    )
    level = models.PositiveSmallIntegerField()
    role = models.CharField(max_length=40)
    cites = models.JSONField(default=list, blank=True, help_text="the clauses of the ladder's level")
    opened_at = models.DateTimeField()
    opened_by = models.ForeignKey(
        StaffMember,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="empty when the sweep raised it",
    )
    key = models.CharField(
        max_length=250, null=True, blank=True, unique=True, help_text="the sweep's key: raised once"
    )
    due = models.DateField(null=True, blank=True, help_text="when it moves to the next level if unresolved")
    reason = models.TextField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["resolved_at", "transfer"])]

    @property
    def opened_by_name(self) -> str:
        return self.opened_by.name if self.opened_by_id else SWEEP_NAME

    # Who raised, acknowledged and resolved it, each with the role and team they held that day; prefetch
    # `with_memberships("opened_by")` (and the others) for a list.
    @property
    def opened_by_words(self) -> str:
        return name_with_role(self.opened_by, self.opened_at) if self.opened_by_id else SWEEP_NAME

    @property
    def acknowledged_by_words(self) -> str:
        return name_with_role(self.acknowledged_by, self.acknowledged_at) if self.acknowledged_by_id else ""

    @property
    def resolved_by_words(self) -> str:
        if self.resolved_at is None:
            return ""
        return name_with_role(self.resolved_by, self.resolved_at) if self.resolved_by_id else SWEEP_NAME


class CaseRequest(models.Model):
    """A receiving team asking for a case (a pull); accepted, it becomes a transfer."""

    class Status(models.TextChoices):
        OPEN = "open"
        ACCEPTED = "accepted"
        REFUSED = "refused"

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="case_requests")
    requesting_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="case_requests")
    requested_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    reason = models.TextField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    decided_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    transfer = models.OneToOneField(
        Transfer, on_delete=models.PROTECT, null=True, blank=True, related_name="request"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["child"],
                condition=models.Q(status="open"),
                name="one_open_case_request_per_child",
            )
        ]


class BulkTransfer(models.Model):
    """A whole caseload moved in one operation (a worker leaves, a team restructures), run in the background."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    requested_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    from_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    from_worker = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    to_worker = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason_code = models.CharField(max_length=6, default="ORGRST")
    reason = models.TextField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    results = models.JSONField(default=list, blank=True, help_text="per child: identifier, outcome, message")
    finished_at = models.DateTimeField(null=True, blank=True)


class ReferralOut(models.Model):
    """A transfer to another local authority, which has no login here (Dorset D-185 to D-188): the authority and
    the manager there the case was discussed with, the referral sent in writing with the documents it carried
    (their manifest, as sent), and the other authority's confirmation of receipt, which closes the case."""

    transfer = models.OneToOneField(Transfer, on_delete=models.PROTECT, related_name="referral_out")
    receiving_authority = models.CharField(max_length=200)
    contact_name = models.CharField(max_length=200, help_text="the manager at the other authority (D-186)")
    contact_email = models.EmailField(blank=True)
    discussed_on = models.DateField(help_text="when the managers discussed the transfer (D-186)")
    sent_on = models.DateField(help_text="when the referral went in writing with its documents (D-187)")
    sent_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    manifest = models.JSONField(default=list, help_text="the documents sent, each with its digest")
    receipt_confirmed_on = models.DateField(null=True, blank=True)
    receipt_confirmed_by = models.CharField(
        max_length=200, blank=True, help_text="who at the other authority confirmed receipt"
    )
    receipt_recorded_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"Referral of {self.transfer.child} to {self.receiving_authority}"
