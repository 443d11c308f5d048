"""Documents on a child's file from the pages (issue 12): replacing one with a new version, what the child's record
shows of them (type in words, date, who added it, earlier versions), readiness counting only the current version,
the same replacement through the API, and the record's audit table naming people, not usernames."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from rest_framework.test import APIClient
from tests.integration.conftest import CIN_PLAN, NOW, TODAY
from tests.integration.test_child_pages import document_form, pdf, png, upload, writes
from tests.integration.test_child_record_rules import CHANGE

from handover.audit.models import AuditEvent, Verb
from handover.audit.services import audit_record
from handover.children import files
from handover.children.models import LETTER_DOCUMENT_TYPE, SUMMARY_DOCUMENT_TYPE, DocumentOnFile
from handover.children.services import child_record_add
from handover.domain.errors import AccessDenied, ApplicationError, Conflict
from handover.organisation.models import Membership
from handover.transfers import services
from handover.transfers.transfer_out import documents_to_send

pytestmark = pytest.mark.django_db

OLD = pdf() + b"% the first version\n"
NEW = pdf() + b"% the second version\n"


def signed_in(staff) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


def on_file(world, child, document_type="chronology", dated=dt.date(2026, 11, 20), content=OLD, **values):
    return child_record_add(
        now=NOW,
        actor=world.ast_sw,
        child=child,
        kind="documents",
        values={
            "document_type": document_type,
            "title": "",
            "dated": dated,
            "content": content,
            "content_type": "application/pdf" if content else "",
            **values,
        },
    )


def replace_url(document) -> str:
    return f"/children/{document.child_id}/documents/{document.pk}/replace/"


def replacement(file=None, **changes) -> dict:
    form = document_form(file, **changes)
    del form["document_type"]  # a new version keeps the type of the one it replaces
    return form


def section(page: str, heading: str) -> str:
    """The page from `heading` to the next second-level heading."""
    start = page.index(heading)
    end = page.find('<h2 class="govuk-heading-m"', start + 1)
    return page[start : end if end != -1 else None]


# -- replacing a document from the child's record -----------------------------------------------------------


def test_a_worker_replaces_a_document_and_the_old_one_stays_on_file_replaced(world):
    child = world.child("rp1", "Rue")
    old = on_file(world, child, title="Chronology to October")
    client = signed_in(world.ast_sw)

    record = client.get(f"/children/{child.pk}/").content.decode()
    assert f'href="/children/{child.pk}/documents/{old.pk}/replace/">Replace' in record

    form_page = client.get(replace_url(old))
    page = form_page.content.decode()
    assert form_page.status_code == 200
    assert '<h1 class="govuk-heading-l">Replace a document</h1>' in page
    assert "Chronology" in page and "20 November 2026" in page and "Chronology to October" in page
    viewed = AuditEvent.objects.filter(child=child, verb=Verb.CHILD_VIEWED).latest("pk")
    assert (viewed.detail, viewed.object_id) == ("replace a document page", str(old.pk))

    done = client.post(
        replace_url(old),
        replacement(upload("chronology.pdf", NEW), title="Chronology to November", **{"dated-day": "23"}),
    )
    assert done.status_code == 302 and done["Location"] == f"/children/{child.pk}/#documents"

    old.refresh_from_db()
    new = DocumentOnFile.objects.get(child=child, replaced_at__isnull=True)
    assert (new.document_type, new.title, new.dated, new.recorded_by) == (
        "chronology",
        "Chronology to November",
        dt.date(2026, 11, 23),
        world.ast_sw,
    )
    assert bytes(new.content) == NEW and new.content_type == "application/pdf" and new.recorded_at == NOW
    assert (old.replaced_by, old.replaced_at, old.replaced_by_staff) == (new, NOW, world.ast_sw)
    assert bytes(old.content) == OLD  # nothing overwritten
    assert list(DocumentOnFile.objects.current().filter(child=child)) == [new]

    # Audited: the new version written, and the old one marked replaced (before and after).
    added = AuditEvent.objects.get(child=child, verb=Verb.CHILD_CHANGED, object_id=str(new.pk))
    marked = AuditEvent.objects.get(
        child=child, verb=Verb.CHILD_CHANGED, object_id=str(old.pk), before__isnull=False
    )
    assert added.actor == world.ast_sw.user and added.after["document_type"] == "chronology"
    assert marked.before["replaced_by_id"] is None and marked.after["replaced_by_id"] == new.pk
    assert marked.detail == "Chronology dated 20 November 2026 replaced by a new version"

    record = client.get(f"/children/{child.pk}/").content.decode()
    assert "New version of the Chronology added to the child&#x27;s file." in record
    documents = section(record, 'id="documents"')
    assert documents.count('<tr class="govuk-table__row">') == 2  # the header and one current document
    assert "Chronology to November" in documents and "23 November 2026" in documents
    assert '<span class="govuk-details__summary-text">Earlier version (1)</span>' in documents
    assert "Replaced</strong>" in documents
    assert f'href="/documents/{old.pk}/">Chronology to October, dated 20 November 2026' in documents
    assert "Replaced on 24 November 2026 by Ava Assessment Sw." in documents
    assert f"/documents/{old.pk}/replace/" not in documents  # only the current version is offered

    # The old version is still downloadable by those who may see the record, and the download is audited.
    download = client.get(f"/documents/{old.pk}/")
    assert download.status_code == 200 and download.content == OLD
    read = AuditEvent.objects.filter(child=child, verb=Verb.DOCUMENT_READ).latest("pk")
    assert read.object_id == str(old.pk)


def test_a_chain_of_versions_lists_every_earlier_one_newest_first(world):
    child = world.child("rp2", "Rue")
    first = on_file(world, child, dated=dt.date(2026, 9, 1), title="September")
    second = files.document_replace(
        now=NOW, actor=world.ast_sw, document=first, dated=dt.date(2026, 10, 1), title="October", content=OLD
    )
    third = files.document_replace(
        now=NOW,
        actor=world.ast_tm,
        document=second,
        dated=dt.date(2026, 11, 1),
        title="November",
        content=NEW,
    )
    [filed] = files.documents_on_file(child)
    assert filed.document == third and filed.type_name == "Chronology" and filed.replaceable
    assert filed.earlier == [second, first]
    documents = section(
        signed_in(world.ast_tm).get(f"/children/{child.pk}/").content.decode(), 'id="documents"'
    )
    assert "Earlier versions (2)" in documents
    assert documents.index("October, dated 1 October 2026") < documents.index(
        "September, dated 1 September 2026"
    )
    assert "Replaced on 24 November 2026 by Tom Assessment Tm." in documents


@pytest.mark.parametrize("person, allowed, who", CHANGE)
def test_replace_is_offered_and_allowed_exactly_as_adding_a_document_is(world, person, allowed, who):
    child = world.child("rp3", "Rue")
    old = on_file(world, child)
    client = signed_in(getattr(world, person))
    record = client.get(f"/children/{child.pk}/")
    if record.status_code == 200:
        assert (f"/documents/{old.pk}/replace/" in record.content.decode()) is allowed, who
    page = client.get(replace_url(old))
    assert page.status_code == 200 if allowed else page.status_code in (403, 404), who
    before = writes()
    posted = client.post(replace_url(old), replacement(upload("c.pdf", NEW)))
    if allowed:
        assert posted.status_code == 302, who
        assert DocumentOnFile.objects.filter(child=child).count() == 2
    else:
        assert posted.status_code in (403, 404), who
        assert writes() == before
        with pytest.raises(AccessDenied):
            files.document_replace(now=NOW, actor=getattr(world, person), document=old, dated=TODAY)


def shows_error(response, anchor: str, message: str) -> None:
    page = response.content.decode()
    assert response.status_code == 400, page
    assert "<title>Error: Replace a document" in page
    assert f'<a href="#{anchor}">{message}</a>' in page, page[page.find("govuk-error-summary") :][:800]


@pytest.mark.parametrize(
    "form, anchor, message",
    [
        (replacement(), "file", "Select the file to upload"),
        (replacement(upload("c.pdf", png())), "file", "The selected file must be a PDF, DOCX, ODT, JPEG or PNG: "
         "c.pdf is named as a PDF but its contents are a PNG"),
        (replacement(upload("c.txt", b"notes", "text/plain")), "file",
         "The selected file must be a PDF, DOCX, ODT, JPEG or PNG"),
        (replacement(upload("c.pdf", NEW), **{"dated-day": "", "dated-month": "", "dated-year": ""}), "dated",
         "Enter the date of the document"),
        (replacement(upload("c.pdf", NEW), **{"dated-day": "25"}), "dated",
         "The date of the document must be today or in the past"),
        (replacement(upload("c.pdf", NEW), **{"dated-year": "0026"}), "dated",
         "The date of the document must have a four-digit year, like 2026"),
        (replacement(upload("c.pdf", NEW), title="t" * 201), "title", "Title must be 200 characters or less"),
    ],
)  # fmt: skip
def test_a_bad_replacement_names_the_field_and_the_rule_and_writes_nothing(world, form, anchor, message):
    child = world.child("rp4", "Rue")
    old = on_file(world, child)
    before = writes()
    shows_error(signed_in(world.ast_sw).post(replace_url(old), form), anchor, message)
    assert writes() == before
    old.refresh_from_db()
    assert old.replaced_at is None


def test_a_file_over_the_limit_is_refused_before_it_is_kept(world, settings):
    settings.HANDOVER_DOCUMENT_MAX_BYTES = 2048
    child = world.child("rp5", "Rue")
    old = on_file(world, child)
    before = writes()
    response = signed_in(world.ast_sw).post(
        replace_url(old), replacement(upload("big.pdf", NEW + b" " * 3000))
    )
    shows_error(response, "file", "The selected file must be 2 KB or smaller")
    assert writes() == before


def test_a_version_already_replaced_is_not_replaced_again(world):
    child = world.child("rp6", "Rue")
    old = on_file(world, child)
    files.document_replace(now=NOW, actor=world.ast_tm, document=old, dated=TODAY, content=NEW)
    client = signed_in(world.ast_sw)
    # A link from before: the record, with what happened, rather than a form for a version no longer current.
    stale = client.get(replace_url(old))
    assert stale.status_code == 302 and stale["Location"] == f"/children/{child.pk}/#documents"
    record = client.get(stale["Location"]).content.decode()
    assert "That version of the Chronology was already replaced on 24 November 2026." in record
    # A form loaded before someone else replaced it: refused, naming who, and nothing written.
    before = writes()
    response = client.post(replace_url(old), replacement(upload("c.pdf", NEW)))
    shows_error(
        response,
        "document",
        "This version of the Chronology was replaced on 24 November 2026 by Tom Assessment Tm: replace the "
        "current version from the child&#x27;s record",
    )
    assert writes() == before
    with pytest.raises(Conflict):
        files.document_replace(now=NOW, actor=world.ast_sw, document=old, dated=TODAY)


@pytest.mark.parametrize("document_type", [SUMMARY_DOCUMENT_TYPE, LETTER_DOCUMENT_TYPE])
def test_what_handover_writes_itself_is_not_replaced_by_an_upload(world, document_type):
    child = world.child("rp7", "Rue")
    written = DocumentOnFile.objects.create(
        child=child, document_type=document_type, dated=TODAY, content=OLD, content_type="application/pdf"
    )
    client = signed_in(world.ast_sw)
    documents = section(client.get(f"/children/{child.pk}/").content.decode(), 'id="documents"')
    assert f"/documents/{written.pk}/replace/" not in documents
    assert client.get(replace_url(written)).status_code == 404
    assert client.post(replace_url(written), replacement(upload("c.pdf", NEW))).status_code == 404
    with pytest.raises(ApplicationError) as refused:
        files.document_replace(now=NOW, actor=world.ast_sw, document=written, dated=TODAY)
    assert "written by Handover, not uploaded" in refused.value.errors["document"]


def test_another_childs_document_is_not_found_under_this_child(world):
    mine, theirs = world.child("rp8", "Rue"), world.child("rp9", "Ria")
    document = on_file(world, theirs)
    client = signed_in(world.ast_sw)
    assert client.get(f"/children/{mine.pk}/documents/{document.pk}/replace/").status_code == 404
    assert client.get(f"/children/{mine.pk}/documents/999999/replace/").status_code == 404


# -- what the child's record shows ----------------------------------------------------------------------------


def test_the_record_lists_each_document_with_its_type_in_words_its_date_and_who_added_it(world):
    child = world.child("rs1", "Rue")
    on_file(world, child, document_type="pep", dated=dt.date(2026, 11, 2))
    DocumentOnFile.objects.create(
        child=child, document_type="genogram", dated=dt.date(2026, 3, 4)
    )  # imported
    documents = section(
        signed_in(world.ast_sw).get(f"/children/{child.pk}/").content.decode(), 'id="documents"'
    )
    assert "app-table--stack" in documents  # rows stack on a small screen, each cell labelled
    for label in ("Document", "Type", "Dated", "Added"):
        assert f'data-label="{label}"' in documents
    rows = documents.split('<tr class="govuk-table__row">')[2:]
    assert "Personal Education Plan" in rows[0] and "2 November 2026" in rows[0]
    assert "24 November 2026 by Ava Assessment Sw" in rows[0] and ">pep<" not in rows[0]  # added today
    assert "Genogram" in rows[1] and "4 March 2026" in rows[1] and "(no file kept)" in rows[1]
    assert " by " not in re.sub(r"<[^>]+>", "", rows[1].split('data-label="Added"')[1])  # no one to name


# -- readiness and the referral count only the current version ---------------------------------------------


def test_readiness_counts_only_the_current_version(world):
    transfer = services.transfer_propose(
        now=NOW, actor=world.ast_sw, child=world.child("rr1", "Rue"), event="assessment_concluded", on=TODAY,
        answers=CIN_PLAN,
    ).transfers[0]  # fmt: skip
    child = transfer.child
    # Dated the 20th by mistake, then replaced by the right version of 1 October: the checklist reads the 1st.
    wrong = on_file(world, child, dated=dt.date(2026, 11, 20))
    files.document_replace(
        now=NOW, actor=world.ast_sw, document=wrong, dated=dt.date(2026, 10, 1), content=NEW
    )
    item = next(i for i in services.transfer_readiness(transfer, on=TODAY).items if i.id == "chronology")
    assert item.status == "met" and item.detail == "Chronology dated 2026-10-01 on file"
    transfer_page = signed_in(world.ast_sw).get(f"/transfers/{transfer.pk}/").content.decode()
    assert "Chronology dated 2026-10-01 on file" in transfer_page
    assert "2026-11-20" not in transfer_page
    sent = documents_to_send(transfer)
    assert [d.dated for d in sent if d.document_type == "chronology"] == [dt.date(2026, 10, 1)]


# -- the API --------------------------------------------------------------------------------------------------


def api_for(staff) -> APIClient:
    client = APIClient()
    client.force_authenticate(staff.user)
    return client


def test_the_api_replaces_a_document_by_the_same_rules(world):
    child = world.child("ra1", "Rue")
    old = on_file(world, child)
    api = api_for(world.ast_sw)
    url = f"/api/children/{child.pk}/documents/{old.pk}/replace/"
    future = api.post(url, {"dated": "2026-11-25"})
    assert future.status_code == 400 and "cannot be in the future" in future.json()["errors"]["dated"]
    assert api_for(world.cin_sw).post(url, {"dated": "2026-11-20"}).status_code in (403, 404)
    assert not DocumentOnFile.objects.filter(child=child, replaced_at__isnull=False).exists()

    done = api.post(url, {"dated": "2026-11-23", "title": "Chronology to November"})
    assert done.status_code == 201, done.json()
    body = done.json()
    assert (body["document_type"], body["dated"], body["replaced_by"]) == ("chronology", "2026-11-23", None)
    old.refresh_from_db()
    assert old.replaced_by_id == body["id"] and old.replaced_by_staff == world.ast_sw
    again = api.post(url, {"dated": "2026-11-23"})
    assert again.status_code == 409
    listed = {d["id"]: d for d in api.get(f"/api/children/{child.pk}/").json()["documents"]}
    assert listed[old.pk]["replaced_by"] == body["id"] and listed[old.pk]["replaced_at"]
    assert listed[body["id"]]["replaced_by"] is None
    other = world.child("ra2", "Ria")
    assert (
        api.post(
            f"/api/children/{other.pk}/documents/{body['id']}/replace/", {"dated": "2026-11-23"}
        ).status_code
        == 404
    )


# -- the record's audit table -------------------------------------------------------------------------------


def test_the_audit_table_names_each_person_with_their_role_not_their_username(world):
    child = world.child("ru1", "Rue")
    on_file(world, child)
    signed_in(world.ast_sw).get(f"/children/{child.pk}/")
    audit_record(at=NOW, actor=None, verb=Verb.SWEEP, child=child)  # the system, no person
    page = signed_in(world.ast_tm).get(f"/children/{child.pk}/").content.decode()
    audit = section(page, 'id="audit"')
    assert "app-table--stack" in audit and 'data-label="Who"' in audit
    assert (
        'Ava Assessment Sw<br><span class="govuk-body-s">Social worker, Assessment Team East</span>' in audit
    )
    assert (
        'Tom Assessment Tm<br><span class="govuk-body-s">Team manager, Assessment Team East</span>' in audit
    )
    assert "Handover (automatic)" in audit
    for username in ("ava_assessment_sw", "tom_assessment_tm", "system"):
        assert username not in audit


def test_the_audit_table_gives_the_role_held_on_the_day(world):
    """A worker who has since moved on is named with the role they held when they read the record."""
    child = world.child("ru2", "Rue")
    earlier = NOW - dt.timedelta(days=30)
    audit_record(at=earlier, actor=world.cin_sw, verb=Verb.CHILD_VIEWED, child=child)
    membership = Membership.objects.get(staff=world.cin_sw)
    membership.start = TODAY - dt.timedelta(days=60)
    membership.end = TODAY - dt.timedelta(days=10)
    membership.save()
    audit = section(signed_in(world.ast_tm).get(f"/children/{child.pk}/").content.decode(), 'id="audit"')
    assert 'Sam Cin Sw<br><span class="govuk-body-s">Social worker, ' in audit


def test_a_download_is_named_by_the_type_in_words_not_its_id(world):
    from handover.children.models import DocumentOnFile

    child = world.child("dl1", "Uma")
    document = DocumentOnFile.objects.create(
        child=child,
        document_type="child_and_family_assessment",
        dated=dt.date(2026, 11, 2),
        content=b"%PDF-1.4 synthetic",
        content_type="application/pdf",
    )
    client = Client()
    client.force_login(world.ast_sw.user)
    disposition = client.get(f"/documents/{document.pk}/")["Content-Disposition"]
    assert f'filename="child-and-family-assessment-maa-dl1-{document.pk}.pdf"' in disposition
