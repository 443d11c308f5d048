"""Request and response shapes. Input serializers validate; services do the work."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from handover.audit.models import AuditEvent
from handover.children.models import (
    Allocation,
    ChangeReason,
    Child,
    DocumentOnFile,
    InvolvedProfessional,
    KeyEvent,
    LegalStatusEpisode,
    PlanEpisode,
)
from handover.children.secondary import purpose_in_words
from handover.children.workers import social_workers_had
from handover.documents.models import Letter
from handover.domain import text
from handover.domain.workflow import Action
from handover.notifications.models import Notification
from handover.organisation.access import staff_for, visible_children
from handover.organisation.models import Membership, StaffMember, Team
from handover.transfers.models import (
    BulkTransfer,
    CaseRequest,
    Deadline,
    Escalation,
    ReferralOut,
    RemedialAction,
    SignOff,
    SignOffKind,
    Transfer,
    TransferEvent,
)
from handover.transfers.transfer_out import NAME as REFERRAL_NAME


def capped(field: str, cap: int) -> dict:
    """Keyword arguments for text people type: at most `cap` characters (domain/text.py), said in the same words
    as the pages and services. NUL is refused by every CharField (and by the JSON parser before that)."""
    return {"max_length": cap, "error_messages": {"max_length": text.too_long(field, cap)}}


def free_text(field: str, cap: int, **kwargs) -> serializers.CharField:
    return serializers.CharField(**capped(field, cap), **kwargs)


class TeamSerializer(serializers.ModelSerializer):
    service = serializers.CharField(source="service.code")
    service_name = serializers.CharField(source="service.name")
    kind = serializers.CharField(source="service.kind")

    class Meta:
        model = Team
        fields = ["id", "code", "name", "locality", "active", "service", "service_name", "kind"]


class MembershipSerializer(serializers.ModelSerializer):
    team = serializers.CharField(source="team.code", allow_null=True, default=None)
    service = serializers.CharField(source="service.code", allow_null=True, default=None)

    class Meta:
        model = Membership
        fields = ["role", "team", "service", "start", "end"]


class StaffSerializer(serializers.ModelSerializer):
    memberships = MembershipSerializer(many=True, read_only=True)

    class Meta:
        model = StaffMember
        fields = [
            "id",
            "name",
            "email",
            "phone",
            "job_title",
            "social_work_england_number",
            "social_work_england_expires",
            "agency",
            "active",
            "memberships",
        ]


class AllocationSerializer(serializers.ModelSerializer):
    team = serializers.CharField(source="team.code")
    worker_name = serializers.CharField(source="worker.name", allow_null=True, default=None)

    class Meta:
        model = Allocation
        fields = [
            "id",
            "kind",
            "team",
            "worker",
            "worker_name",
            "role",
            "purpose",
            "start",
            "end",
            "start_reason",
            "end_reason",
        ]


class SecondaryAllocationSerializer(serializers.ModelSerializer):
    """A secondary allocation in words: its purpose's id and name (the protocol's), team, worker, dates."""

    team = serializers.CharField(source="team.code")
    team_name = serializers.CharField(source="team.name")
    worker_name = serializers.CharField(source="worker.name", allow_null=True, default=None)
    purpose_name = serializers.SerializerMethodField()
    role_name = serializers.CharField(source="get_role_display")
    end_reason_name = serializers.CharField(source="get_end_reason_display")

    class Meta:
        model = Allocation
        fields = [
            "id",
            "child",
            "purpose",
            "purpose_name",
            "team",
            "team_name",
            "worker",
            "worker_name",
            "role",
            "role_name",
            "start",
            "end",
            "start_reason",
            "end_reason",
            "end_reason_name",
        ]

    def get_purpose_name(self, allocation) -> str:
        return purpose_in_words(self.context["protocol"], allocation)


class SecondaryAllocationInput(serializers.Serializer):
    purpose = serializers.CharField(max_length=100, help_text="the id of one of the protocol's purposes")
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.none(), help_text="the team providing the worker"
    )
    worker = serializers.PrimaryKeyRelatedField(queryset=StaffMember.objects.none())
    start = serializers.DateField()
    reason = serializers.ChoiceField(choices=ChangeReason.choices, required=False, default="MANAGE")

    def __init__(self, *args, authority=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(service__authority=authority)
        self.fields["worker"].queryset = StaffMember.objects.filter(authority=authority)


class SecondaryAllocationEndInput(serializers.Serializer):
    end = serializers.DateField()
    reason = serializers.ChoiceField(choices=ChangeReason.choices, required=False, default="MANAGE")


class LegalStatusSerializer(serializers.ModelSerializer):
    class Meta:
        model = LegalStatusEpisode
        fields = ["status", "start", "end"]


class PlanSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlanEpisode
        fields = ["plan", "start", "end"]


class DocumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = DocumentOnFile
        # `replaced_by`: the id of the newer version that replaced this one (null for a current version).
        fields = ["id", "document_type", "title", "dated", "recorded_at", "replaced_by", "replaced_at"]


class KeyEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = KeyEvent
        fields = ["event_type", "date", "notes"]


class ChildSerializer(serializers.ModelSerializer):
    class Meta:
        model = Child
        fields = [
            "id",
            "identifier",
            "first_name",
            "last_name",
            "date_of_birth",
            "expected_date_of_birth",
            "gender",
            "ethnicity",
            "disability",
            "asylum_status",
            "locality",
            "school",
            "restricted",
            "closed_on",
        ]
        read_only_fields = ["restricted", "closed_on"]

    def validate(self, attrs):
        dob = attrs.get("date_of_birth", getattr(self.instance, "date_of_birth", None))
        expected = attrs.get("expected_date_of_birth", getattr(self.instance, "expected_date_of_birth", None))
        if dob is None and expected is None:
            raise serializers.ValidationError(
                {"date_of_birth": "give the date of birth, or the expected date of birth for an unborn child"}
            )
        return attrs


class ChildDetailSerializer(ChildSerializer):
    allocations = AllocationSerializer(many=True, read_only=True)
    social_workers_had = serializers.SerializerMethodField(
        help_text="how many different people have been the child's social worker (C-003)"
    )
    legal_statuses = LegalStatusSerializer(many=True, read_only=True)
    plans = PlanSerializer(many=True, read_only=True)
    documents = DocumentSerializer(many=True, read_only=True)
    key_events = KeyEventSerializer(many=True, read_only=True)

    class Meta(ChildSerializer.Meta):
        fields = [
            *ChildSerializer.Meta.fields,
            "address",
            "allocations",
            "legal_statuses",
            "plans",
            "documents",
            "key_events",
            "social_workers_had",
        ]

    def get_social_workers_had(self, child) -> int:
        return social_workers_had(child)


class DeadlineSerializer(serializers.ModelSerializer):
    status = serializers.SerializerMethodField()

    class Meta:
        model = Deadline
        fields = ["step", "name", "due", "actual", "status", "transfer_by", "standing", "cites", "basis"]

    def get_status(self, deadline) -> str:
        if deadline.actual:
            return "done_late" if deadline.due and deadline.actual > deadline.due else "done"
        if deadline.due is None:
            return "unknown"
        return "overdue" if deadline.due < self.context["request"].today else "due"


class EventSerializer(serializers.ModelSerializer):
    actor_name = serializers.CharField(read_only=True)
    actor_words = serializers.CharField(
        read_only=True, help_text="who took it with the role and team they held that day, as people read it"
    )

    class Meta:
        model = TransferEvent
        fields = [
            "action",
            "from_state",
            "to_state",
            "actor",
            "actor_name",
            "actor_words",
            "at",
            "reason",
            "data",
        ]


class SignOffSerializer(serializers.ModelSerializer):
    class Meta:
        model = SignOff
        fields = ["kind", "by", "at"]


class RemedialActionSerializer(serializers.ModelSerializer):
    class Meta:
        model = RemedialAction
        fields = ["id", "description", "owner", "due", "done_at", "done_by", "created_by", "created_at"]
        read_only_fields = ["done_at", "done_by", "created_by", "created_at"]


class LetterSerializer(serializers.ModelSerializer):
    class Meta:
        model = Letter
        fields = [
            "id",
            "recipient",
            "addressee",
            "generated_at",
            "posted_at",
            "posted_by",
            "postage",
            "notify_id",
            "notify_reference",
        ]
        read_only_fields = fields


class LetterPostInput(serializers.Serializer):
    postage = serializers.CharField(required=False, default="second", max_length=20)


class TransferSerializer(serializers.ModelSerializer):
    child_name = serializers.CharField(source="child.name")
    from_team = serializers.CharField(source="from_team.code")
    to_service = serializers.CharField(source="to_service.code")
    to_team = serializers.CharField(source="to_team.code", allow_null=True, default=None)

    class Meta:
        model = Transfer
        fields = [
            "id",
            "child",
            "child_name",
            "kind",
            "state",
            "version",
            "event",
            "event_date",
            "rule",
            "pathway",
            "route_kind",
            "from_team",
            "to_service",
            "to_team",
            "receiving_worker",
            "transfer_date",
            "protocol",
            "protocol_version",
            "override_reason",
            "escalation_level",
            "proposed_by",
            "proposed_at",
            "closed_at",
            "closed_reason",
            "sibling_group",
        ]


class ReferralOutSerializer(serializers.ModelSerializer):
    """A transfer to another authority: the referral sent, the documents it carried, its receipt."""

    sent_by = serializers.CharField(source="sent_by.name")
    receipt_recorded_by = serializers.CharField(
        source="receipt_recorded_by.name", allow_null=True, default=None
    )

    class Meta:
        model = ReferralOut
        fields = [
            "receiving_authority",
            "contact_name",
            "contact_email",
            "discussed_on",
            "sent_on",
            "sent_by",
            "manifest",
            "receipt_confirmed_on",
            "receipt_confirmed_by",
            "receipt_recorded_by",
        ]


class TransferDetailSerializer(TransferSerializer):
    referral_out = ReferralOutSerializer(read_only=True, allow_null=True, default=None)
    deadlines = DeadlineSerializer(many=True, read_only=True)
    events = EventSerializer(many=True, read_only=True)
    sign_offs = SignOffSerializer(many=True, read_only=True)
    remedial_actions = RemedialActionSerializer(many=True, read_only=True)

    class Meta(TransferSerializer.Meta):
        fields = [
            *TransferSerializer.Meta.fields,
            "situation",
            "referral_out",
            "deadlines",
            "events",
            "sign_offs",
            "remedial_actions",
        ]


@extend_schema_field(OpenApiTypes.INT)  # a child's id; the schema cannot infer it without a model serializer
class VisibleChildField(serializers.PrimaryKeyRelatedField):
    """A child the signed-in person may see. A restricted record they are not named on, or another authority's,
    gets the same answer as an id that does not exist: the refusal must not confirm that the child exists."""

    queryset = Child.objects.all()  # the model, for the OpenAPI schema; get_queryset narrows it per person

    def get_queryset(self):
        request = self.context.get("request")
        staff = staff_for(getattr(request, "user", None), on=getattr(request, "today", None))
        return visible_children(staff, Child.objects.all())


class SituationInput(serializers.Serializer):
    child = VisibleChildField()
    event = serializers.CharField()
    date = serializers.DateField()
    answers = serializers.DictField(required=False, default=dict)


class ProposeInput(SituationInput):
    to_service = serializers.CharField(required=False, allow_blank=True, default="")
    override_reason = free_text("override_reason", text.REASON, required=False, allow_blank=True, default="")
    with_siblings = VisibleChildField(many=True, required=False, default=list)
    separation_reasons = serializers.DictField(
        child=free_text("separation_reason", text.REASON), required=False, default=dict
    )
    exception = serializers.CharField(required=False, allow_blank=True, default="")


class ActionInput(serializers.Serializer):
    action = serializers.ChoiceField(choices=[a.value for a in Action])
    version = serializers.IntegerField(min_value=1, help_text="the transfer's version you are acting on")
    reason = free_text("reason", text.REASON, required=False, allow_blank=True, default="")
    to_team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False, allow_null=True)
    transfer_date = serializers.DateField(required=False, allow_null=True)
    worker = serializers.PrimaryKeyRelatedField(
        queryset=StaffMember.objects.all(), required=False, allow_null=True
    )
    confirm_early = serializers.BooleanField(
        required=False,
        default=False,
        help_text="complete: confirm completing before the agreed date of formal transfer (give the reason too)",
    )
    # record_handover: the handover meeting as it was.
    held_on = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="record_handover: the day the meeting was held (not in the future, not before the receiving "
        "worker was named); by default the day it is recorded",
    )
    attendees = serializers.PrimaryKeyRelatedField(
        queryset=StaffMember.objects.all(),
        many=True,
        required=False,
        help_text="record_handover: who attended, of the outgoing and receiving workers and the two teams' managers",
    )
    others_attending = free_text(
        "others_attending",
        text.REASON,
        required=False,
        allow_blank=True,
        default="",
        help_text="record_handover: anyone else who attended, in words (the child, a parent or carer)",
    )
    notes = free_text(
        "notes", text.NOTES, required=False, allow_blank=True, default="", help_text="record_handover: notes"
    )
    # A transfer to another authority: send_referral records these four and the dates; confirm_receipt the last two.
    receiving_authority = free_text("receiving_authority", REFERRAL_NAME, required=False, allow_blank=True)
    contact_name = free_text("contact_name", REFERRAL_NAME, required=False, allow_blank=True)
    contact_email = free_text("contact_email", 254, required=False, allow_blank=True)
    discussed_on = serializers.DateField(required=False, allow_null=True)
    sent_on = serializers.DateField(required=False, allow_null=True)
    receipt_confirmed_on = serializers.DateField(required=False, allow_null=True)
    receipt_confirmed_by = free_text("receipt_confirmed_by", REFERRAL_NAME, required=False, allow_blank=True)

    REFERRAL_FIELDS = (
        "receiving_authority",
        "contact_name",
        "contact_email",
        "discussed_on",
        "sent_on",
        "receipt_confirmed_on",
        "receipt_confirmed_by",
    )


class SignOffInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=SignOffKind.choices)


class ConfirmationInput(serializers.Serializer):
    item = serializers.CharField()


class RemedialActionInput(serializers.Serializer):
    description = free_text("description", text.ACTION)
    owner = serializers.PrimaryKeyRelatedField(queryset=StaffMember.objects.all())
    due = serializers.DateField()


class FactsInput(serializers.Serializer):
    version = serializers.IntegerField(min_value=1)
    answers = serializers.DictField()


class RegistrationInput(serializers.Serializer):
    """A Social Work England registration; the number's format is checked by the service (one rule, one place)."""

    social_work_england_number = serializers.CharField(allow_blank=True, trim_whitespace=False)
    social_work_england_expires = serializers.DateField(required=False, allow_null=True, default=None)


