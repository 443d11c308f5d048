"""Who may do what to a transfer, tried through the API for every member of staff in the synthetic world.

The expected policy is written out below as data (`ALLOWED`), from the transfer protocol's rules as the
workflow table and the access layer state them; nothing here is derived from the code under test. Each row
names a state the transfer is put into (by driving the services directly, cheaply) and the one API call
tried there; every (row, person) pair is its own test. Allowed calls must succeed (2xx) and do what they say;
refused calls must answer 403 and leave nothing written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient
from tests.integration.conftest import CIN_PLAN, NOW, TODAY, authorise_summary

from handover.audit.models import AuditEvent
from handover.children.models import Allocation, DocumentOnFile
from handover.transfers import services
from handover.transfers.models import (
    ReadinessConfirmation,
    RemedialAction,
    SignOff,
    SignOffKind,
    Transfer,
    TransferEvent,
)

pytestmark = pytest.mark.django_db

# Everyone in the world (tests/integration/conftest.py), by the attribute that holds them:
#   sending side (Assessment Team East, which holds the child): ast_sw (the allocated worker), ast_sw2 (another
#     social worker), ast_tm, ast_pm, business_support;
#   receiving side (CIN and CP service): cin_tm, cin_pm, cin_sw (CIN and CP Team East), cin_west_tm (CIN and CP
#     Team West: receiving only while no receiving team is named);
#   unrelated team: lac_tm; senior: service_manager (CIN and CP service), director (authority-wide);
#   read-only: auditor; no access to children: administrator.
STAFF = (
    "ast_sw",
    "ast_sw2",
    "ast_tm",
    "ast_pm",
    "business_support",
    "cin_tm",
    "cin_pm",
    "cin_sw",
    "cin_west_tm",
    "lac_tm",
    "service_manager",
    "director",
    "auditor",
    "administrator",
)

SENDING_MANAGERS = {"ast_tm", "ast_pm"}
RECEIVING_TEAM_MANAGERS = {"cin_tm", "cin_pm"}  # managers of the named receiving team (CIN and CP East)
RECEIVING_SERVICE_MANAGERS = RECEIVING_TEAM_MANAGERS | {"cin_west_tm"}  # before a receiving team is named
SENIOR = {"service_manager", "director"}

# The policy: who may take each action, in the state named by the row (see ROWS for the state and the call).
ALLOWED: dict[str, set[str]] = {
    # Proposing: the allocated worker, or a team manager / practice manager of the child's current team.
    "propose": {"ast_sw"} | SENDING_MANAGERS,
    # Putting on the early warning sheet (weekly transfer meeting): sending managers or business support.
    "list": SENDING_MANAGERS | {"business_support"},
    # Referring to the Legal Gateway Panel / asking the receiving managers to agree: sending managers.
    "refer_to_panel": SENDING_MANAGERS,
    "request_agreement": SENDING_MANAGERS,
    # Agreeing or declining: managers of the receiving service (no team named yet, so any team of it).
    "agree": RECEIVING_SERVICE_MANAGERS,
    "decline": RECEIVING_SERVICE_MANAGERS,
    # A decline is a dispute (D-030/D-032): the sending managers may accept it; the service manager's level of
    # the ladder (or above) upholds or overrules it.
    "accept_decline": SENDING_MANAGERS,
    "uphold_decline": SENIOR,
    "overrule_decline": SENIOR,
    # Withdrawing: sending managers.
    "withdraw": SENDING_MANAGERS,
    # Naming the receiving worker: managers of the receiving team now that it is named.
    "identify_worker": RECEIVING_TEAM_MANAGERS,
    # Recording the handover meeting: social workers and managers of either team (not business support).
    # The outgoing worker (ast_sw) or the named receiving worker (cin_sw), or a manager of either team.
    "record_handover": {"ast_sw", "cin_sw"} | SENDING_MANAGERS | RECEIVING_TEAM_MANAGERS,
    # Completing the transfer: the receiving team manager only (not a practice manager).
    "complete": {"cin_tm"},
    # Blocking: managers of either side (receiving team not named yet, so the whole receiving service).
    "block": SENDING_MANAGERS | RECEIVING_SERVICE_MANAGERS,
    # Escalating a block: managers of either side, or a senior manager.
    "escalate": SENDING_MANAGERS | RECEIVING_SERVICE_MANAGERS | SENIOR,
    "escalate_again": SENDING_MANAGERS | RECEIVING_SERVICE_MANAGERS | SENIOR,
    # Resolving: before escalation, managers of either side; once escalated, the ladder level or above
    # (Dorset: 1 service manager, 2 service director).
    "resolve_blocked": SENDING_MANAGERS | RECEIVING_SERVICE_MANAGERS,
    "resolve_at_level_1": SENIOR,
    "resolve_at_level_2": {"director"},
    # Sign-offs: the sending managers authorise the summary and audit the file; the receiving managers audit it.
    "sign_off_sending_audit": SENDING_MANAGERS,
    "sign_off_receiving_audit": RECEIVING_TEAM_MANAGERS,
    # Checklist confirmations: an item named for a team manager is confirmed by a manager of either team; one
    # named for a social worker by a social worker or manager of either team.
    "confirm_team_manager_item": SENDING_MANAGERS | RECEIVING_TEAM_MANAGERS,
    "confirm_social_worker_item": {"ast_sw", "ast_sw2", "cin_sw"}
    | SENDING_MANAGERS
    | RECEIVING_TEAM_MANAGERS,
    # Remedial actions: managers of either team, or business support.
    "remedial_action": SENDING_MANAGERS | RECEIVING_TEAM_MANAGERS | {"business_support"},
}

TRANSFER_DATE = TODAY + dt.timedelta(days=14)


# -- reaching each state cheaply, through the services ---------------------------------------------------------


def _propose(world, **kwargs) -> Transfer:
    options = {"event": "assessment_concluded", "answers": CIN_PLAN} | kwargs
    return services.transfer_propose(
        now=NOW, actor=world.ast_tm, child=world.child("RM1", "Rae"), on=TODAY, **options
    ).transfers[0]


def _act(world, transfer: Transfer, actor: str, action: str, **kwargs) -> Transfer:
    transfer.refresh_from_db()
    return services.transfer_act(
        now=NOW,
        actor=getattr(world, actor),
        transfer=transfer,
        action=action,
        expected_version=transfer.version,
        on=TODAY,
        **kwargs,
    )


def proposed_for_meeting(world) -> Transfer:
    transfer = _propose(world)
    assert transfer.route_kind == "transfer_meeting"
    return transfer


def proposed_for_panel(world) -> Transfer:
    transfer = _propose(world, event="becomes_looked_after", answers={}, to_service=world.services["lac"])
    assert transfer.route_kind == "panel"
    return transfer


def proposed_for_agreement(world) -> Transfer:
    # D-099: an unborn baby whose siblings are in care proceedings; the managers agree by telephone.
    child = world.child(
        "RM1", "Rae", date_of_birth=None, expected_date_of_birth=TODAY + dt.timedelta(days=60)
    )
    transfer = services.transfer_propose(
        now=NOW,
        actor=world.ast_tm,
        child=child,
        on=TODAY,
        event="assessment_concluded",
        answers={"siblings": {"in_care_proceedings": True}},
    ).transfers[0]
    assert transfer.route_kind == "manager_agreement"
    return transfer


def listed(world) -> Transfer:
    return _act(world, proposed_for_meeting(world), "ast_tm", "list")


def disputed(world) -> Transfer:
    return _act(world, listed(world), "cin_tm", "decline", reason="Threshold not met")


def agreed(world) -> Transfer:
    return _act(
        world,
        listed(world),
        "cin_tm",
        "agree",
        to_team=world.teams["cin_cp_east"],
        transfer_date=TRANSFER_DATE,
    )


def worker_identified(world) -> Transfer:
    return _act(world, agreed(world), "cin_tm", "identify_worker", worker=world.cin_sw)


def ready_to_complete(world) -> Transfer:
    transfer = _act(world, worker_identified(world), "cin_sw", "record_handover")
    for doc in ("chronology", "genogram", "child_plan", "cse_screening"):
        DocumentOnFile.objects.create(child=transfer.child, document_type=doc, dated=TODAY)
    authorise_summary(world, transfer)
    for item in ("file_checked_and_authorised", "files_audited_by_both_managers"):
        services.transfer_confirm_item(now=NOW, actor=world.ast_tm, transfer=transfer, item=item)
    services.transfer_confirm_item(
        now=NOW, actor=world.ast_sw, transfer=transfer, item="personal_information_complete"
    )
    services.transfer_sign_off(now=NOW, actor=world.ast_pm, transfer=transfer, kind=SignOffKind.SENDING_AUDIT)
    services.transfer_sign_off(
        now=NOW, actor=world.cin_tm, transfer=transfer, kind=SignOffKind.RECEIVING_AUDIT
    )
    return transfer


def blocked(world) -> Transfer:
    return _act(world, listed(world), "cin_tm", "block", reason="No capacity in the receiving team")


def escalated_1(world) -> Transfer:
    return _act(world, blocked(world), "ast_tm", "escalate", reason="Blocked for a week")


def escalated_2(world) -> Transfer:
    return _act(world, escalated_1(world), "service_manager", "escalate", reason="Needs the director")


# -- the call tried in each row ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    setup: Callable  # world -> Transfer (or None for propose)
    path: str  # "" (the transfers collection) or the detail route after /api/transfers/{id}/
    body: Callable  # (world, transfer) -> dict
    after: Callable  # (world, transfer before, response) -> None: what an allowed call must have done


def _action(name: str, target: str, **extra):
    def body(world, transfer):
        data = {"action": name, "version": transfer.version, "reason": "Recorded for the matrix test"}
        for key, value in extra.items():
            data[key] = value(world) if callable(value) else value
        return data

    def after(world, before, response):
        assert response.data["state"] == target
        assert response.data["version"] == before.version + 1
        stored = Transfer.objects.get(pk=before.pk)
        assert (stored.state, stored.version) == (target, before.version + 1)
        assert stored.events.last().action == name

    return body, after


def action_row(setup, name, target, **extra) -> Row:
    body, after = _action(name, target, **extra)
    return Row(setup, "actions/", body, after)


def sign_off_row(kind: str) -> Row:
    def after(world, before, response):
        assert response.data["kind"] == kind
        assert SignOff.objects.filter(transfer=before, kind=kind).count() == 1

    return Row(agreed, "sign-offs/", lambda world, transfer: {"kind": kind}, after)


def confirm_row(item: str) -> Row:
    def after(world, before, response):
        assert response.data["item"] == item
        assert ReadinessConfirmation.objects.filter(transfer=before, item=item).count() == 1

    return Row(agreed, "confirmations/", lambda world, transfer: {"item": item}, after)


def _propose_body(world, transfer):
    child = world.child("RM2", "Sol")
    return {
        "child": child.pk,
        "event": "assessment_concluded",
        "date": TODAY.isoformat(),
        "answers": CIN_PLAN,
    }


def _propose_after(world, before, response):
    assert len(response.data) == 1 and response.data[0]["state"] == "proposed"
    assert Transfer.objects.count() == 1


def _remedial_body(world, transfer):
    return {
        "description": "Chronology to be brought up to date",
        "owner": world.ast_sw.pk,
        "due": (TODAY + dt.timedelta(days=7)).isoformat(),
    }


def _remedial_after(world, before, response):
    assert RemedialAction.objects.filter(transfer=before).count() == 1


ROWS: dict[str, Row] = {
    "propose": Row(lambda world: None, "", _propose_body, _propose_after),
    "list": action_row(proposed_for_meeting, "list", "listed"),
    "refer_to_panel": action_row(proposed_for_panel, "refer_to_panel", "at_panel"),
    "request_agreement": action_row(proposed_for_agreement, "request_agreement", "awaiting_agreement"),
    "agree": action_row(
        listed,
        "agree",
        "agreed",
        to_team=lambda world: world.teams["cin_cp_east"].pk,
        transfer_date=TRANSFER_DATE.isoformat(),
    ),
    "decline": action_row(listed, "decline", "disputed"),
    "accept_decline": action_row(disputed, "accept_decline", "declined"),
    "uphold_decline": action_row(disputed, "uphold_decline", "declined"),
    "overrule_decline": action_row(disputed, "overrule_decline", "listed"),
    "withdraw": action_row(listed, "withdraw", "withdrawn"),
    "identify_worker": action_row(
        agreed, "identify_worker", "worker_identified", worker=lambda world: world.cin_sw.pk
    ),
    "record_handover": action_row(worker_identified, "record_handover", "handover_held"),
    # Before the agreed date: confirmed (the body gives the reason), as completing early needs (issue 12).
    "complete": action_row(ready_to_complete, "complete", "transferred", confirm_early=True),
    "block": action_row(listed, "block", "blocked"),
    "escalate": action_row(blocked, "escalate", "escalated"),
    "escalate_again": action_row(escalated_1, "escalate", "escalated"),
    "resolve_blocked": action_row(blocked, "resolve", "listed"),
    "resolve_at_level_1": action_row(escalated_1, "resolve", "listed"),
    "resolve_at_level_2": action_row(escalated_2, "resolve", "listed"),
    "sign_off_sending_audit": sign_off_row("sending_audit"),
    "sign_off_receiving_audit": sign_off_row("receiving_audit"),
    "confirm_team_manager_item": confirm_row("file_checked_and_authorised"),
    "confirm_social_worker_item": confirm_row("personal_information_complete"),
    "remedial_action": Row(agreed, "remedial-actions/", _remedial_body, _remedial_after),
}


def test_every_row_has_a_policy_and_every_allowed_name_is_a_person():
    assert set(ROWS) == set(ALLOWED)
    for name, allowed in ALLOWED.items():
        assert allowed <= set(STAFF), name


def _written(transfer: Transfer | None) -> dict:
    """Everything a refused call must leave as it was."""
    out = {
        "transfers": Transfer.objects.count(),
        "events": TransferEvent.objects.count(),
        "sign_offs": SignOff.objects.count(),
        "confirmations": ReadinessConfirmation.objects.count(),
        "remedial_actions": RemedialAction.objects.count(),
        "allocations": list(Allocation.objects.order_by("pk").values_list("pk", "end")),
        "audit": AuditEvent.objects.count(),
    }
    if transfer is not None:
        stored = Transfer.objects.get(pk=transfer.pk)
        out["transfer"] = (stored.state, stored.version, stored.escalation_level, stored.to_team_id)
    return out


@pytest.mark.parametrize(
    ("row", "person"),
    [(row, person) for row in ROWS for person in STAFF],
    ids=[f"{row}-{person}" for row in ROWS for person in STAFF],
)
def test_role_matrix(world, row, person):
    spec = ROWS[row]
    transfer = spec.setup(world)
    if transfer is not None:
        transfer.refresh_from_db()
    body = spec.body(world, transfer)
    url = "/api/transfers/" + (f"{transfer.pk}/{spec.path}" if transfer is not None else "")
    client = APIClient()
    client.force_authenticate(user=getattr(world, person).user)
    before = _written(transfer)

    response = client.post(url, body, format="json")

    if person in ALLOWED[row]:
        assert 200 <= response.status_code < 300, (response.status_code, response.data)
        spec.after(world, transfer, response)
    else:
        assert response.status_code == 403, (response.status_code, response.data)
        assert _written(transfer) == before
