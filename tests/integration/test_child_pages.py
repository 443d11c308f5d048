"""The pages that change a child's record: "Change the child's details" and "Add a document" (web/children.py).

Who is offered them and who may use them (the rulebook's answer, the same the services enforce); every
message, naming its field and the rule; a file judged by its contents and its size; the document types in the
protocol's words; a step closed by the upload showing done at once; and nothing written on a refusal."""

from __future__ import annotations

import datetime as dt
import io
import struct
import zipfile
import zlib

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import MemoryFileUploadHandler
from django.test import Client
from tests.integration.conftest import NOW, TODAY
from tests.integration.test_child_record_rules import CHANGE

from handover.audit.models import AuditEvent, Verb
from handover.children.models import Child, DocumentOnFile
from handover.children.selectors import child_version
from handover.children.services import child_update
from handover.config.environment import Environment
from handover.organisation.protocol import protocol_for
from handover.transfers import services

pytestmark = pytest.mark.django_db
TEN_MB = 10 * 1024 * 1024


def signed_in(staff, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(staff.user)
    return client


# -- files of each kind, made here (no fixtures on disk) ------------------------------------------------------


def png() -> bytes:
    """A real 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff"))
        + chunk(b"IEND", b"")
    )


def pdf() -> bytes:
    return b"%PDF-1.7\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"


def jpeg() -> bytes:
    return (
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"
    )


def zipped(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            kind = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            archive.writestr(name, data, compress_type=kind)
    return buffer.getvalue()


def docx() -> bytes:
    return zipped(
        {
            "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
            "_rels/.rels": b'<?xml version="1.0"?><Relationships/>',
            "word/document.xml": b'<?xml version="1.0"?><w:document/>',
        }
    )


def odt() -> bytes:
    return zipped(
        {
            "mimetype": b"application/vnd.oasis.opendocument.text",
            "content.xml": b'<?xml version="1.0"?><office:document-content/>',
            "META-INF/manifest.xml": b'<?xml version="1.0"?><manifest:manifest/>',
        }
    )


ACCEPTED = [
    ("plan.pdf", pdf, "application/pdf", "pdf"),
    ("plan.docx", docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    ("plan.odt", odt, "application/vnd.oasis.opendocument.text", "odt"),
    ("photo.JPG", jpeg, "image/jpeg", "jpg"),
    ("genogram.png", png, "image/png", "png"),
]


def upload(name: str, content: bytes, browser_says: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=browser_says)


def document_form(file=None, **changes) -> dict:
    form = {
        "document_type": "chronology",
        "title": "",
        "dated-day": "20",
        "dated-month": "11",
        "dated-year": "2026",
    }
    if file is not None:
        form["file"] = file
    return form | changes


def details_form(child: Child, **changes) -> dict:
    """The edit form as the page shows it for `child`, with `changes` typed over it."""
    form = {
        "version": str(child_version(child)),
        "first_name": child.first_name,
        "last_name": child.last_name,
        "gender": child.gender,
        "ethnicity": child.ethnicity,
        "disability": {True: "yes", False: "no", None: "not_known"}[child.disability],
        "asylum_status": child.asylum_status,
        "address": child.address,
        "locality": child.locality,
        "school": child.school,
    }
    for field in ("date_of_birth", "expected_date_of_birth"):
        day = getattr(child, field)
        form |= {
            f"{field}-day": str(day.day) if day else "",
            f"{field}-month": str(day.month) if day else "",
            f"{field}-year": str(day.year) if day else "",
        }
    return form | changes


def writes() -> dict:
    """What a refused request must leave as it was."""
    return {
        "audit rows": AuditEvent.objects.count(),
        "documents": DocumentOnFile.objects.count(),
        "child history": Child.history.count(),
    }


def shows_error(response, anchor: str, message: str) -> None:
    page = response.content.decode()
    assert response.status_code == 400, page
    assert "There is a problem" in page
    assert f'<a href="#{anchor}">{message}</a>' in page, page[page.find("govuk-error-summary") :][:800]


# -- who is offered the pages, and who may use them -----------------------------------------------------------


@pytest.mark.parametrize("person, allowed, who", CHANGE)
def test_the_pages_are_offered_and_open_exactly_to_those_the_rulebook_lets_change_the_record(
    world, person, allowed, who
):
    child = world.child("cp1", "Cora")
    client = signed_in(getattr(world, person))
    record = client.get(f"/children/{child.pk}/")
    if record.status_code == 200:
        page = record.content.decode()
        assert (f'href="/children/{child.pk}/edit/">Change the child\'s details</a>' in page) is allowed, who
        assert (f'href="/children/{child.pk}/documents/new/"' in page) is allowed, who
    else:  # an administrator never sees a child's record
        assert not allowed and record.status_code == 404, who
    for url in (f"/children/{child.pk}/edit/", f"/children/{child.pk}/documents/new/"):
        response = client.get(url)
        if allowed:
            assert response.status_code == 200, (who, url)
        else:
            assert response.status_code in (403, 404), (who, url)


@pytest.mark.parametrize("person", ["cin_sw", "auditor", "lac_tm"])
def test_a_post_by_someone_the_rulebook_refuses_writes_nothing(world, person):
    child = world.child("cp2", "Cora")
    client = signed_in(getattr(world, person))
    before = writes()
    edit = client.post(f"/children/{child.pk}/edit/", details_form(child, first_name="Changed"))
    add = client.post(f"/children/{child.pk}/documents/new/", document_form(upload("plan.pdf", pdf())))
    assert (edit.status_code, add.status_code) == (403, 403)
    assert writes() == before
    child.refresh_from_db()
    assert child.first_name == "Cora"


def test_a_restricted_record_is_not_there_for_the_pages_either(world):
    secret = world.child("cp3", "Cora", restricted=True)
    client = signed_in(world.cin_sw)
    assert client.get(f"/children/{secret.pk}/edit/").status_code == 404
    assert client.get(f"/children/{secret.pk}/documents/new/").status_code == 404


# -- changing the child's details -----------------------------------------------------------------------------


def test_the_details_are_saved_and_the_change_is_audited_by_the_service(world):
    child = world.child("cd1", "Dora", school="Old School")
    client = signed_in(world.ast_sw)
    form = client.get(f"/children/{child.pk}/edit/")
    page = form.content.decode()
    assert (
        form.status_code == 200
        and '<h1 class="govuk-heading-l" id="details" tabindex="-1">Change the child\'s details</h1>' in page
    )
    assert 'value="Old School"' in page and 'value="2016"' in page  # the saved details, in the boxes
    assert "White British" in page and "Gypsy or Roma" in page  # ethnicity in words
    viewed = AuditEvent.objects.filter(child=child, verb=Verb.CHILD_VIEWED).latest("pk")
    assert viewed.detail == "change the child's details page" and viewed.actor == world.ast_sw.user

    response = client.post(
        f"/children/{child.pk}/edit/",
        details_form(
            child,
            first_name=" Dorothy ",
            school="Hillside Academy",
            ethnicity="WROM",
            disability="not_known",
            asylum_status="leave_to_remain",
            address="1 High Street\r\nDorchester",
            **{"date_of_birth-day": "2", "date_of_birth-month": "3", "date_of_birth-year": "2016"},
        ),
    )
    assert response.status_code == 302 and response["Location"] == f"/children/{child.pk}/"
    child.refresh_from_db()
    assert (child.first_name, child.school, child.ethnicity, child.disability, child.asylum_status) == (
        "Dorothy",
        "Hillside Academy",
        "WROM",
        None,
        "leave_to_remain",
    )
    assert child.date_of_birth == dt.date(2016, 3, 2) and child.address == "1 High Street\nDorchester"
    changed = AuditEvent.objects.filter(child=child, verb=Verb.CHILD_CHANGED, object_id=str(child.pk)).get()
    assert changed.actor == world.ast_sw.user and changed.at == NOW
    assert (changed.before["first_name"], changed.after["first_name"]) == ("Dora", "Dorothy")
    assert (changed.before["date_of_birth"], changed.after["date_of_birth"]) == ("2016-03-01", "2016-03-02")
    record = client.get(f"/children/{child.pk}/").content.decode()
    assert "The child&#x27;s details are saved." in record
    assert "Gypsy or Roma" in record and ">WROM<" not in record  # the record shows the words too


def test_an_ethnicity_code_outside_the_census_is_kept_as_recorded(world):
    child = world.child("cd7", "Dora", ethnicity="ASIA")  # as the demo's and some imports' records hold
    client = signed_in(world.ast_sw)
    page = client.get(f"/children/{child.pk}/edit/").content.decode()
    assert '<option value="ASIA" selected>ASIA (as recorded; not a census category)</option>' in page
    assert client.post(f"/children/{child.pk}/edit/", details_form(child, school="Hill")).status_code == 302
    child.refresh_from_db()
    assert (child.ethnicity, child.school) == ("ASIA", "Hill")


def test_saving_the_details_unchanged_writes_nothing(world):
    child = world.child("cd2", "Dora")
    client = signed_in(world.ast_sw)
    before = writes()
    response = client.post(f"/children/{child.pk}/edit/", details_form(child))
    assert response.status_code == 302 and writes() == before


def test_an_unborn_child_needs_only_the_expected_date(world):
    child = world.child("cd3", "Baby")
    response = signed_in(world.ast_tm).post(
        f"/children/{child.pk}/edit/",
        details_form(
            child,
            **{"date_of_birth-day": "", "date_of_birth-month": "", "date_of_birth-year": ""},
            **{
                "expected_date_of_birth-day": "9",
                "expected_date_of_birth-month": "2",
                "expected_date_of_birth-year": "2027",
            },
        ),
    )
    assert response.status_code == 302
    child.refresh_from_db()
    assert (child.date_of_birth, child.expected_date_of_birth) == (None, dt.date(2027, 2, 9))


TOMORROW = TODAY + dt.timedelta(days=1)
DETAIL_ERRORS = [
    ({"first_name": "  "}, "first_name", "Enter the child&#x27;s first name"),
    ({"last_name": ""}, "last_name", "Enter the child&#x27;s last name"),
    ({"first_name": "x" * 101}, "first_name", "First name must be 100 characters or less"),
    ({"school": "Saint\x00Mary"}, "school", "School must not contain the null character (U+0000)"),
    ({"address": "a" * 1001}, "address", "Address must be 1,000 characters or less"),
    (
        {"date_of_birth-day": "31", "date_of_birth-month": "2", "date_of_birth-year": "2016"},
        "date_of_birth",
        "The date of birth must be a real date, like 27 3 2015",
    ),
    (
        {"date_of_birth-year": "16"},
        "date_of_birth",
        "The date of birth must be a real date, like 27 3 2015",
    ),
    (
        {"date_of_birth-day": "1\x00"},
        "date_of_birth",
        "The date of birth must be a real date, like 27 3 2015",
    ),
    (
        {"date_of_birth-month": ""},
        "date_of_birth",
        "The date of birth must include a day, a month and a year",
    ),
    (
        {
            "date_of_birth-day": str(TOMORROW.day),
            "date_of_birth-month": str(TOMORROW.month),
            "date_of_birth-year": str(TOMORROW.year),
        },
        "date_of_birth",
        "The date of birth must be today or in the past",
    ),
    (
        {"date_of_birth-day": "", "date_of_birth-month": "", "date_of_birth-year": ""},
        "date_of_birth",
        "Enter the date of birth, or the expected date of birth if the child is not born yet",
    ),
    (
        {
            "expected_date_of_birth-day": "40",
            "expected_date_of_birth-month": "1",
            "expected_date_of_birth-year": "2027",
        },
        "expected_date_of_birth",
        "The expected date of birth must be a real date, like 9 2 2027",
    ),
    ({"ethnicity": "XXXX"}, "ethnicity", "Select the child&#x27;s ethnicity from the list"),
    (
        {"disability": "maybe"},
        "disability",
        "Select whether the child has a disability: yes, no or not known",
    ),
    ({"asylum_status": "settled"}, "asylum_status", "Select the child&#x27;s asylum status from the list"),
    (
        {"version": "not-a-number"},
        "details",
        "The page&#x27;s version of the child&#x27;s details is not a whole number: reload the page and try again",
    ),
]


@pytest.mark.parametrize("changes, anchor, message", DETAIL_ERRORS)
def test_each_bad_detail_is_named_in_the_error_summary_and_nothing_is_written(
    world, changes, anchor, message
):
    child = world.child("cd4", "Dora")
    before = writes()
    response = signed_in(world.ast_sw).post(f"/children/{child.pk}/edit/", details_form(child, **changes))
    shows_error(response, anchor, message)
    assert writes() == before
    page = response.content.decode()
    assert "<title>Error: Change the child" in page
    typed = next(iter(changes.values())).replace("\x00", "")
    if anchor in ("first_name", "school", "date_of_birth") and typed.strip() and len(typed) < 100:
        assert typed in page  # what was typed is shown again, to correct


def test_a_stale_version_is_refused_and_the_form_shows_the_details_as_saved(world):
    child = world.child("cd5", "Dora", school="Old School")
    stale = details_form(child, first_name="Dorothy")
    child_update(actor=world.ast_tm, child=child, values={"school": "New School"}, now=NOW)  # meanwhile
    before = writes()
    response = signed_in(world.ast_sw).post(f"/children/{child.pk}/edit/", stale)
    shows_error(
        response,
        "details",
        "Someone else changed the child&#x27;s details since you opened this page. The form now shows them as "
        "saved: make your changes again",
    )
    assert writes() == before
    child.refresh_from_db()
    assert (child.first_name, child.school) == ("Dora", "New School")  # neither change lost
    page = response.content.decode()
    assert 'value="New School"' in page and f'name="version" value="{child_version(child)}"' in page
    again = signed_in(world.ast_sw).post(
        f"/children/{child.pk}/edit/", details_form(child, first_name="Dorothy")
    )
    assert again.status_code == 302
    child.refresh_from_db()
    assert (child.first_name, child.school) == ("Dorothy", "New School")


def test_a_form_shown_again_for_its_errors_keeps_the_version_it_was_loaded_at(world):
    child = world.child("cd8", "Dora", school="Old School")
    loaded = child_version(child)
    child_update(actor=world.ast_tm, child=child, values={"school": "New School"}, now=NOW)  # meanwhile
    client = signed_in(world.ast_sw)
    mistake = client.post(
        f"/children/{child.pk}/edit/", details_form(child, version=str(loaded), first_name="")
    )
    assert f'name="version" value="{loaded}"' in mistake.content.decode()  # not the new one
    corrected = client.post(
        f"/children/{child.pk}/edit/",
        details_form(child, version=str(loaded), first_name="Dorothy", school="Old School"),
    )
    assert corrected.status_code == 400 and "Someone else changed" in corrected.content.decode()
    child.refresh_from_db()
    assert (child.first_name, child.school) == ("Dora", "New School")


def test_the_service_refuses_a_stale_version_for_any_caller(world):
    from handover.domain.errors import Conflict

    child = world.child("cd6", "Dora")
    version = child_version(child)
    child_update(actor=world.ast_sw, child=child, values={"school": "A"}, now=NOW, expected_version=version)
    with pytest.raises(Conflict, match="changed by someone else"):
        child_update(
            actor=world.ast_sw, child=child, values={"school": "B"}, now=NOW, expected_version=version
        )
    child.refresh_from_db()
    assert child.school == "A"


# -- adding a document ----------------------------------------------------------------------------------------


def test_the_document_types_are_the_protocols_in_words(world):
    child = world.child("dt1", "Eve")
    response = signed_in(world.ast_sw).get(f"/children/{child.pk}/documents/new/")
    page = response.content.decode()
    assert response.status_code == 200
    types = protocol_for(world.authority).document_types
    offered = {type_id: kind.name for type_id, kind in types.items() if type_id != "transfer_summary"}
    for type_id, name in offered.items():
        assert f'<option value="{type_id}">{name}</option>' in page.replace("&#x27;", "'")
    assert page.count("<option value=") == len(offered) + 1  # and a "Choose" option, nothing else
    assert 'value="transfer_summary"' not in page  # authorised on the transfer's summary page, not uploaded
    assert ">pep<" not in page and ">Personal Education Plan<" in page  # words, never ids
    assert "A PDF, DOCX, ODT, JPEG or PNG, 10 MB or smaller." in page
    viewed = AuditEvent.objects.filter(child=child, verb=Verb.CHILD_VIEWED).latest("pk")
    assert viewed.detail == "add a document page"


@pytest.mark.parametrize("name, make, content_type, extension", ACCEPTED)
def test_each_accepted_kind_goes_on_file_audited_and_downloads_as_itself(
    world, name, make, content_type, extension
):
    child = world.child("dk1", "Eve")
    client = signed_in(world.ast_sw)
    content = make()
    response = client.post(
        f"/children/{child.pk}/documents/new/",
        document_form(upload(name, content, "application/octet-stream"), title="Chronology to November"),
    )
    assert response.status_code == 302 and response["Location"] == f"/children/{child.pk}/"
    document = DocumentOnFile.objects.get(child=child)
    assert bytes(document.content) == content and document.content_type == content_type
    assert (document.document_type, document.dated, document.recorded_by) == (
        "chronology",
        dt.date(2026, 11, 20),
        world.ast_sw,
    )
    added = AuditEvent.objects.get(child=child, verb=Verb.CHILD_CHANGED, object_id=str(document.pk))
    assert added.actor == world.ast_sw.user and added.after["document_type"] == "chronology"
    assert "content" not in added.after  # the bytes are on the row, not copied into the audit trail
    record = client.get(f"/children/{child.pk}/").content.decode()
    assert "Chronology added to the child&#x27;s file." in record and "Chronology to November" in record
    download = client.get(f"/documents/{document.pk}/")
    assert download.content == content and download["Content-Type"] == content_type
    assert download["Content-Disposition"].endswith(f'.{extension}"')
    # Saved under the type in words, not its id.
    assert f'filename="chronology-{child.identifier}-{document.pk}.' in download["Content-Disposition"]


RULE = "The selected file must be a PDF, DOCX, ODT, JPEG or PNG"
UPLOAD_ERRORS = [
    (document_form(), "file", "Select the file to upload"),
    (document_form(upload("empty.pdf", b"")), "file", "The selected file is empty"),
    (document_form(upload("notes.txt", b"some notes", "text/plain")), "file", RULE),
    (document_form(upload("noextension", pdf())), "file", RULE),
    (
        document_form(upload("report.pdf", b"MZ\x90\x00 a program, not a PDF")),
        "file",
        f"{RULE}: report.pdf is named as a PDF but its contents are not a PDF",
    ),
    (
        document_form(upload("genogram.pdf", png())),
        "file",
        f"{RULE}: genogram.pdf is named as a PDF but its contents are a PNG",
    ),
    (
        document_form(upload("plan.docx", zipped({"readme.txt": b"not a word document"}))),
        "file",
        f"{RULE}: plan.docx is named as a DOCX but its contents are not a DOCX",
    ),
    (
        document_form(upload("plan.odt", docx())),
        "file",
        f"{RULE}: plan.odt is named as an ODT but its contents are a DOCX",
    ),
    (
        document_form(upload("plan.pdf", pdf()), document_type=""),
        "document_type",
        "Select the type of document",
    ),
    (
        document_form(upload("plan.pdf", pdf()), document_type="horoscope"),
        "document_type",
        "Select the type of document from the list",
    ),
    (
        document_form(upload("plan.pdf", pdf()), document_type="transfer_summary"),
        "document_type",
        "Select the type of document from the list",
    ),
    (
        document_form(upload("plan.pdf", pdf()), **{"dated-day": "", "dated-month": "", "dated-year": ""}),
        "dated",
        "Enter the date of the document",
    ),
    (
        document_form(upload("plan.pdf", pdf()), **{"dated-day": "30", "dated-month": "2"}),
        "dated",
        "The date of the document must be a real date, like 20 11 2026",
    ),
    (
        document_form(
            upload("plan.pdf", pdf()),
            **{
                "dated-day": str(TOMORROW.day),
                "dated-month": str(TOMORROW.month),
                "dated-year": str(TOMORROW.year),
            },
        ),
        "dated",
        "The date of the document must be today or in the past",
    ),
    (
        document_form(upload("plan.pdf", pdf()), title="t" * 201),
        "title",
        "Title must be 200 characters or less",
    ),
]


@pytest.mark.parametrize("form, anchor, message", UPLOAD_ERRORS)
def test_each_bad_upload_is_named_in_the_error_summary_and_nothing_is_written(world, form, anchor, message):
    child = world.child("du1", "Eve")
    for value in form.values():
        if hasattr(value, "seek"):
            value.seek(0)  # the same parametrized file object may be read by an earlier run
    before = writes()
    response = signed_in(world.ast_sw).post(f"/children/{child.pk}/documents/new/", form)
    shows_error(response, anchor, message)
    assert writes() == before
    assert "<title>Error: Add a document" in response.content.decode()


class Recording(MemoryFileUploadHandler):
    """Counts the bytes of uploads that reach the handlers after the page's cap."""

    received = 0

    def receive_data_chunk(self, raw_data, start):
        Recording.received += len(raw_data)
        return super().receive_data_chunk(raw_data, start)


def test_a_file_over_the_default_10_mb_gets_the_pages_message_not_djangos_and_is_never_kept(world, settings):
    assert settings.HANDOVER_DOCUMENT_MAX_BYTES == TEN_MB
    settings.FILE_UPLOAD_HANDLERS = [
        "tests.integration.test_child_pages.Recording",
        "django.core.files.uploadhandler.TemporaryFileUploadHandler",
    ]
    Recording.received = 0
    child = world.child("ds1", "Eve")
    before = writes()
    big = pdf() + b"0" * (TEN_MB + 1 - len(pdf()))
    response = signed_in(world.ast_sw).post(
        f"/children/{child.pk}/documents/new/", document_form(upload("big.pdf", big))
    )
    shows_error(response, "file", "The selected file must be 10 MB or smaller")
    assert writes() == before
    assert Recording.received <= TEN_MB  # the cap stopped it: the rest was kept nowhere
    exactly = pdf() + b"0" * (TEN_MB - len(pdf()))
    assert (
        signed_in(world.ast_sw)
        .post(f"/children/{child.pk}/documents/new/", document_form(upload("exact.pdf", exactly)))
        .status_code
        == 302
    )
    assert len(DocumentOnFile.objects.get(child=child).content) == TEN_MB


def test_the_maximum_size_is_a_setting(world, settings):
    settings.HANDOVER_DOCUMENT_MAX_BYTES = 2048
    child = world.child("ds2", "Eve")
    client = signed_in(world.ast_sw)
    assert "2 KB or smaller" in client.get(f"/children/{child.pk}/documents/new/").content.decode()
    image = png() + b"\x00" * (2048 - len(png()))  # bytes after IEND: still a PNG by its contents
    over = client.post(
        f"/children/{child.pk}/documents/new/", document_form(upload("g.png", image + b"\x00"))
    )
    shows_error(over, "file", "The selected file must be 2 KB or smaller")
    fits = client.post(f"/children/{child.pk}/documents/new/", document_form(upload("g.png", image)))
    assert fits.status_code == 302


def test_the_setting_is_read_from_the_environment(monkeypatch):
    monkeypatch.delenv("HANDOVER_DOCUMENT_MAX_BYTES", raising=False)
    monkeypatch.setenv("HANDOVER_DEBUG", "true")
    assert Environment.read().document_max_bytes == TEN_MB
    monkeypatch.setenv("HANDOVER_DOCUMENT_MAX_BYTES", "5242880")
    assert Environment.read().document_max_bytes == 5 * 1024 * 1024
    for bad in ("10MB", "0", "-1"):
        monkeypatch.setenv("HANDOVER_DOCUMENT_MAX_BYTES", bad)
        with pytest.raises(ImproperlyConfigured, match="HANDOVER_DOCUMENT_MAX_BYTES must be a whole number"):
            Environment.read()


def test_the_upload_still_needs_the_csrf_token(world):
    child = world.child("dc1", "Eve")
    client = signed_in(world.ast_sw, enforce_csrf_checks=True)
    before = writes()
    refused = client.post(f"/children/{child.pk}/documents/new/", document_form(upload("p.pdf", pdf())))
    assert refused.status_code == 403 and writes() == before
    client.get(f"/children/{child.pk}/documents/new/")
    token = client.cookies["csrftoken"].value
    accepted = client.post(
        f"/children/{child.pk}/documents/new/",
        document_form(upload("p.pdf", pdf())) | {"csrfmiddlewaretoken": token},
    )
    assert accepted.status_code == 302 and DocumentOnFile.objects.filter(child=child).count() == 1


def test_a_step_closed_by_the_uploaded_document_shows_done_at_once(world):
    """Dorset D-049: the Personal Education Plan step of an emergency placement is closed by a PEP on the
    child's file (`completed_by: document:pep`); uploading one closes it now, not at the next sweep."""
    monday = dt.date(2026, 11, 23)
    facts = protocol_for(world.authority).facts
    answers = {"facts": {"emergency_placement": True}} if "emergency_placement" in facts else {}
    transfer = services.transfer_propose(
        now=NOW,
        actor=world.ast_tm,
        child=world.child("dp1", "Pip"),
        event="becomes_looked_after",
        on=monday,
        answers=answers,
        to_service=world.services["lac"],
    ).transfers[0]
    step = transfer.deadlines.get(step="pep_initiated")
    assert (step.closed_by, step.actual) == ("document:pep", None)
    client = signed_in(world.ast_sw)
    response = client.post(
        f"/children/{transfer.child.pk}/documents/new/",
        document_form(
            upload("pep.pdf", pdf()),
            document_type="pep",
            **{"dated-day": str(TODAY.day), "dated-month": str(TODAY.month), "dated-year": str(TODAY.year)},
        ),
    )
    assert response.status_code == 302
    assert transfer.deadlines.get(step="pep_initiated").actual == TODAY
    page = client.get(f"/transfers/{transfer.pk}/").content.decode()
    row = page[page.find("Personal Education Plan initiated") :][:300]
    assert f"Done {TODAY.day} November 2026" in row, row
