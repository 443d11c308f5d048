"""Protocol versions are pinned (issue 9): a transfer is judged by the protocol version it started under, so a new
version of the file changes nothing for transfers under way until they are moved, explicitly and audited.

New versions are modified copies of dorset.yaml written to tmp_path (the numbered copy beside them): a longer
timescale, a renamed pathway, a stricter checklist item, a faster escalation ladder; or a pathway removed.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from tests.integration.conftest import CIN_PLAN, NOW, TODAY, at, listed_on

from handover.audit.models import AuditEvent, Verb
from handover.cli import main
from handover.domain.protocol.loader import PROTOCOLS_DIR, load_protocol
from handover.meetings.selectors import sheet_items, sitting_for
from handover.organisation.models import ProtocolVersion
from handover.organisation.protocol import current_version_read_once, protocol_for, protocol_for_transfer
from handover.organisation.services import (
    authority_sync_from_protocol,
    protocol_file_texts,
    protocol_publish,
)
from handover.transfers import services
from handover.transfers.models import Transfer, TransferEvent
from handover.transfers.protocol_versions import MOVE_ACTION

pytestmark = pytest.mark.django_db

DORSET = PROTOCOLS_DIR / "dorset.yaml"
SOURCE = PROTOCOLS_DIR / "dorset-transfer-protocol-2017.numbered.md"

# The edits that make a new version. Each old text occurs exactly once in dorset.yaml.
# Three weeks is no clause's: the authority makes it its own local setting (the loader refuses it otherwise).
LONGER_FORMAL_TRANSFER = (
    (
        "{id: formal_transfer, name: Formal transfer to the new team, after: transfer_meeting, within: 2 weeks,",
        "{id: formal_transfer, name: Formal transfer to the new team, after: transfer_meeting, "
        "within: 'local:formal_transfer',",
    ),
    (
        "\nlocal_settings:\n",
        "\nlocal_settings:\n  - id: formal_transfer\n    name: Formal transfer\n    value: 3 weeks\n"
        "    why: Three weeks while the teams are short-staffed.\n    cites: [D-179]\n",
    ),
)
SUPERVISION_RECORDS_BLOCK = (
    "    requires: {confirmed_by: team_manager}\n    blocking: false\n    cites: [D-044]\n",
    "    requires: {confirmed_by: team_manager}\n    cites: [D-044]\n",
)
FASTER_ESCALATION = (
    "    who: service_director\n    after: 10 working days\n",
    "    who: service_director\n    after: 7 working days\n",
)
WITHOUT_CHAD_PATHWAY = (
    "  - {id: assessment_to_chad, name: Assessment Team to CHAD, from: [assessment], to: {service: chad}, "
    "route: weekly_transfer_meeting, transfer_point: two weeks after the transfer meeting, timeline: "
    "weekly_meeting, cites: [D-011]}\n",
    "",
)
WITHOUT_CHAD_RULE = (
    """  - id: assessment_cin_plan_chad
    event: assessment_concluded
    when:
      all:
        - {fact: assessment_outcome, is: cin_plan}
        - {fact: child.disability, is: true}
        - {fact: chad_eligible, is: true}
    pathway: assessment_to_chad
    cites: [D-011]
""",
    "",
)
WITHOUT_CHAD_OVERRIDE = (
    "overrides: [assessment_cin_plan, assessment_cin_plan_chad, assessment_step_down,",
    "overrides: [assessment_cin_plan, assessment_step_down,",
)


def new_version(tmp_path: Path, *edits: tuple[str, str], rename: bool = False) -> Path:
    """A modified copy of dorset.yaml in its own folder, with the numbered copy beside it."""
    text = DORSET.read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    if rename:
        text = re.sub(r"\bassessment_to_cin_cp\b", "assessment_to_cin_and_cp", text)
    folder = tmp_path / f"v{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    shutil.copy(SOURCE, folder / SOURCE.name)
    path = folder / "dorset.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def changed(tmp_path) -> Path:
    """Formal transfer a week later, assessment_to_cin_cp renamed, supervision records blocking, escalation faster."""
    return new_version(
        tmp_path, *LONGER_FORMAL_TRANSFER, SUPERVISION_RECORDS_BLOCK, FASTER_ESCALATION, rename=True
    )


def publish(world, path: Path, now: dt.datetime = NOW) -> ProtocolVersion:
    text, clauses_text = protocol_file_texts(path)
    return protocol_publish(
        authority=world.authority,
        text=text,
        clauses_text=clauses_text,
        name=str(path),
        now=now,
        by=world.director,
    )


def propose(world, identifier: str, **answers) -> Transfer:
    child = world.child(identifier, identifier.title())
    return services.transfer_propose(
        now=NOW,
        actor=world.ast_sw,
        child=child,
        event="assessment_concluded",
        on=TODAY,
        answers=answers or CIN_PLAN,
    ).transfers[0]


def propose_chad(world, identifier: str) -> Transfer:
    """A disabled child eligible for CHAD: assessment_to_chad, on the weekly meeting's timeline too."""
    child = world.child(identifier, identifier.title())
    child.disability = True
    child.save()
    return services.transfer_propose(
        now=NOW,
        actor=world.ast_sw,
        child=child,
        event="assessment_concluded",
        on=TODAY,
        answers={"facts": {"assessment_outcome": "cin_plan", "chad_eligible": True}},
    ).transfers[0]


