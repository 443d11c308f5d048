"""The data protection pages (issue 13 item 6): the retention review, erasing a record from it, and the subject
access export, each offered only to those the rulebook allows, with the reads audited and nothing changed by a
GET."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from tests.integration.conftest import at
from tests.integration.test_privacy import TWENTY_FIFTH, transferred_and_closed

from handover.audit.models import AuditEvent, Verb
from handover.children.models import Child

pytestmark = pytest.mark.django_db


def signed_in(staff) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


@pytest.fixture
def in_2041(settings):
    """The request clock on the day the child's retention ends."""
    settings.HANDOVER_FIXED_NOW = at(TWENTY_FIFTH)


def test_the_director_reviews_and_erases_a_record_from_the_retention_page(world, in_2041):
    child = transferred_and_closed(world)
    director = signed_in(world.director)

    page = director.get("/retention/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Zephyrine Testfamily" in text and "1 March 2041: the child&#x27;s 25th birthday" in text
    assert 'href="/retention/"' in text  # the navigation offers it
    listed = AuditEvent.objects.get(verb=Verb.CHILD_LISTED, detail="Retention review")
    assert listed.after == {"children": [child.pk]}

    form = director.get(f"/children/{child.pk}/erase/")
    assert form.status_code == 200 and "Transfer events" in form.content.decode()
    assert Child.objects.get(pk=child.pk).first_name == "Zephyrine"  # a GET changes nothing

    refused = director.post(f"/children/{child.pk}/erase/", {"confirm": "ZEPH", "reason": ""})
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "Enter the child&#x27;s number exactly" in body and "Enter why the record is being erased" in body
    assert 'href="#confirm"' in body and 'href="#reason"' in body

    done = director.post(
        f"/children/{child.pk}/erase/",
        {"confirm": "ZEPH-0001", "reason": "Review: no need to keep"},
        follow=True,
    )
    assert done.redirect_chain == [("/retention/", 302)]
    text = done.content.decode()
    assert "Record ZEPH-0001 erased" in text and "Zephyrine" not in text
    assert "No closed record has reached the end of its retention period" in text
    # The record is gone for everyone: its page and the erase page are "not found".
    assert director.get(f"/children/{child.pk}/").status_code == 404
    assert director.get(f"/children/{child.pk}/erase/").status_code == 404


def test_the_child_page_offers_erasure_only_once_retention_has_ended_and_only_to_those_who_may(
    world, settings
):
    child = transferred_and_closed(world)
    settings.HANDOVER_FIXED_NOW = at(TWENTY_FIFTH - dt.timedelta(days=1))
    early = signed_in(world.director).get(f"/children/{child.pk}/").content.decode()
    assert "Subject access export" in early and "Erase this record" not in early
    settings.HANDOVER_FIXED_NOW = at(TWENTY_FIFTH)
    due = signed_in(world.director).get(f"/children/{child.pk}/").content.decode()
    assert "Erase this record: its retention period has ended" in due
    manager = signed_in(world.cin_tm).get(f"/children/{child.pk}/").content.decode()
    assert "Data protection" not in manager and 'href="/retention/"' not in manager
    # The pages refuse those the links are not offered to.
    assert signed_in(world.cin_tm).get("/retention/").status_code == 403
    assert (
        signed_in(world.auditor).post(f"/children/{child.pk}/erase/", {"confirm": "ZEPH-0001"}).status_code
        == 403
    )
    assert signed_in(world.cin_tm).get(f"/children/{child.pk}/subject-access/").status_code == 403


def test_erasing_before_retention_ends_says_why_and_changes_nothing(world):
    child = transferred_and_closed(world)
    director = signed_in(world.director)
    page = director.get(f"/children/{child.pk}/erase/").content.decode()
    assert "This record cannot be erased: its retention period ends on 1 March 2041" in page
    refused = director.post(f"/children/{child.pk}/erase/", {"confirm": "ZEPH-0001", "reason": "Too soon"})
    assert refused.status_code == 400 and 'href="#erase"' in refused.content.decode()
    assert Child.objects.get(pk=child.pk).first_name == "Zephyrine"


def test_an_auditor_downloads_the_subject_access_export_and_each_download_is_audited(world):
    child = transferred_and_closed(world)
    auditor = signed_in(world.auditor)
    page = auditor.get(f"/children/{child.pk}/subject-access/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Transfer events" in text and "None yet." in text
    data = auditor.get(f"/children/{child.pk}/subject-access.json")
    assert data["Content-Disposition"] == 'attachment; filename="subject-access-ZEPH-0001-2026-11-24.json"'
    assert "no-store" in data["Cache-Control"]
    assert json.loads(data.content)["child"]["identifier"] == "ZEPH-0001"
    assert auditor.get(f"/children/{child.pk}/subject-access.exe").status_code == 404
    again = auditor.get(f"/children/{child.pk}/subject-access/").content.decode()
    assert "Subject access export (JSON), by Aud Auditor" in again
    assert (
        AuditEvent.objects.filter(child=child, verb=Verb.SUBJECT_ACCESS, actor=world.auditor.user).count()
        == 1
    )


def test_no_get_of_the_data_protection_pages_writes_anything_but_its_audit_rows(world, in_2041):
    """The walk of test_reads_never_write.py, as the director and as an auditor: no row changes but new audit
    rows, and every page or download that shows the child records the read."""
    from tests.integration.test_reads_never_write import _walk

    child = transferred_and_closed(world)
    urls = [
        ("web:retention", "/retention/"),
        ("web:subject_access", f"/children/{child.pk}/subject-access/"),
        *[
            ("web:subject_access_download", f"/children/{child.pk}/subject-access.{kind}")
            for kind in ("pdf", "json", "zip")
        ],
        ("web:erase", f"/children/{child.pk}/erase/"),
    ]
    children = list(Child.objects.filter(authority=world.authority))
    for person in (world.director, world.auditor):
        statuses: dict = {}
        client = Client(raise_request_exception=False)
        client.force_login(person.user)
        mine = urls if person is world.director else urls[:-1]  # erasure is not the auditor's
        assert _walk(client, mine, children, statuses) == []
        assert set(statuses.values()) == {200}, statuses
