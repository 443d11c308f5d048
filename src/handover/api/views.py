"""REST endpoints: validate input, call a service or selector, render. Permissions come from the access layer."""

from __future__ import annotations

from collections.abc import Mapping

import django_filters
from django import forms
from django.db import transaction
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from handover.api import serializers as s
from handover.api.schema import FieldErrors, HandoverSchema
from handover.audit.models import AuditEvent, Verb
from handover.audit.services import audit_listing, audit_record, snapshot
from handover.children import files
from handover.children.models import AllocationKind, Child
from handover.children.secondary import secondary_allocation_end, secondary_allocation_start
from handover.children.services import (
    allocation_reassign,
    child_close,
    child_record_add,
    child_update,
)
from handover.documents.models import Letter
from handover.domain.explain import decision_data, readiness_data
from handover.notifications.letters_by_post import letter_post
from handover.notifications.models import Notification
from handover.notifications.services import still_to_do
from handover.organisation.access import (
    AccessDenied,
    can_read_children,
    can_write,
    require_child_access,
    roles_of,
    staff_for,
    visible_children,
)
from handover.organisation.models import MANAGER_ROLES, SENIOR_ROLES, Role, Service, StaffMember, Team
from handover.organisation.protocol import protocol_for, protocol_for_transfer
from handover.organisation.services import staff_registration_set
from handover.transfers import selectors as transfer_selectors
from handover.transfers import services
from handover.transfers.bulk import bulk_transfer_request
from handover.transfers.case_requests import case_request_create, case_request_decide
from handover.transfers.escalations import escalation_acknowledge
from handover.transfers.models import BulkTransfer, CaseRequest, Escalation, RemedialAction, Transfer
from handover.transfers.selectors import open_escalations


class IsStaff(permissions.BasePermission):
    """Signed in as an active member of staff; writes need a role that is not read-only."""

    message = "sign in as an active member of staff"

    def has_permission(self, request, view):
        staff = staff_for(request.user, on=request.today)
        if staff is None or not staff.active:
            return False
        if request.method not in permissions.SAFE_METHODS and not can_write(staff):
            self.message = "your roles are read-only"
            return False
        return True


class StaffView:
    # Every action takes **kwargs: the router's format suffix (`/api/children/1/audit.json`) passes `format`.
    permission_classes = [IsStaff]
    lookup_value_regex = r"\d+"
    schema = HandoverSchema()  # documents the error answers too (api/schema.py)

    @property
    def staff(self) -> StaffMember:
        return staff_for(self.request.user, on=self.request.today)

    @property
    def schema_only(self) -> bool:
        """drf-spectacular builds the schema with no signed-in person."""
        return getattr(self, "swagger_fake_view", False)


class AuditedReads:
    """A list is audited as one row naming the children it shows; one record read as a row naming its child."""

    read_detail = ""

    def child_of(self, row):
        return row.child

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        audit_listing(
            at=self.request.now,
            actor=request.user,
            children=[row["child"] for row in response.data["results"]],
            detail=request.get_full_path()[:300],
        )
        return response

    def retrieve(self, request, *args, **kwargs):
        row = self.get_object()
        child = self.child_of(row)
        if child is not None:
            audit_record(
                at=self.request.now,
                actor=request.user,
                verb=Verb.CHILD_VIEWED,
                child=child,
                obj=row,
                detail=self.read_detail,
            )
        return Response(self.get_serializer(row).data)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": 2**63 - 1})  # as the filter checks