def deadlines(transfer: Transfer) -> dict[str, dt.date | None]:
    return {d.step: d.due for d in transfer.deadlines.all()}


def run(command: str, *args: str) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


# -- storing versions -----------------------------------------------------------------------------------------


def test_setting_up_an_authority_stores_its_files_version_once(world):
    bundled = load_protocol("dorset")
    stored = ProtocolVersion.objects.get(authority=world.authority)
    assert (stored.version, stored.sha256, stored.current) == (bundled.version, bundled.sha256, True)
    assert stored.text == DORSET.read_text(encoding="utf-8")
    assert stored.published_at is None and stored.published_by is None
    authority_sync_from_protocol(protocol_name="dorset")
    assert ProtocolVersion.objects.filter(authority=world.authority).count() == 1
    assert protocol_for(world.authority).version == bundled.version


def test_only_one_version_is_current(world, changed):
    publish(world, changed)
    assert ProtocolVersion.objects.filter(authority=world.authority, current=True).count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        ProtocolVersion.objects.filter(authority=world.authority).update(current=True)


def test_a_request_reads_the_current_version_once_and_sees_one_it_publishes(world, changed):
    """Within one request (`current_version_read_once`, as the request middleware opens it) the current version
    is asked of the database once; publishing a new one in the same request shows at once."""
    before = protocol_for(world.authority).version
    with current_version_read_once():
        with CaptureQueriesContext(connection) as asked:
            for _ in range(6):  # as a child's record asked it
                assert protocol_for(world.authority).version == before
        assert len(asked) == 1
        published = publish(world, changed)
        assert protocol_for(world.authority).version == published.version != before
    # Outside a request each call reads the database (a command or the sweep sees a new version at once).
    with CaptureQueriesContext(connection) as asked:
        protocol_for(world.authority)
        protocol_for(world.authority)
    assert len(asked) == 2


def test_another_authoritys_file_is_refused(world, tmp_path):
    from handover.domain.errors import ProtocolError

    path = PROTOCOLS_DIR / "central-bedfordshire.yaml"
    with pytest.raises(ProtocolError, match=r"authority\.id"):
        publish(world, path)
    assert ProtocolVersion.objects.filter(authority=world.authority).count() == 1


# -- a transfer keeps its version ------------------------------------------------------------------------------


def test_a_transfer_keeps_its_deadlines_readiness_and_ladder_when_a_new_version_is_published(world, changed):
    transfer = propose(world, "pinned")
    started_on = transfer.protocol_version
    before = deadlines(transfer)
    readiness_before = services.transfer_readiness(transfer, on=TODAY)

    row = publish(world, changed)
    assert protocol_for(world.authority).version == row.version != started_on
    assert protocol_for_transfer(transfer).version == started_on
    assert "assessment_to_cin_cp" not in protocol_for(world.authority).pathways

    # Acting recomputes deadlines, by the transfer's own version: nothing moves, the old pathway still works.
    transfer = services.transfer_act(
        now=at(TODAY, 12), actor=world.ast_tm, transfer=transfer, action="list", expected_version=1
    )
    assert transfer.pathway == "assessment_to_cin_cp"
    assert deadlines(transfer) == before
    readiness_after = services.transfer_readiness(transfer, on=TODAY)
    assert readiness_after == readiness_before
    supervision = next(i for i in readiness_after.items if i.id == "supervision_records")
    assert not supervision.blocks

    # The ladder is the old one: the service manager has ten working days before the director, not seven.
    blocked = services.transfer_act(
        now=at(TODAY, 13),
        actor=world.cin_tm,
        transfer=transfer,
        action="block",
        reason="No capacity",
        expected_version=transfer.version,
    )
    escalated = services.transfer_act(
        now=at(TODAY, 14),
        actor=world.ast_tm,
        transfer=blocked,
        action="escalate",
        reason="Blocked a week",
        expected_version=blocked.version,
    )
    ten_working_days = protocol_for_transfer(escalated).calendar.working_days_between(
        TODAY, escalated.escalations.get().due
    )
    assert ten_working_days == 10

    # A new proposal takes the new version: the renamed pathway and the longer formal transfer.
    fresh = propose(world, "fresh")
    assert (fresh.protocol_version, fresh.pathway) == (row.version, "assessment_to_cin_and_cp")
    assert deadlines(fresh)["formal_transfer"] > before["formal_transfer"]