class ReassignInput(serializers.Serializer):
    worker = serializers.PrimaryKeyRelatedField(queryset=StaffMember.objects.all())
    reason_code = serializers.CharField(required=False, default="MANAGE")


class CaseRequestSerializer(serializers.ModelSerializer):
    child = VisibleChildField()

    class Meta:
        model = CaseRequest
        extra_kwargs = {"reason": capped("reason", text.REASON)}
        fields = [
            "id",
            "child",
            "requesting_team",
            "requested_by",
            "requested_at",
            "reason",
            "status",
            "decided_by",
            "decided_at",
            "decision_reason",
            "transfer",
        ]
        read_only_fields = [
            "requested_by",
            "requested_at",
            "status",
            "decided_by",
            "decided_at",
            "decision_reason",
            "transfer",
        ]


class CaseRequestDecisionInput(serializers.Serializer):
    accept = serializers.BooleanField()
    reason = free_text("reason", text.REASON, required=False, allow_blank=True, default="")
    event = serializers.CharField(required=False, allow_blank=True, default="")
    date = serializers.DateField(required=False, allow_null=True, default=None)
    answers = serializers.DictField(required=False, default=dict)


class BulkTransferSerializer(serializers.ModelSerializer):
    results = serializers.SerializerMethodField()

    class Meta:
        model = BulkTransfer
        extra_kwargs = {"reason": capped("reason", text.REASON)}
        fields = [
            "id",
            "from_team",
            "from_worker",
            "to_team",
            "to_worker",
            "reason_code",
            "reason",
            "status",
            "total",
            "done",
            "results",
            "requested_by",
            "requested_at",
            "finished_at",
        ]
        read_only_fields = [
            "status",
            "total",
            "done",
            "results",
            "requested_by",
            "requested_at",
            "finished_at",
        ]

    def get_results(self, job) -> list[dict]:
        """A job's result lines, each child's only where the reader may see that child: a restricted record they
        are not named on is not there, not even as an identifier."""
        request = self.context.get("request")
        staff = staff_for(getattr(request, "user", None), on=getattr(request, "today", None))
        asked = [r.get("child") for r in job.results]
        visible = set(
            visible_children(staff, Child.objects.filter(pk__in=asked)).values_list("pk", flat=True)
        )
        return [r for r in job.results if r.get("child") in visible]


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", allow_null=True, default=None)

    class Meta:
        model = AuditEvent
        fields = ["at", "actor", "verb", "child", "object_type", "object_id", "before", "after", "detail"]


