"""Reads never write; every read is audited (issue 9, item 5).

Walks the whole URL configuration: every pattern is filled with the ids of a small world (a child on a compiled
early warning sheet, a sitting not compiled yet, a transfer with its summary, letters and a document on file, an
escalation, a case request, a bulk move, audit rows) and fetched with GET, as a signed-in manager, and the audit
endpoints also as an auditor. After each response:

(a) no row changed in any table but new audit rows: every model's rows are counted before and after, and the rows
    of every Handover model (and the users) are hashed;
(b) a response that shows a child's data wrote at least one audit row, naming every child it shows.

A pattern the walk cannot fill fails the test unless it is listed in NOT_FILLED with the reason, so a new URL is
never silently skipped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from tests.integration.conftest import NOW, TODAY, at, listed_on

from handover.audit.models import AuditEvent
from handover.children.models import Child, DocumentOnFile, InvolvedProfessional
from handover.children.secondary import secondary_allocation_start
from handover.children.services import child_record_add
from handover.documents.letters import letters_send
from handover.documents.transfer_summary import transfer_summary_authorise, transfer_summary_draft
from handover.meetings.models import Meeting, MeetingItem
from handover.meetings.services import (
    early_warning_sheet_compile,
    meeting_record_decision,
    meeting_sitting_schedule,
)
from handover.notifications.models import Notification
from handover.notifications.services import notify
from handover.transfers import services
from handover.transfers.bulk import bulk_transfer_request, bulk_transfer_run
from handover.transfers.case_requests import case_request_create
from handover.transfers.models import SignOffKind
from handover.web.meetings import PAPERS
from handover.web.propose import STEPS
from handover.web.transfer_out import ACTIONS as OUTWARD_ACTIONS
from handover.web.views import ACTION_LABELS

pytestmark = pytest.mark.django_db
MONDAY = dt.date(2026, 11, 23)

# Patterns the walk does not fill, each with the reason. Empty today: every pattern is filled.
NOT_FILLED: dict[tuple[str, frozenset[str]], str] = {
    # The walk reads as a manager of the Assessment Team, who is not front door staff (403 for all three);
    # test_front_door.py reads them as MASH staff and checks that a GET writes nothing but its audit row.
    ("web:front_door", frozenset()): "front door staff only: read in test_front_door.py",
    ("web:front_door_new", frozenset()): "front door staff only: read in test_front_door.py",
    ("web:front_door_close", frozenset({"pk"})): "front door staff only: read in test_front_door.py",
    # Senior managers only (403 to the walk's team manager): test_overview_page.py reads it as a service manager
    # and the director and checks that a GET writes nothing but its audit row.
    ("web:overview", frozenset()): "senior managers only: read in test_overview_page.py",
    # Every other address under /api/ (a catch-all, answered 404 in JSON): test_api_schema_attack.py sends it
    # unknown addresses and ids that are not numbers.
    ("api-not-found", frozenset()): "the API's catch-all 404: exercised in test_api_schema_attack.py",
    # Heads of service, the director and auditors only (403 to the walk's team manager):
    # test_privacy_pages.py walks them as the director and an auditor with this file's checks.
    **{
        (name, params): "data protection pages: walked in test_privacy_pages.py"
        for name, params in (
            ("web:retention", frozenset()),
            ("web:subject_access", frozenset({"pk"})),
            ("web:subject_access_download", frozenset({"pk", "kind"})),
            ("web:erase", frozenset({"pk"})),
        )
    },
    # Not found (404) while two-factor sign-in is off and single sign-on is not set up, as in the walk:
    # test_sign_in_hardening.py opens the set-up page with two-factor on and checks that its GET stores nothing;
    # test_oidc_sign_in.py runs single sign-on against a fake provider.
    ("web:two_factor_enrol", frozenset()): "two-factor sign-in only: read in test_sign_in_hardening.py",
    ("web:sso_start", frozenset()): "single sign-on only: run in test_oidc_sign_in.py",
    ("web:sso_callback", frozenset()): "single sign-on only: run in test_oidc_sign_in.py",
    (
        "web:front_door_contact_read",
        frozenset({"pk"}),
    ): "a POST only (405 to a GET): test_front_door.py posts it",
    **{
        (name, frozenset(params)): "front door staff only: read in test_front_door.py"
        for name, params in (
            ("front-door-contact-list", ()),
            ("front-door-contact-list", ("format",)),
            ("front-door-contact-close", ("pk",)),
            ("front-door-contact-close", ("pk", "format")),
            ("front-door-contact-detail", ("pk",)),
            ("front-door-contact-detail", ("pk", "format")),
        )
    },
}

# Patterns whose GET shows nothing to the manager, and why (each is still fetched and checked for writes).
NOTHING_TO_READ = {
    "web:sign_in": "signed in already: redirected",
    "web:sign_out": "signing out is a POST: a GET is redirected home",
    "web:transfer_sign_off": "a POST: a GET is redirected to the transfer",
    "web:transfer_letters": "a POST: a GET is redirected to the transfer",
    "web:remedial_action_mark": "a POST: a GET is redirected to the transfer",
    "web:transfer_step_done": "a POST: a GET is redirected to the transfer",
    "web:escalation_acknowledge": "a POST: a GET is redirected to the escalations",
    "web:letter_post": "a POST: a GET is redirected to the transfer",
    "web:two_factor_verify": "two-factor sign-in is off in the walk: redirected to where the person was going",
    "web:api_token_revoke": "a POST: a GET is redirected to the tokens page",
    "web:password_change": "the walk's manager has no password to change: redirected to their account page",
    "rest_framework:logout": "a POST (405)",
    "api-token": "a POST (405)",
    "audit-list": "for auditors (403 to the manager)",
    "audit-detail": "for auditors (403 to the manager)",
    **{
        name: "a POST (405)"
        for name in (
            "child-close",
            "child-documents",
            "child-document-replace",
            "child-key-events",
            "child-legal-statuses",
            "child-plans",
            "child-professionals",
            "child-reassign",
            "child-secondary-allocation-end",
            "transfer-recommend",
            "transfer-actions",
            "transfer-confirmations",
            "transfer-facts",
            "transfer-remedial-actions",
            "transfer-sign-offs",
            "transfer-letter-post",
            "transfer-remedial-action-done",
            "transfer-remedial-action-reopen",
            "transfer-step-done",
            "transfer-step-reopen",
            "escalation-acknowledge",
            "case-request-decide",
            "staff-registration",
        )
    },
}

# Fetched as an auditor as well (the audit trail is for auditors; a child's trail also for managers).
AUDITOR_PATTERNS = {"child-audit", "audit-list", "audit-detail"}


@pytest.fixture
def small(world):
    """One of everything a URL can name."""
    w = world
    # A case on the compiled sheet of Wednesday's sitting (cut-off Monday).
    listed = listed_on(w, "rnwlisted", MONDAY)
    meeting = meeting_sitting_schedule(authority=w.authority, on=MONDAY, now=NOW)
    (item,) = early_warning_sheet_compile(meeting=meeting, now=NOW)
    # A case blocked and escalated (on the sending team's escalations).
    blocked = listed_on(w, "rnwblocked", MONDAY)
    blocked = services.transfer_act(
        now=NOW,
        actor=w.cin_tm,
        transfer=blocked,
        action="block",
        expected_version=blocked.version,
        reason="No capacity in the receiving team",
    )
    services.transfer_act(
        now=NOW,
        actor=w.ast_tm,
        transfer=blocked,
        action="escalate",
        expected_version=blocked.version,
        reason="Blocked for a week",
    )
    # A case listed today: due on next week's sheet, which is scheduled but not compiled (the agenda shows it
    # as "not yet on the sheet"; reading it must not add it).
    listed_on(w, "rnwlater", TODAY)
    next_meeting = meeting_sitting_schedule(authority=w.authority, on=TODAY, now=NOW)
    assert next_meeting.pk != meeting.pk and not next_meeting.items.exists()
    # The summary authorised (a document on file), the case agreed at the meeting, a worker named, letters.
    summary = transfer_summary_draft(
        now=NOW, actor=w.ast_sw, transfer=listed, work_undertaken="Assessment completed."
    )
    transfer_summary_authorise(now=NOW, actor=w.ast_tm, summary=summary)
    meeting_record_decision(
        now=at(item.meeting.sits_on),
        actor=w.business_support,
        item=item,
        decision="agreed",
        decided_by=w.cin_tm,
        to_team=w.teams["cin_cp_east"],
        transfer_date=dt.date(2026, 12, 9),
    )
    listed.refresh_from_db()
    listed = services.transfer_act(
        now=NOW,
        actor=w.cin_tm,
        transfer=listed,
        action="identify_worker",
        expected_version=listed.version,
        worker=w.cin_sw,
    )
    InvolvedProfessional.objects.create(child=listed.child, name="Pat Example", role="School nurse")
    letters_send(now=NOW, actor=w.ast_sw, transfer=listed)
    services.remedial_action_create(
        now=NOW,
        actor=w.ast_tm,
        transfer=listed,
        description="Chronology up to date",
        owner=w.ast_tm,
        due=dt.date(2026, 12, 4),
    )
    # A case request, and a caseload moved in bulk (its results name the child).
    requested = w.child("rnwrequested", "Rnwrequested")
    case_request = case_request_create(
        now=NOW, actor=w.cin_tm, child=requested, requesting_team=w.teams["cin_cp_east"], reason="Ours now"
    )
    w.child("rnwbulk", "Rnwbulk", worker=w.ast_sw2)
    job = bulk_transfer_request(
        now=NOW,
        actor=w.ast_tm,
        from_team=w.teams["assessment_east"],
        from_worker=w.ast_sw2,
        to_team=w.teams["assessment_east"],
        to_worker=w.ast_sw,
        reason="Abe is leaving",
        reason_code="LEFTRL",
    )
    bulk_transfer_run(job_id=job.pk, now=NOW)
    job.refresh_from_db()
    assert job.results and job.results[0]["outcome"] == "moved", job.results
    # A notification for the manager who walks the pages (the header's count, the notifications page).
    notify(
        recipient=w.ast_tm,
        key="rnw:reminder",
        kind=Notification.Kind.DUE_SOON,
        title="Due soon: Chronology up to date",
        url=reverse("web:transfer", args=[listed.pk]),
        now=NOW,
        child=listed.child,
        transfer=listed,
    )
    plain = w.child("rnwplain", "Rnwplain")  # a child with no transfer: the record, propose, the panel page
    # A CSE and missing co-worker for the plain child (D-082): the record's section, its end page, the API's list.
    co_worker = secondary_allocation_start(
        now=NOW,
        actor=w.ast_tm,
        child=plain,
        purpose="cse_missing",
        team=w.teams["cin_cp_east"],
        worker=w.cin_sw,
        start=MONDAY,
        reason="MANAGE",
    )
    # A chronology on the plain child's file: the page that replaces it with a new version (and the API's).
    chronology = child_record_add(
        now=NOW,
        actor=w.ast_sw,
        child=plain,
        kind="documents",
        values={"document_type": "chronology", "dated": MONDAY, "content": b"%PDF-1.7\n%%EOF\n"},
    )
    # A family moving to another authority (D-185): the referral's pages and its bundle.
    outward = services.transfer_propose(
        now=NOW,
        actor=w.ast_sw,
        child=w.child("rnwout", "Rnwout"),
        event="moves_to_another_authority",
        on=MONDAY,
    ).transfers[0]

    child = listed.child
    team = w.teams["assessment_east"]
    event = AuditEvent.objects.filter(child=child).latest("pk")
    fill: dict[str, list[dict]] = {
        "web:home": [{}],
        "web:sign_in": [{}],
        "web:sign_out": [{}],
        "web:my_work": [{}],
        "web:search": [{}, {"?": "q=rnwlisted"}],
        "web:escalations": [{}],
        "web:escalation_acknowledge": [{"pk": e.pk} for e in blocked.escalations.all()],
        "web:notifications": [{}],
        "web:team": [{}],
        "web:team_detail": [{"pk": team.pk}],
        "web:protocol": [{}],
        "web:child": [{"pk": child.pk}, {"pk": plain.pk}],
        "web:child_edit": [{"pk": child.pk}],
        "web:document_new": [{"pk": child.pk}],
        "web:document_replace": [{"pk": plain.pk, "document_pk": chronology.pk}],
        "child-document-replace": [{"pk": plain.pk, "document_id": chronology.pk}],
        "web:secondary_allocation_new": [{"pk": plain.pk}],
        "web:secondary_allocation_end": [{"pk": plain.pk, "allocation_id": co_worker.pk}],
        "child-secondary-allocations": [{"pk": plain.pk}],
        "child-secondary-allocation-end": [{"pk": plain.pk, "allocation_id": co_worker.pk}],
        "web:propose": [{"pk": plain.pk}],
        "web:propose_step": [{"pk": plain.pk, "step": step} for step in STEPS],
        "web:transfer": [{"pk": listed.pk}, {"pk": blocked.pk}],
        "web:transfer_sign_off": [{"pk": listed.pk, "kind": kind} for kind in SignOffKind.values],
        "web:remedial_action_new": [{"pk": listed.pk}],
        "web:remedial_action_mark": [
            {"pk": listed.pk, "action_id": a.pk, "verb": verb}
            for a in listed.remedial_actions.all()
            for verb in ("done", "reopen")
        ],
        "web:transfer_step_done": [{"pk": listed.pk, "step": "introductions_planned"}],
        "web:transfer_step_reopen": [{"pk": listed.pk, "step": "introductions_planned"}],
        "web:transfer_summary": [{"pk": listed.pk}, {"pk": blocked.pk}],
        "web:transfer_summary_pdf": [{"pk": listed.pk}],
        "web:transfer_letters": [{"pk": listed.pk}],
        "web:letter_download": [
            {"pk": letter.pk, "fmt": fmt} for letter in listed.letters.all() for fmt in ("pdf", "docx")
        ],
        "web:letter_post": [{"pk": letter.pk} for letter in listed.letters.all()],
        "transfer-letter-post": [
            {"pk": listed.pk, "letter_id": letter.pk} for letter in listed.letters.all()
        ],
        "web:document_download": [
            {"pk": d.pk} for d in DocumentOnFile.objects.filter(child=child).exclude(content=None)
        ],
        "web:panel_decision": [{"pk": plain.pk}],
        "web:meetings": [{}],
        "web:meeting": [{"pk": meeting.pk}, {"pk": next_meeting.pk}],
        "web:meeting_item": [{"pk": meeting.pk, "item_pk": item.pk}],
        "web:meeting_late": [{"pk": meeting.pk}, {"pk": next_meeting.pk}],
        "web:meeting_close": [{"pk": meeting.pk}],
        "web:meeting_paper": [
            {"pk": m.pk, "paper": paper, "fmt": fmt} for m in (meeting, next_meeting) for paper, fmt in PAPERS
        ],
        "web:transfer_action": [
            {"pk": listed.pk, "action": action} for action in ACTION_LABELS if action not in OUTWARD_ACTIONS
        ],
        "web:transfer_send_referral": [{"pk": outward.pk}],
        "web:transfer_confirm_receipt": [{"pk": outward.pk}],
        "web:referral_bundle": [{"pk": outward.pk}],
        "team-list": [{}],
        "team-detail": [{"pk": team.pk}],
        "staff-list": [{}],
        "staff-detail": [{"pk": w.ast_sw.pk}],
        "staff-registration": [{"pk": w.ast_sw.pk}],
        "web:staff": [{"pk": w.ast_sw.pk}],
        "web:staff_registration": [{"pk": w.ast_sw.pk}],
        "web:account": [{}],
        "web:password_change": [{}],
        "web:password_reset": [{}],
        "web:password_reset_done": [{}],
        "web:password_reset_confirm": [{"uidb64": "MQ", "token": "not-a-reset-token"}],
        "web:password_reset_complete": [{}],
        "web:two_factor_verify": [{}],
        "web:api_tokens": [{}],
        "web:api_token_revoke": [{"pk": 1}],
        "child-list": [{}, {"?": "q=rnwlisted"}],
        "child-detail": [{"pk": child.pk}],
        **{
            f"child-{action}": [{"pk": child.pk}]
            for action in (
                "audit",
                "close",
                "documents",
                "key-events",
                "legal-statuses",
                "plans",
                "professionals",
                "reassign",
            )
        },
        "transfer-list": [{}],
        "transfer-recommend": [{}],
        "transfer-detail": [{"pk": listed.pk}],
        **{
            f"transfer-{action}": [{"pk": listed.pk}]
            for action in (
                "actions",
                "confirmations",
                "eligible-teams",
                "eligible-workers",
                "facts",
                "remedial-actions",
                "sign-offs",
            )
        },
        **{
            f"transfer-remedial-action-{verb}": [
                {"pk": listed.pk, "action_id": a.pk} for a in listed.remedial_actions.all()
            ]
            for verb in ("done", "reopen")
        },
        "transfer-step-done": [{"pk": listed.pk, "step": "introductions_planned"}],
        "transfer-step-reopen": [{"pk": listed.pk, "step": "introductions_planned"}],
        "escalation-list": [{}],
        "escalation-detail": [{"pk": e.pk} for e in blocked.escalations.all()],
        "escalation-acknowledge": [{"pk": e.pk} for e in blocked.escalations.all()],
        "notification-list": [{}],
        "notification-detail": [{"pk": n.pk} for n in Notification.objects.filter(recipient=w.ast_tm)],
        "case-request-list": [{}],
        "case-request-detail": [{"pk": case_request.pk}],
        "case-request-decide": [{"pk": case_request.pk}],
        "bulk-transfer-list": [{}],
        "bulk-transfer-detail": [{"pk": job.pk}],
        "audit-list": [{}],
        "audit-detail": [{"pk": event.pk}],
        "api-root": [{}],
        "api-token": [{}],
        "api-schema": [{}],
        "api-docs": [{}],
        "health": [{}],
        "rest_framework:login": [{}],
        "rest_framework:logout": [{}],
    }
    return w, fill


def _patterns(patterns=None, namespace=None):
    """Every URL pattern: its name (namespaced) and the names of the values it takes."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            inner = p.namespace and (f"{namespace}:{p.namespace}" if namespace else p.namespace)
            yield from _patterns(p.url_patterns, inner or namespace)
        elif isinstance(p, URLPattern):
            name = p.name and (f"{namespace}:{p.name}" if namespace else p.name)
            yield name, frozenset(p.pattern.regex.groupindex)