def test_a_listed_case_on_a_renamed_pathway_stays_on_the_sheet(world, changed):
    listed = listed_on(world, "listed", dt.date(2026, 11, 23))
    publish(world, changed)
    meeting = sitting_for(authority=world.authority, on=dt.date(2026, 11, 23))
    assert [item.transfer for item in sheet_items(meeting)] == [listed]


def test_the_transfer_page_and_api_use_the_transfers_version(world, changed, client):
    transfer = propose(world, "paged")
    publish(world, changed)
    client.force_login(world.ast_sw.user)
    page = client.get(f"/transfers/{transfer.pk}/")
    assert page.status_code == 200
    assert f"{transfer.protocol_version.partition('+')[0]} version of the protocol" in page.content.decode()
    api = client.get(f"/api/transfers/{transfer.pk}/")
    assert api.status_code == 200
    assert api.json()["protocol_version"] == transfer.protocol_version
    supervision = next(i for i in api.json()["readiness"]["items"] if i["id"] == "supervision_records")
    assert supervision["blocking"] is False  # blocking only in the new version


def test_a_version_never_stored_falls_back_to_the_current_one(world):
    transfer = propose(world, "history")
    Transfer.objects.filter(pk=transfer.pk).update(protocol_version="demo")
    transfer.refresh_from_db()
    assert protocol_for_transfer(transfer) is protocol_for(world.authority)


# -- publish --------------------------------------------------------------------------------------------------


def test_publish_dry_run_reports_what_would_change_and_publishes_nothing(world, changed):
    transfer = propose(world, "reported")
    chad = propose_chad(world, "chad")
    old_due = deadlines(chad)["formal_transfer"]
    out = run("protocol_publish", str(changed), "--dry-run")
    new_version = load_protocol(changed).version
    assert f"is version {new_version}; the current version is {transfer.protocol_version}" in out
    assert f"Transfer {transfer.pk} (child reported, proposed, pathway assessment_to_cin_cp)" in out
    assert "route: pathway assessment_to_cin_cp → assessment_to_cin_and_cp" in out
    assert f"deadlines: pathway 'assessment_to_cin_cp' and its timeline are not in {new_version}" in out
    new_due = (old_due + dt.timedelta(weeks=1)).isoformat()
    assert (
        f"deadlines: formal_transfer (Formal transfer to the new team) {old_due.isoformat()} → {new_due}"
        in out
    )
    assert (
        "readiness: ~ supervision_records (Supervision records up to date) missing → missing, blocking" in out
    )
    assert (
        "escalation ladder: level 2: service_director after 10 working days (final) → service_director after "
        "7 working days (final)" in out
    )
    assert "not moved: pathway 'assessment_to_cin_cp' is not in" in out
    assert "1 would change, 1 cannot move to it" in out
    assert "Dry run: nothing published." in out
    assert ProtocolVersion.objects.filter(authority=world.authority).count() == 1
    assert protocol_for(world.authority).version == transfer.protocol_version


def test_publish_stores_the_version_audited_and_says_so(world, changed):
    propose(world, "audited")
    out = run("protocol_publish", str(changed), "--by", "dee_director")
    row = ProtocolVersion.objects.get(authority=world.authority, current=True)
    assert row.version == load_protocol(changed).version
    assert (row.published_at, row.published_by, row.name) == (NOW, world.director, str(changed))
    assert row.text == changed.read_text(encoding="utf-8")
    assert f"Published {row.version}" in out
    event = AuditEvent.objects.get(verb=Verb.PROTOCOL_PUBLISHED)
    assert (event.actor, event.at, event.object_id) == (world.director.user, NOW, str(row.pk))
    assert "nothing to publish" in run("protocol_publish", str(changed))


def test_publish_refuses_an_invalid_file_and_a_person_without_the_role(world, tmp_path, changed):
    broken = new_version(
        tmp_path, ("timeline: weekly_meeting, cites: [D-011]}", "timeline: nowhere, cites: [D-011]}")
    )
    with pytest.raises(CommandError, match="unknown timeline 'nowhere'"):
        run("protocol_publish", str(broken))
    with pytest.raises(CommandError, match="only an administrator"):
        run("protocol_publish", str(changed), "--by", "ava_assessment_sw")
    assert ProtocolVersion.objects.filter(authority=world.authority).count() == 1


def test_the_handover_command_runs_publish(world, changed, capsys):
    assert main(["protocol", "publish", str(changed), "--dry-run"]) == 0
    assert "Dry run: nothing published." in capsys.readouterr().out


