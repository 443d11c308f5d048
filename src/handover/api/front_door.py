"""The front door's API: the contacts awaiting a decision at your front door teams (with the day each is due),
recording one (the child found by person ID or added, checked against possible duplicates), and closing one as
information only. The same service functions as the pages (`children.front_door`)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from handover.api.serializers import ReasonInput
from handover.api.views import AuditedReads, StaffView
from handover.children.front_door import (
    NewChild,
    child_by_person_id,
    front_door_contact_close,
    front_door_contact_record,
    front_door_teams,
    open_contacts,
)
from handover.children.models import FrontDoorContact
from handover.organisation.protocol import protocol_for


class FrontDoorContactSerializer(serializers.ModelSerializer):
    """A contact in words: the child, what was received and when, and where it stands."""

    child_name = serializers.CharField(source="child.name", read_only=True)
    team_name = serializers.CharField(source="team.name", read_only=True)
    event_name = serializers.SerializerMethodField()
    outcome_name = serializers.CharField(source="get_outcome_display", read_only=True)

    class Meta:
        model = FrontDoorContact
        fields = [
            "id",
            "child",
            "child_name",
            "team",
            "team_name",
            "event",
            "event_name",
            "received_on",
            "summary",
            "outcome",
            "outcome_name",
            "decided_at",
            "decision_reason",
            "from_authority",
            "passed_to",
            "read_at",
        ]
        read_only_fields = fields

    def get_event_name(self, contact) -> str:
        protocol = protocol_for(contact.team.service.authority)
        return next((e.name for e in protocol.file.events if e.id == contact.event), contact.event)


class FrontDoorContactInput(serializers.Serializer):
    event = serializers.CharField()
    received_on = serializers.DateField()
    identifier = serializers.CharField(help_text="the child's person ID: found on file, or a new child's")
    first_name = serializers.CharField(required=False, allow_blank=True, default="")
    last_name = serializers.CharField(required=False, allow_blank=True, default="")
    date_of_birth = serializers.DateField(required=False, allow_null=True, default=None)
    expected_date_of_birth = serializers.DateField(required=False, allow_null=True, default=None)
    address = serializers.CharField(required=False, allow_blank=True, default="")
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    from_authority = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="for a transfer in: the authority it comes from",
    )
    confirm_new = serializers.BooleanField(required=False, default=False)


class FrontDoorContactViewSet(StaffView, AuditedReads, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Contacts awaiting a decision at your front door teams, oldest first."""

    serializer_class = FrontDoorContactSerializer
    read_detail = "front door contact"

    def _teams(self):
        teams = front_door_teams(self.staff, self.request.today)
        if not teams:
            raise PermissionDenied("the front door is for the staff of a front door team (MASH, the Hub)")
        return teams

    def get_queryset(self):
        if self.schema_only:
            return FrontDoorContact.objects.none()
        self._teams()
        return open_contacts(self.staff, self.request.today)

    @extend_schema(request=FrontDoorContactInput, responses={201: FrontDoorContactSerializer})
    def create(self, request, *args, **kwargs):
        """Record a contact received at your front door team."""
        team = self._teams()[0]
        data = FrontDoorContactInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        child = child_by_person_id(self.staff, v["identifier"])
        new = None
        if child is None:
            new = NewChild(
                identifier=v["identifier"],
                first_name=v["first_name"],
                last_name=v["last_name"],
                date_of_birth=v["date_of_birth"],
                expected_date_of_birth=v["expected_date_of_birth"],
                address=v["address"],
            )
        contact = front_door_contact_record(
            actor=self.staff,
            team=team,
            event=v["event"],
            received_on=v["received_on"],
            now=self.request.now,
            child=child,
            new=new,
            confirm_new=v["confirm_new"],
            summary=v["summary"],
            from_authority=v["from_authority"],
        )
        return Response(FrontDoorContactSerializer(contact).data, status=201)

    @extend_schema(request=ReasonInput, responses={200: FrontDoorContactSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None, **kwargs):
        """Close a contact as information only: no transfer; the front door allocation ends with the reason."""
        data = ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        done = front_door_contact_close(
            actor=self.staff,
            contact=self.get_object(),
            reason=data.validated_data["reason"],
            now=self.request.now,
        )
        return Response(FrontDoorContactSerializer(done).data)