class DocumentInput(serializers.ModelSerializer):
    class Meta:
        model = DocumentOnFile
        fields = ["document_type", "title", "dated"]


class DocumentReplaceInput(serializers.ModelSerializer):
    """A new version of a document: its type is the one it replaces."""

    class Meta:
        model = DocumentOnFile
        fields = ["title", "dated"]


class LegalStatusInput(serializers.ModelSerializer):
    class Meta:
        model = LegalStatusEpisode
        fields = ["status", "start"]


class PlanInput(serializers.ModelSerializer):
    class Meta:
        model = PlanEpisode
        fields = ["plan", "start"]


class KeyEventInput(serializers.ModelSerializer):
    class Meta:
        model = KeyEvent
        fields = ["event_type", "date", "notes"]
        extra_kwargs = {"notes": capped("notes", text.NOTES)}


class ProfessionalSerializer(serializers.ModelSerializer):
    class Meta:
        model = InvolvedProfessional
        fields = ["name", "role", "organisation", "phone", "email", "address"]
        extra_kwargs = {"address": capped("address", text.ADDRESS)}


class CloseInput(serializers.Serializer):
    reason = free_text("reason", Child._meta.get_field("closure_reason").max_length)


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, trim_whitespace=False)


class NoteInput(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class EscalationSerializer(serializers.ModelSerializer):
    """An escalation in words: its level and role, what it is about, the clauses, who raised it."""

    child = serializers.IntegerField(source="transfer.child_id", read_only=True)
    role_name = serializers.SerializerMethodField()
    subject_name = serializers.CharField(source="get_subject_display", read_only=True)
    opened_by_name = serializers.CharField(read_only=True)

    class Meta:
        model = Escalation
        fields = [
            "id",
            "transfer",
            "child",
            "subject",
            "subject_name",
            "step",
            "remedial_action",
            "level",
            "role",
            "role_name",
            "cites",
            "reason",
            "opened_at",
            "opened_by",
            "opened_by_name",
            "due",
            "acknowledged_at",
            "acknowledged_by",
            "resolved_at",
            "resolution",
        ]

    def get_role_name(self, escalation) -> str:
        return escalation.role.replace("_", " ").capitalize()


class NotificationSerializer(serializers.ModelSerializer):
    kind_name = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "kind_name", "title", "body", "url", "child", "transfer", "created_at"]