def _urls(fill) -> tuple[list[tuple[str, str]], list[tuple[str | None, frozenset[str]]]]:
    """The URLs to fetch (pattern name, URL), and the patterns that could not be filled."""
    urls, unfilled = [], []
    for name, params in _patterns():
        wanted = params - {"format"}
        filled = [values for values in fill.get(name, []) if set(values) - {"?"} == wanted]
        if not filled:
            if (name, params) not in NOT_FILLED:
                unfilled.append((name, params))
            continue
        for values in filled:
            kwargs = {k: v for k, v in values.items() if k != "?"}
            if "format" in params:
                kwargs["format"] = "json"
            url = reverse(name, kwargs=kwargs)
            if "?" in values:
                url += "?" + values["?"]
            if (name, url) not in urls:
                urls.append((name, url))
    return urls, unfilled


def _counts() -> dict[str, int]:
    return {m._meta.label: m._base_manager.count() for m in apps.get_models(include_auto_created=True)}


def _hashed_models():
    """Every Handover model's rows (histories included) and the users: audit rows are checked on their own (and
    each audit row moves its chain's head on)."""
    for model in apps.get_models(include_auto_created=True):
        if model._meta.app_label == "audit":
            continue
        if model._meta.app_config.name.startswith("handover.") or model is get_user_model():
            yield model