# -- migrate-transfers ----------------------------------------------------------------------------------------


def test_migrate_moves_open_transfers_recomputes_deadlines_and_audits(world, tmp_path):
    transfer = propose(world, "moved")
    before = deadlines(transfer)
    old_version = transfer.protocol_version
    row = publish(world, new_version(tmp_path, *LONGER_FORMAL_TRANSFER))

    out = run("protocol_migrate_transfers", "--by", "dee_director")
    transfer.refresh_from_db()
    assert transfer.protocol_version == row.version
    assert transfer.version == 2
    after = deadlines(transfer)
    assert after["formal_transfer"] > before["formal_transfer"]
    # The formal transfer a week later, and what counts from it (the letters and introductions before it, the
    # worker five working days before it and so the handover meeting, D-025 with D-179); nothing else moves.
    moved = {
        "formal_transfer",
        "family_told",
        "introductions_planned",
        "receiving_worker_identified",
        "handover_meeting",
    }
    assert {k for k in after if after[k] != before[k]} == moved
    assert (
        f"deadlines: formal_transfer (Formal transfer to the new team) {before['formal_transfer'].isoformat()} → "
        f"{after['formal_transfer'].isoformat()}" in out
    )
    assert f"moved to {row.version}" in out and "moved 1, not moved 0" in out

    event = TransferEvent.objects.get(transfer=transfer, action=MOVE_ACTION)
    assert (event.actor, event.at, event.from_state, event.to_state) == (
        world.director,
        NOW,
        "proposed",
        "proposed",
    )
    assert event.data["from"] == old_version and event.data["to"] == row.version
    audit = AuditEvent.objects.get(verb=Verb.PROTOCOL_MIGRATED)
    assert (audit.actor, audit.child, audit.before["protocol_version"], audit.after["protocol_version"]) == (
        world.director.user,
        transfer.child,
        old_version,
        row.version,
    )
    # Run again: nothing left to move.
    assert "moved 0, not moved 0, already on it 1" in run(
        "protocol_migrate_transfers", "--by", "dee_director"
    )


def test_migrate_only_the_transfers_named(world, tmp_path):
    first, second = propose(world, "first"), propose(world, "second")
    row = publish(world, new_version(tmp_path, *LONGER_FORMAL_TRANSFER))
    out = run("protocol_migrate_transfers", "--by", "dee_director", "--transfer", str(second.pk), "999999")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.protocol_version, second.protocol_version) == (first.protocol_version, row.version)
    assert first.protocol_version != row.version
    assert "Transfer 999999: not an open transfer" in out


def test_migrate_needs_someone_with_the_role(world, tmp_path):
    propose(world, "guarded")
    publish(world, new_version(tmp_path, *LONGER_FORMAL_TRANSFER))
    with pytest.raises(CommandError, match="only an administrator"):
        run("protocol_migrate_transfers", "--by", "tom_assessment_tm")
    assert not TransferEvent.objects.filter(action=MOVE_ACTION).exists()


def test_a_removed_pathway_is_reported_and_the_transfer_keeps_working_on_its_version(world, tmp_path):
    chad = propose_chad(world, "chad")
    cin = propose(world, "cin")
    assert chad.pathway == "assessment_to_chad"
    old_version = chad.protocol_version
    before = deadlines(chad)
    removed = new_version(tmp_path, WITHOUT_CHAD_PATHWAY, WITHOUT_CHAD_RULE, WITHOUT_CHAD_OVERRIDE)

    report = run("protocol_publish", str(removed), "--dry-run")
    assert f"not moved: pathway 'assessment_to_chad' is not in {load_protocol(removed).version}" in report
    assert "route: rule assessment_cin_plan_chad → none" in report
    row = publish(world, removed)

    out = run("protocol_migrate_transfers", "--by", "dee_director")
    chad.refresh_from_db()
    cin.refresh_from_db()
    assert chad.protocol_version == old_version and cin.protocol_version == row.version
    assert f"Transfer {chad.pk} (child chad" in out and "not moved: pathway 'assessment_to_chad'" in out
    assert "moved 1, not moved 1" in out
    assert not TransferEvent.objects.filter(transfer=chad, action=MOVE_ACTION).exists()

    # The transfer goes on under its own version: listed, agreed, deadlines counted from what happened.
    chad = services.transfer_act(
        now=at(TODAY, 12), actor=world.ast_tm, transfer=chad, action="list", expected_version=chad.version
    )
    assert deadlines(chad) == before
    assert protocol_for_transfer(chad).pathways["assessment_to_chad"].to.service == "chad"
    assert services.transfer_readiness(chad, on=TODAY).items