class IdFilter(django_filters.NumberFilter):
    """A row's id: a whole number a database can hold, else a 400 naming the filter (not an overflow 500)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=1, max_value=2**63 - 1, **kwargs)


class TeamFilter(django_filters.FilterSet):
    service = django_filters.CharFilter(field_name="service__code")
    kind = django_filters.CharFilter(field_name="service__kind")

    class Meta:
        model = Team
        fields = ["service", "kind", "active", "locality"]


class TeamViewSet(StaffView, viewsets.ReadOnlyModelViewSet):
    serializer_class = s.TeamSerializer
    filterset_class = TeamFilter

    def get_queryset(self):
        if self.schema_only:
            return Team.objects.none()
        return Team.objects.filter(service__authority=self.staff.authority).select_related("service")


class StaffFilter(django_filters.FilterSet):
    team = IdFilter(field_name="memberships__team", distinct=True)
    role = django_filters.CharFilter(field_name="memberships__role", distinct=True)

    class Meta:
        model = StaffMember
        fields = ["team", "role", "active"]


class StaffViewSet(StaffView, viewsets.ReadOnlyModelViewSet):
    serializer_class = s.StaffSerializer
    filterset_class = StaffFilter

    def get_queryset(self):
        if self.schema_only:
            return StaffMember.objects.none()
        return StaffMember.objects.filter(authority=self.staff.authority).prefetch_related(
            "memberships__team", "memberships__service"
        )

    @extend_schema(request=s.RegistrationInput, responses={200: s.StaffSerializer})
    @action(detail=True, methods=["post"])
    def registration(self, request, pk=None, **kwargs):
        """Record the member of staff's Social Work England registration (a manager of their team, or senior)."""
        data = s.RegistrationInput(data=request.data)
        data.is_valid(raise_exception=True)
        staff = staff_registration_set(
            now=self.request.now,
            actor=self.staff,
            staff=self.get_object(),
            number=data.validated_data["social_work_england_number"],
            expires=data.validated_data["social_work_england_expires"],
        )
        return Response(s.StaffSerializer(staff).data)


class ChildFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", help_text="name or identifier")
    date_of_birth = django_filters.DateFilter()
    team = IdFilter(method="by_team", help_text="open primary allocation in this team")

    class Meta:
        model = Child
        fields = ["q", "date_of_birth", "team", "identifier"]

    def search(self, queryset, name, value):
        query = Q(identifier__iexact=value)
        for word in value.split():
            query |= Q(first_name__icontains=word) | Q(last_name__icontains=word)
        return queryset.filter(query)

    def by_team(self, queryset, name, value):
        return queryset.filter(allocations__team_id=value, allocations__end__isnull=True).distinct()