def _digest(queryset) -> str:
    rows = list(queryset.order_by("pk").values_list())
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def _state(audit_upto: int) -> dict[str, str]:
    state = {m._meta.label: _digest(m._base_manager.all()) for m in _hashed_models()}
    state["audit rows already there"] = _digest(AuditEvent.objects.filter(pk__lte=audit_upto))
    return state


def _json_children(data) -> set[int]:
    """Children a JSON response names by id: the value of every "child" key, at any depth."""
    found: set[int] = set()
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "child" and isinstance(value, int):
                found.add(value)
            else:
                found |= _json_children(value)
    elif isinstance(data, list):
        for value in data:
            found |= _json_children(value)
    return found


def _children_shown(response, children) -> set[int] | None:
    """The children a response shows (by identifier, full name, or id in a "child" field), or None for a
    download: every download here is a child's document or a meeting's papers."""
    if "attachment" in response.get("Content-Disposition", ""):
        return None
    body = response.content.decode("utf-8", errors="replace")
    shown = {c.pk for c in children if c.identifier in body or c.name in body}
    if response.get("Content-Type", "").startswith("application/json"):
        shown |= _json_children(json.loads(body or "null"))
    return shown


def _audited_children(rows) -> set[int]:
    named = set()
    for row in rows:
        if row.child_id:
            named.add(row.child_id)
        if isinstance(row.after, dict):
            named |= set(row.after.get("children", []))
    return named


