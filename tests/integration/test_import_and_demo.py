"""CSV import is all-or-nothing with a row/column report; the demo builds a working synthetic authority."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from tests.integration.conftest import NOW, TODAY

from handover.audit.models import AuditEvent, Verb
from handover.children.models import Allocation, Child, FrontDoorContact
from handover.meetings.models import Meeting
from handover.onboarding.demo import build_demo
from handover.onboarding.importing import ImportFailed, import_csv
from handover.organisation.models import Membership, StaffMember
from handover.privacy.erasure import retention_review
from handover.transfers.models import Transfer

pytestmark = pytest.mark.django_db

STAFF = """username,name,email,role,team,service,start
jo.bloggs,Jo Bloggs,jo@example.invalid,social_worker,cin_cp_east,,2024-01-01
jo.bloggs,Jo Bloggs,jo@example.invalid,practice_manager,cin_cp_west,,2025-06-01
kim.lee,Kim Lee,kim@example.invalid,service_manager,,cin_cp,2023-04-01
"""

CASELOAD = """identifier,first_name,last_name,date_of_birth,expected_date_of_birth,disability,family,team,worker,allocation_start,legal_status,plan
P1,Rowan,Testley,2015-04-02,,no,Testley,cin_cp_east,jo.bloggs,2026-01-05,none,cin
P2,Sky,Testley,2017-09-30,,yes,Testley,cin_cp_east,jo.bloggs,2026-01-05,,cin
P3,Baby,Testley,,2027-03-01,,,assessment_east,,2026-11-01,,
"""


def test_staff_and_caseload_import(world):
    assert import_csv(now=NOW, authority=world.authority, kind="staff", text=STAFF) == 3
    jo = StaffMember.objects.get(user__username="jo.bloggs")
    assert set(Membership.objects.filter(staff=jo).values_list("role", flat=True)) == {
        "social_worker",
        "practice_manager",
    }
    assert import_csv(now=NOW, authority=world.authority, kind="caseload", text=CASELOAD) == 3
    rowan = Child.objects.get(identifier="P1")
    assert rowan.family == Child.objects.get(identifier="P2").family
    assert Allocation.objects.get(child=rowan).worker == jo
    assert Child.objects.get(identifier="P3").expected_date_of_birth.isoformat() == "2027-03-01"
    assert AuditEvent.objects.filter(verb=Verb.IMPORT).count() == 2


def test_import_is_all_or_nothing_with_row_and_column(world):
    bad = CASELOAD.replace("2017-09-30", "30/09/2017").replace("assessment_east", "atlantis")
    bad += "P1,Dup,Licate,2016-01-01,,maybe,,cin_cp_east,nobody,2026-01-05,s21,cin\n"
    with pytest.raises(ImportFailed) as failed:
        import_csv(now=NOW, authority=world.authority, kind="caseload", text=bad)
    problems = {(p.row, p.column) for p in failed.value.problems}
    assert {
        (3, "date_of_birth"),
        (4, "team"),
        (5, "identifier"),
        (5, "disability"),
        (5, "worker"),
        (5, "legal_status"),
    } <= problems
    assert "row 3, column date_of_birth: '30/09/2017' is not a date written YYYY-MM-DD" in [
        str(p) for p in failed.value.problems
    ]
    assert not Child.objects.filter(identifier__in=["P1", "P2", "P3"]).exists()  # nothing written


def test_unknown_and_missing_columns(world):
    with pytest.raises(ImportFailed) as failed:
        import_csv(now=NOW, authority=world.authority, kind="caseload", text="identifier,shoe_size\nX1,4\n")
    messages = [str(p) for p in failed.value.problems]
    assert "row 1, column shoe_size: unknown column" in messages
    assert "row 1, column team: required column missing" in messages


def test_import_command_reports_problems(world, tmp_path, capsys):
    path = tmp_path / "caseload.csv"
    path.write_text("identifier,first_name,last_name,team,allocation_start\nQ1,Al,Bee,nowhere,2026-01-01\n")
    with pytest.raises(Exception, match="nothing was imported"):
        call_command("import_csv", "caseload", str(path))
    assert "row 2, column team: no team 'nowhere'" in capsys.readouterr().err


@pytest.mark.parametrize("protocol", ["dorset", "central-bedfordshire"])
def test_demo_builds_a_working_authority(protocol):
    result = build_demo(now=NOW, protocol_name=protocol, size="small", password="demo-pass-123")
    # 300 open children, and 4 new ones awaiting the front door's decision, allocated to it meanwhile.
    assert result.children == Child.objects.filter(closed_on=None).count() == 304
    # And 3 closed years ago whose retention has ended: the retention review's work on the first morning.
    director = StaffMember.objects.filter(
        authority=result.authority, memberships__role="service_director"
    ).first()
    director.as_of = TODAY
    due = retention_review(director, TODAY).due
    assert len(due) == 3 and all(d.child.closed_on.year < 2020 and d.end.on <= TODAY for d in due)
    assert Allocation.objects.filter(end__isnull=True, kind="primary").count() == 304
    waiting = FrontDoorContact.objects.filter(outcome="open")
    assert waiting.count() == 4 and {c.team.service.kind for c in waiting} == {"front_door"}
    assert result.historic_transfers == 500
    assert result.open_transfers > 0
    live = Transfer.objects.exclude(protocol_version="demo")
    assert live.count() == result.open_transfers
    assert all(t.deadlines.exists() for t in live)
    # The coming sittings are stored, as the scheduled meetings_prepare would leave them (Central Bedfordshire's
    # protocol declares no transfer meeting: its managers agree transfers between them).
    sittings = Meeting.objects.filter(authority=result.authority, sits_on__gte=TODAY)
    assert sittings.exists() == (protocol == "dorset")
    with pytest.raises(ValueError, match="already has children's records"):
        build_demo(now=NOW, protocol_name=protocol, size="small")


def test_demo_if_empty_leaves_an_existing_authority_alone(capsys):
    call_command("demo", "--size", "small", "--password", "demo-pass-123", "--if-empty")
    assert Child.objects.count() == 307  # 304 open, 3 closed past retention
    call_command("demo", "--size", "small", "--if-empty")
    assert Child.objects.count() == 307
    assert "already has an authority" in capsys.readouterr().out