class ChildViewSet(
    StaffView, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Children's records. Every read is audited; nothing is deleted."""

    filterset_class = ChildFilter

    def get_serializer_class(self):
        return s.ChildDetailSerializer if self.action == "retrieve" else s.ChildSerializer

    def get_queryset(self):
        if self.schema_only:
            return Child.objects.none()
        queryset = Child.objects.order_by("last_name", "first_name", "pk")
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(
                "allocations__team",
                "allocations__worker",
                "legal_statuses",
                "plans",
                "documents",
                "key_events",
            )
        return visible_children(self.staff, queryset)

    def get_object(self):
        if not can_read_children(self.staff):
            raise PermissionDenied("your roles do not give access to children's records")
        # A restricted record, or another authority's, is "not found": saying it exists would reveal too much.
        child = self.get_queryset().filter(pk=self.kwargs["pk"]).first()
        if child is None:
            raise NotFound("no such child")
        return child

    def list(self, request, *args, **kwargs):
        if not can_read_children(self.staff):
            raise PermissionDenied("your roles do not give access to children's records")
        response = super().list(request, *args, **kwargs)
        ids = [row["id"] for row in response.data["results"]]
        audit_record(
            at=self.request.now,
            actor=request.user,
            verb=Verb.CHILD_LISTED,
            after={"children": ids},
            detail=request.get_full_path()[:300],
        )
        return response

    def retrieve(self, request, *args, **kwargs):
        child = self.get_object()
        audit_record(at=self.request.now, actor=request.user, verb=Verb.CHILD_VIEWED, child=child, obj=child)
        return Response(self.get_serializer(child).data)

    @extend_schema(request=s.ReassignInput, responses={200: s.AllocationSerializer})
    @action(detail=True, methods=["post"])
    def reassign(self, request, pk=None, **kwargs):
        """A manager moves the child to another worker in the same team."""
        data = s.ReassignInput(data=request.data)
        data.is_valid(raise_exception=True)
        allocation = allocation_reassign(
            now=self.request.now, actor=self.staff, child=self.get_object(), **data.validated_data
        )
        return Response(s.AllocationSerializer(allocation).data)

    def _add(self, request, kind: str, input_class, output_class):
        data = input_class(data=request.data)
        data.is_valid(raise_exception=True)
        row = child_record_add(
            now=self.request.now,
            actor=self.staff,
            child=self.get_object(),
            kind=kind,
            values=data.validated_data,
        )
        if kind in ("documents", "key_events"):
            # A step the protocol closes on this document or key event shows done at once, not at the next sweep.
            services.deadlines_close_from_file(now=self.request.now, child=row.child)
        return Response(output_class(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.DocumentInput, responses={201: s.DocumentSerializer})
    @action(detail=True, methods=["post"])
    def documents(self, request, pk=None, **kwargs):
        """Record a document on file (its type from the protocol's document list, and its date)."""
        protocol = protocol_for(self.staff.authority)
        # A body that is not an object is the serializer's to refuse (in _add); a type sent as a number, list or
        # object is no type of the protocol's (and must not reach a dict lookup: unhashable, a 500).
        if isinstance(request.data, Mapping):
            given = request.data.get("document_type")
            if not isinstance(given, str) or given not in protocol.document_types:
                known = ", ".join(protocol.document_types)
                return Response(
                    {"errors": {"document_type": f"one of the protocol's document types: {known}"}},
                    status=status.HTTP_400_BAD_REQUEST,
                )
        return self._add(request, "documents", s.DocumentInput, s.DocumentSerializer)

    @extend_schema(request=s.DocumentReplaceInput, responses={201: s.DocumentSerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path=r"documents/(?P<document_id>\d+)/replace",
        url_name="document-replace",
    )
    def document_replace(self, request, pk=None, document_id=None, **kwargs):
        """Record a new version of a document on file, of the same type, with its date (not in the future) and
        title: the old version stays on file marked replaced (`replaced_by`, `replaced_at`) and readiness counts
        only the new one. Who may: as for adding a document. No file is sent here (as for adding one)."""
        child = self.get_object()
        document = get_object_or_404(child.documents.defer("content"), pk=document_id)
        data = s.DocumentReplaceInput(data=request.data)
        data.is_valid(raise_exception=True)
        new = files.document_replace(
            now=self.request.now, actor=self.staff, document=document, **data.validated_data
        )
        # A step the protocol closes on this document shows done at once, not at the next sweep.
        services.deadlines_close_from_file(now=self.request.now, child=child)
        return Response(s.DocumentSerializer(new).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.LegalStatusInput, responses={201: s.LegalStatusSerializer})
    @action(detail=True, methods=["post"], url_path="legal-statuses")
    def legal_statuses(self, request, pk=None, **kwargs):
        """Start a legal status; the open one ends that day."""
        return self._add(request, "legal_statuses", s.LegalStatusInput, s.LegalStatusSerializer)

    @extend_schema(request=s.PlanInput, responses={201: s.PlanSerializer})
    @action(detail=True, methods=["post"])
    def plans(self, request, pk=None, **kwargs):
        """Start a plan (CIN, CP, CLA, care leaver); the open one ends that day."""
        return self._add(request, "plans", s.PlanInput, s.PlanSerializer)

    @extend_schema(request=s.KeyEventInput, responses={201: s.KeyEventSerializer})
    @action(detail=True, methods=["post"], url_path="key-events")
    def key_events(self, request, pk=None, **kwargs):
        """Record a key event (ICPC, CiN meeting, LAC review, PLO meeting, LGP decision...) with its date."""
        return self._add(request, "key_events", s.KeyEventInput, s.KeyEventSerializer)

    @extend_schema(request=s.ProfessionalSerializer, responses={201: s.ProfessionalSerializer})
    @action(detail=True, methods=["post"])
    def professionals(self, request, pk=None, **kwargs):
        return self._add(request, "professionals", s.ProfessionalSerializer, s.ProfessionalSerializer)

    @extend_schema(request=s.CloseInput, responses={200: s.ChildSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None, **kwargs):
        """Close the record with a reason; open allocations end today. Nothing is deleted."""
        data = s.CloseInput(data=request.data)
        data.is_valid(raise_exception=True)
        child = child_close(
            now=self.request.now,
            actor=self.staff,
            child=self.get_object(),
            reason=data.validated_data["reason"],
        )
        return Response(s.ChildSerializer(child).data)

    @extend_schema(methods=["GET"], responses={200: s.SecondaryAllocationSerializer(many=True)})
    @extend_schema(
        methods=["POST"], request=s.SecondaryAllocationInput, responses={201: s.SecondaryAllocationSerializer}
    )
    @action(detail=True, methods=["get", "post"], url_path="secondary-allocations", pagination_class=None)
    def secondary_allocations(self, request, pk=None, **kwargs):
        """The child's secondary allocations (co-working, personal adviser, family finding...), open and
        ended, the read audited; a POST starts one for a purpose of the protocol's (a manager of the team
        holding the case or of the team providing the worker)."""
        child = self.get_object()
        context = {"protocol": protocol_for(child.authority)}
        if request.method == "POST":
            data = s.SecondaryAllocationInput(data=request.data, authority=child.authority)
            data.is_valid(raise_exception=True)
            allocation = secondary_allocation_start(
                now=self.request.now, actor=self.staff, child=child, **data.validated_data
            )
            body = s.SecondaryAllocationSerializer(allocation, context=context).data
            return Response(body, status=status.HTTP_201_CREATED)
        rows = child.allocations.filter(kind=AllocationKind.SECONDARY).select_related("team", "worker")
        body = s.SecondaryAllocationSerializer(
            rows.order_by("-start", "-pk"), many=True, context=context
        ).data
        audit_record(
            at=self.request.now,
            actor=request.user,
            verb=Verb.CHILD_VIEWED,
            child=child,
            obj=child,
            detail="secondary allocations",
        )
        return Response(body)

    @extend_schema(request=s.SecondaryAllocationEndInput, responses={200: s.SecondaryAllocationSerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path=r"secondary-allocations/(?P<allocation_id>\d+)/end",
        url_name="secondary-allocation-end",
    )
    def secondary_allocation_end(self, request, pk=None, allocation_id=None, **kwargs):
        """End an open secondary allocation on a day (not before it started, not in the future), with a reason."""
        child = self.get_object()
        allocation = get_object_or_404(
            child.allocations.filter(kind=AllocationKind.SECONDARY).select_related("team"), pk=allocation_id
        )
        data = s.SecondaryAllocationEndInput(data=request.data)
        data.is_valid(raise_exception=True)
        allocation = secondary_allocation_end(
            now=self.request.now, actor=self.staff, allocation=allocation, **data.validated_data
        )
        context = {"protocol": protocol_for(child.authority)}
        return Response(s.SecondaryAllocationSerializer(allocation, context=context).data)

    @extend_schema(responses={200: s.AuditEventSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def audit(self, request, pk=None, **kwargs):
        """Who viewed or changed this record: for auditors, managers and senior managers."""
        child = self.get_object()
        allowed = {Role.AUDITOR, *MANAGER_ROLES, *SENIOR_ROLES}
        if not roles_of(self.staff) & {r.value for r in allowed}:
            raise PermissionDenied("the record's audit trail is for managers and auditors")
        events = AuditEvent.objects.filter(child=child).select_related("actor")
        page = self.paginate_queryset(events)
        response = self.get_paginated_response(s.AuditEventSerializer(page, many=True).data)
        audit_record(  # after the page is read, so the page does not show its own row
            at=self.request.now,
            actor=request.user,
            verb=Verb.CHILD_VIEWED,
            child=child,
            obj=child,
            detail=f"audit trail: {request.get_full_path()}"[:300],
        )
        return response

    @transaction.atomic
    def perform_create(self, serializer):
        child = serializer.save(authority=self.staff.authority)
        audit_record(
            at=self.request.now,
            actor=self.request.user,
            verb=Verb.CHILD_CREATED,
            child=child,
            obj=child,
            after=snapshot(child),
        )

    def perform_update(self, serializer):
        child_update(
            now=self.request.now,
            actor=self.staff,
            child=serializer.instance,
            values=serializer.validated_data,
        )


class TransferFilter(django_filters.FilterSet):
    state = django_filters.CharFilter()
    from_team = IdFilter()
    to_service = django_filters.CharFilter(field_name="to_service__code")

    class Meta:
        model = Transfer
        fields = ["state", "from_team", "to_service", "child"]


class TransferViewSet(StaffView, viewsets.ReadOnlyModelViewSet):
    """Transfers: propose (POST), read, and take workflow actions."""

    filterset_class = TransferFilter

    def get_serializer_class(self):
        return s.TransferDetailSerializer if self.action == "retrieve" else s.TransferSerializer

    def get_queryset(self):
        if self.schema_only:
            return Transfer.objects.none()
        children = visible_children(self.staff, Child.objects.all())
        transfers = (
            Transfer.objects.filter(child__in=children)
            .select_related("child", "from_team__service", "to_service", "to_team")
            .order_by("-proposed_at", "-pk")
        )
        if (
            self.action == "retrieve"
        ):  # its history names each actor with their role: one prefetch, not one per event
            transfers = transfers.prefetch_related(Prefetch("events", transfer_selectors.transfer_events()))
        return transfers

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        children = sorted({row["child"] for row in response.data["results"]})
        if children:  # an empty page shows no child
            audit_record(
                at=self.request.now,
                actor=request.user,
                verb=Verb.CHILD_LISTED,
                after={"children": children},
                detail=request.get_full_path()[:300],
            )
        return response

    def retrieve(self, request, *args, **kwargs):
        transfer = self.get_object()
        audit_record(
            at=self.request.now,
            actor=request.user,
            verb=Verb.TRANSFER_VIEWED,
            child=transfer.child,
            obj=transfer,
        )
        data = self.get_serializer(transfer).data
        data["readiness"] = readiness_data(
            protocol_for_transfer(transfer),
            services.transfer_readiness(transfer, on=self.request.today),
        )
        data["available_actions"] = [
            a.value for a in services.transfer_available_actions(self.staff, transfer)
        ]
        return Response(data)

    def _child(self, child: Child) -> Child:
        try:
            require_child_access(self.staff, child)
        except AccessDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        return child

    @extend_schema(request=s.SituationInput, responses={200: dict})
    @action(detail=False, methods=["post"])
    def recommend(self, request, **kwargs):
        """What the protocol recommends for a child in a situation (nothing is written)."""
        data = s.SituationInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        child = self._child(data.validated_data["child"])
        _, decision = services.transfer_recommend(
            child=child,
            event=data.validated_data["event"],
            on=data.validated_data["date"],
            answers=data.validated_data["answers"],
        )
        audit_record(
            at=self.request.now,
            actor=request.user,
            verb=Verb.CHILD_VIEWED,
            child=child,
            obj=child,
            detail="recommendation",
        )
        return Response(decision_data(protocol_for(child.authority), decision))

    @extend_schema(request=s.ProposeInput, responses={201: s.TransferSerializer(many=True)})
    def create(self, request, **kwargs):
        """Propose a transfer (and the siblings named with it)."""
        data = s.ProposeInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        child = self._child(v["child"])
        to_service = None
        if v["to_service"]:
            to_service = Service.objects.filter(authority=child.authority, code=v["to_service"]).first()
            if to_service is None:
                return Response({"errors": {"to_service": f"no service {v['to_service']!r}"}}, status=400)
        reasons = {}
        for key, reason in v["separation_reasons"].items():
            if not (str(key).isascii() and str(key).isdigit()):  # "²" is a digit int() refuses
                return Response({"errors": {"separation_reasons": f"{key!r} is not a child id"}}, status=400)
            reasons[int(key)] = reason
        proposal = services.transfer_propose(
            now=self.request.now,
            actor=self.staff,
            child=child,
            event=v["event"],
            on=v["date"],
            answers=v["answers"],
            to_service=to_service,
            override_reason=v["override_reason"],
            with_siblings=[self._child(c) for c in v["with_siblings"]],
            separation_reasons=reasons,
            exception=v["exception"],
        )
        return Response(
            s.TransferSerializer(proposal.transfers, many=True).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=s.ActionInput, responses={200: s.TransferSerializer})
    @action(detail=True, methods=["post"])
    def actions(self, request, pk=None, **kwargs):
        """Take a workflow action. Send the version you loaded; a stale version gets 409."""
        transfer = self.get_object()
        data = s.ActionInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        updated = services.transfer_act(
            now=self.request.now,
            actor=self.staff,
            transfer=transfer,
            action=v["action"],
            expected_version=v["version"],
            reason=v["reason"],
            to_team=v.get("to_team"),
            transfer_date=v.get("transfer_date"),
            worker=v.get("worker"),
            referral={f: v[f] for f in s.ActionInput.REFERRAL_FIELDS if f in v},
            confirm_early=v["confirm_early"],
            held_on=v.get("held_on"),
            attendees=v.get("attendees", []),
            others_attending=v["others_attending"],
            notes=v["notes"],
        )
        return Response(s.TransferSerializer(updated).data)

    @extend_schema(request=s.FactsInput, responses={200: s.TransferSerializer})
    @action(detail=True, methods=["post"])
    def facts(self, request, pk=None, **kwargs):
        """Correct or add facts; the deadlines are recomputed."""
        data = s.FactsInput(data=request.data)
        data.is_valid(raise_exception=True)
        updated = services.transfer_update_facts(
            now=self.request.now,
            actor=self.staff,
            transfer=self.get_object(),
            answers=data.validated_data["answers"],
            expected_version=data.validated_data["version"],
        )
        return Response(s.TransferSerializer(updated).data)

    @extend_schema(responses={200: s.TeamSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="eligible-teams", pagination_class=None)
    def eligible_teams(self, request, pk=None, **kwargs):
        """Teams that can receive this transfer: active teams of the receiving service, never the sender."""
        teams = services.eligible_receiving_teams(self.get_object()).select_related("service")
        return Response(s.TeamSerializer(teams, many=True).data)

    @extend_schema(
        responses={
            200: s.StaffSerializer(many=True),
            400: OpenApiResponse(FieldErrors, "no receiving team agreed yet (`to_team`)"),
        }
    )
    @action(detail=True, methods=["get"], url_path="eligible-workers", pagination_class=None)
    def eligible_workers(self, request, pk=None, **kwargs):
        """Active case-holding staff of the agreed receiving team, never the current worker, and only those who
        may be named: a registered social worker where the protocol requires one for the child (D-026)."""
        transfer = self.get_object()
        if transfer.to_team is None:
            return Response({"errors": {"to_team": "agree the receiving team first"}}, status=400)
        choices = services.receiving_worker_choices(transfer, on=self.request.today)
        return Response(s.StaffSerializer([w for w, refusal in choices if refusal is None], many=True).data)

    @extend_schema(request=s.SignOffInput, responses={201: s.SignOffSerializer})
    @action(detail=True, methods=["post"], url_path="sign-offs")
    def sign_offs(self, request, pk=None, **kwargs):
        data = s.SignOffInput(data=request.data)
        data.is_valid(raise_exception=True)
        sign_off = services.transfer_sign_off(
            now=self.request.now,
            actor=self.staff,
            transfer=self.get_object(),
            kind=data.validated_data["kind"],
        )
        return Response(s.SignOffSerializer(sign_off).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ConfirmationInput, responses={201: dict})
    @action(detail=True, methods=["post"])
    def confirmations(self, request, pk=None, **kwargs):
        data = s.ConfirmationInput(data=request.data)
        data.is_valid(raise_exception=True)
        confirmation = services.transfer_confirm_item(
            now=self.request.now,
            actor=self.staff,
            transfer=self.get_object(),
            item=data.validated_data["item"],
        )
        return Response(
            {"item": confirmation.item, "by": confirmation.by_id, "at": confirmation.at},
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=s.RemedialActionInput, responses={201: s.RemedialActionSerializer})
    @action(detail=True, methods=["post"], url_path="remedial-actions")
    def remedial_actions(self, request, pk=None, **kwargs):
        data = s.RemedialActionInput(data=request.data)
        data.is_valid(raise_exception=True)
        created = services.remedial_action_create(
            now=self.request.now, actor=self.staff, transfer=self.get_object(), **data.validated_data
        )
        return Response(s.RemedialActionSerializer(created).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: s.RemedialActionSerializer})
    @action(detail=True, methods=["post"], url_path=r"remedial-actions/(?P<action_id>\d+)/done")
    def remedial_action_done(self, request, pk=None, action_id=None, **kwargs):
        item = get_object_or_404(RemedialAction, pk=action_id, transfer=self.get_object())
        done = services.remedial_action_done(now=self.request.now, actor=self.staff, action=item)
        return Response(s.RemedialActionSerializer(done).data)

    @extend_schema(request=None, responses={200: s.RemedialActionSerializer})
    @action(detail=True, methods=["post"], url_path=r"remedial-actions/(?P<action_id>\d+)/reopen")
    def remedial_action_reopen(self, request, pk=None, action_id=None, **kwargs):
        item = get_object_or_404(RemedialAction, pk=action_id, transfer=self.get_object())
        reopened = services.remedial_action_reopen(now=self.request.now, actor=self.staff, action=item)
        return Response(s.RemedialActionSerializer(reopened).data)

    @extend_schema(request=None, responses={201: s.EventSerializer})
    @action(detail=True, methods=["post"], url_path=r"steps/(?P<step>[a-z][a-z0-9_]*)/done")
    def step_done(self, request, pk=None, step=None, **kwargs):
        """Mark done a step the protocol closes by an explicit "done" (who and when are recorded)."""
        event = services.transfer_step_done(
            now=self.request.now, actor=self.staff, transfer=self.get_object(), step=step
        )
        return Response(s.EventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ReasonInput, responses={201: s.EventSerializer})
    @action(detail=True, methods=["post"], url_path=r"steps/(?P<step>[a-z][a-z0-9_]*)/reopen")
    def step_reopen(self, request, pk=None, step=None, **kwargs):
        """Reopen a step marked done by mistake, with the reason."""
        data = s.ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        event = services.transfer_step_reopen(
            now=self.request.now,
            actor=self.staff,
            transfer=self.get_object(),
            step=step,
            reason=data.validated_data["reason"],
        )
        return Response(s.EventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.LetterPostInput, responses={200: s.LetterSerializer})
    @action(detail=True, methods=["post"], url_path=r"letters/(?P<letter_id>\d+)/post")
    def letter_post(self, request, pk=None, letter_id=None, **kwargs):
        """Send a written letter by post through GOV.UK Notify, once (postage: first, second or economy)."""
        letter = get_object_or_404(
            Letter.objects.defer("docx", "pdf"), pk=letter_id, transfer=self.get_object()
        )
        data = s.LetterPostInput(data=request.data)
        data.is_valid(raise_exception=True)
        posted = letter_post(
            now=self.request.now, actor=self.staff, letter=letter, postage=data.validated_data["postage"]
        )
        return Response(s.LetterSerializer(posted).data)


class CaseRequestViewSet(StaffView, AuditedReads, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """A receiving team asks for a case; the holding team's manager accepts (a transfer) or refuses."""

    serializer_class = s.CaseRequestSerializer

    def get_queryset(self):
        if self.schema_only:
            return CaseRequest.objects.none()
        children = visible_children(self.staff, Child.objects.all())
        return CaseRequest.objects.filter(child__in=children).order_by("-requested_at")

    read_detail = "case request"

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        child = serializer.validated_data["child"]
        require_child_access(self.staff, child)
        created = case_request_create(
            now=self.request.now,
            actor=self.staff,
            child=child,
            requesting_team=serializer.validated_data["requesting_team"],
            reason=serializer.validated_data["reason"],
        )
        return Response(s.CaseRequestSerializer(created).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.CaseRequestDecisionInput, responses={200: s.CaseRequestSerializer})
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None, **kwargs):
        data = s.CaseRequestDecisionInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        decided = case_request_decide(
            now=self.request.now,
            actor=self.staff,
            request=self.get_object(),
            accept=v["accept"],
            reason=v["reason"],
            event=v["event"],
            on=v["date"],
            answers=v["answers"],
        )
        return Response(s.CaseRequestSerializer(decided).data)


class BulkTransferViewSet(StaffView, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Move a whole caseload in the background; poll the job for progress and per-child results."""

    serializer_class = s.BulkTransferSerializer

    def get_queryset(self):
        if self.schema_only:
            return BulkTransfer.objects.none()
        return BulkTransfer.objects.filter(from_team__service__authority=self.staff.authority).order_by("-pk")

    # A job's results name each child it moved (id and identifier), so reading one is a listing of them.
    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        audit_listing(
            at=self.request.now,
            actor=request.user,
            children=[r.get("child") for job in response.data["results"] for r in job["results"]],
            detail=request.get_full_path()[:300],
        )
        return response

    def retrieve(self, request, *args, **kwargs):
        job = self.get_object()
        data = self.get_serializer(job).data  # its results leave out children the reader may not see
        audit_listing(
            at=self.request.now,
            actor=request.user,
            obj=job,
            children=[r.get("child") for r in data["results"]],
            detail=f"bulk transfer {job.pk}",
        )
        return Response(data)

    @extend_schema(responses={202: s.BulkTransferSerializer})  # accepted: the job runs in the background
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = bulk_transfer_request(now=self.request.now, actor=self.staff, **serializer.validated_data)
        return Response(
            s.BulkTransferSerializer(job, context={"request": request}).data, status=status.HTTP_202_ACCEPTED
        )


class EscalationViewSet(StaffView, AuditedReads, viewsets.ReadOnlyModelViewSet):
    """Open escalations that sit with one of your roles or are on your teams' transfers, oldest first; the
    person an escalation sits with (or a manager of either team) acknowledges it."""

    serializer_class = s.EscalationSerializer

    def get_queryset(self):
        if self.schema_only:
            return Escalation.objects.none()
        return open_escalations(self.staff).select_related("transfer__child", "opened_by", "acknowledged_by")

    read_detail = "escalation"

    def child_of(self, escalation):
        return escalation.transfer.child

    @extend_schema(request=s.NoteInput, responses={200: s.EscalationSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None, **kwargs):
        """ "I have this": recorded with who and when; the escalation stays open until the work is done."""
        data = s.NoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        done = escalation_acknowledge(
            now=self.request.now,
            actor=self.staff,
            escalation=self.get_object(),
            note=data.validated_data["note"],
        )
        return Response(s.EscalationSerializer(done).data)


class NotificationViewSet(StaffView, AuditedReads, viewsets.ReadOnlyModelViewSet):
    """Your notifications whose work is still to do, newest first (each clears itself when the work is done)."""

    serializer_class = s.NotificationSerializer

    def get_queryset(self):
        if self.schema_only:
            return Notification.objects.none()
        visible = visible_children(self.staff, Child.objects.all())
        return (
            Notification.objects.filter(still_to_do(), recipient=self.staff)
            .filter(Q(child__isnull=True) | Q(child__in=visible))
            .order_by("-created_at", "-pk")
        )

    read_detail = "notification"


class AuditViewSet(StaffView, viewsets.ReadOnlyModelViewSet):
    """The whole audit trail, for auditors."""

    serializer_class = s.AuditEventSerializer
    filterset_fields = ["verb", "child", "actor"]

    def get_queryset(self):
        if self.schema_only:
            return AuditEvent.objects.none()
        if Role.AUDITOR not in roles_of(self.staff):
            raise PermissionDenied("the audit trail is for auditors")
        # Child-less events (imports, listings) belong to the authority of the person who made them.
        # A restricted child's events are shown only to an auditor named on the record, like the record itself.
        return AuditEvent.objects.filter(
            Q(child__in=visible_children(self.staff, Child.objects.all()))
            | Q(child__isnull=True, actor__staff__authority=self.staff.authority)
        ).select_related("actor")

    # Reading the trail is itself a read of the children it names: one row for the page, written after the page
    # is read so the page does not show its own row.
    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        audit_listing(
            at=self.request.now,
            actor=request.user,
            children=[row["child"] for row in response.data["results"]],
            detail=f"audit trail: {request.get_full_path()}"[:300],
        )
        return response

    def retrieve(self, request, *args, **kwargs):
        event = self.get_object()
        audit_listing(
            at=self.request.now,
            actor=request.user,
            obj=event,
            children=[event.child_id],
            detail="audit trail: one event",
        )
        return Response(self.get_serializer(event).data)