def _walk(client: Client, urls, children, statuses: dict | None = None) -> list[str]:
    """Fetch each URL and say what went wrong: rows changed, a child's data shown unaudited, a server error."""
    problems = []
    statuses = {} if statuses is None else statuses
    for name, url in urls:
        counts = _counts()
        audit_upto = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        state = _state(audit_upto)
        response = client.get(url)
        where = f"GET {url} ({name}, {response.status_code})"
        statuses[name, url] = response.status_code
        if response.status_code >= 500:
            problems.append(f"{where}: server error")
        after = _counts()
        changed = {
            label: (counts[label], after[label])
            for label in counts
            if counts[label] != after[label]
            and not (label in ("audit.AuditEvent", "audit.AuditChainHead") and after[label] > counts[label])
        }
        if changed:
            problems.append(f"{where}: rows changed {changed}")
        now = _state(audit_upto)
        altered = sorted(label for label in state if state[label] != now[label])
        if altered:
            problems.append(f"{where}: rows changed in {altered}")
        written = list(AuditEvent.objects.filter(pk__gt=audit_upto))
        shown = _children_shown(response, children)
        if shown is None or shown:
            if not written:
                problems.append(f"{where}: shows a child's data but wrote no audit row")
            elif shown and not shown <= _audited_children(written):
                problems.append(
                    f"{where}: shows children {sorted(shown)} but its audit rows name "
                    f"{sorted(_audited_children(written))}"
                )
    return problems


def test_every_pattern_is_filled_or_listed_with_a_reason(small):
    _, fill = small
    _, unfilled = _urls(fill)
    assert unfilled == [], "fill these in `small` or list them in NOT_FILLED with the reason"
    stale = [key for key in NOT_FILLED if key not in set(_patterns())]
    assert stale == [], "NOT_FILLED names patterns that no longer exist"


def test_no_get_writes_and_every_read_of_a_child_is_audited(small):
    w, fill = small
    urls, _ = _urls(fill)
    assert len(urls) > 100  # every page, API list, detail and download
    children = list(Child.objects.filter(authority=w.authority))
    manager = Client(raise_request_exception=False)  # a server error is a problem listed, not the end
    manager.force_login(w.ast_tm.user)
    auditor = Client(raise_request_exception=False)
    auditor.force_login(w.auditor.user)
    meetings_before = list(Meeting.objects.values_list("pk", flat=True))
    items_before = MeetingItem.objects.count()
    statuses: dict[tuple[str, str], int] = {}
    problems = _walk(manager, urls, children, statuses)
    problems += _walk(auditor, [(n, u) for n, u in urls if n in AUDITOR_PATTERNS], children)
    assert problems == [], "\n".join(problems)
    # The walk read what it meant to: every pattern but those that show nothing on a GET answered 200 (so every
    # id it filled was found), and only the auditors' trail was refused to the manager.
    shown = {name for (name, _), status in statuses.items() if status == 200}
    assert set(fill) - shown == set(NOTHING_TO_READ), {k: v for k, v in statuses.items() if k[0] not in shown}
    refused = {key: status for key, status in statuses.items() if status in (403, 404)}
    assert {name for name, _ in refused} == {"audit-list", "audit-detail"}, refused
    # The issue's own cases: the meetings list scheduled nothing, and the uncompiled agenda compiled nothing.
    assert list(Meeting.objects.values_list("pk", flat=True)) == meetings_before
    assert MeetingItem.objects.count() == items_before


def test_the_walk_sees_the_mistakes_it_guards_against(small, monkeypatch):
    """The checks above would catch what they guard against: the meetings list scheduling the sittings it shows
    (as it did), and a page showing children without an audit row."""
    w, _ = small
    from handover.web import meetings as meeting_pages
    from handover.web import views

    def scheduling(*, authority, today):
        return [
            meeting_sitting_schedule(
                authority=authority, on=today, meeting_id="sixteen_plus_meeting", now=NOW
            )
        ]

    monkeypatch.setattr(meeting_pages, "coming_sittings", scheduling)
    monkeypatch.setattr(views, "audit_listing", lambda **kwargs: None)
    client = Client()
    client.force_login(w.ast_tm.user)
    children = list(Child.objects.filter(authority=w.authority))
    problems = _walk(client, [("web:meetings", "/meetings/"), ("web:my_work", "/my-work/")], children)
    assert len(problems) == 3, problems
    assert "GET /meetings/ (web:meetings, 200): rows changed {" in problems[0]
    assert "'meetings.Meeting': (2, 3)" in problems[0]
    # (and the sweep's count of changes to the authority's meetings, which the new sitting moved)
    assert (
        "rows changed in ['meetings.HistoricalMeeting', 'meetings.Meeting', 'sweep.MeetingsWatch']"
        in problems[1]
    )
    assert problems[2] == "GET /my-work/ (web:my_work, 200): shows a child's data but wrote no audit row"
