"""Use cases for the organisation: set up an authority from its protocol file, publish a new version of the
protocol, add staff and their roles."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from handover.audit.models import Verb
from handover.audit.services import audit_record, snapshot
from handover.clock import today_of
from handover.domain import registration
from handover.domain.errors import ApplicationError, Problem, ProtocolError
from handover.domain.protocol import schema
from handover.domain.protocol.loader import resolve_protocol_path
from handover.domain.protocol.model import Protocol
from handover.domain.rulebook import TeamWrite
from handover.organisation.access import AccessDenied, require_staff_write, roles_of
from handover.organisation.models import (
    SENIOR_ROLES,
    Authority,
    Membership,
    ProtocolVersion,
    Role,
    Service,
    StaffMember,
    Team,
)
from handover.organisation.protocol import (
    current_version_changed,
    protocol_for,
    protocol_from_text,
    protocol_named,
)

# Who may publish a protocol version or move transfers onto it.
PROTOCOL_ROLES = frozenset({Role.ADMINISTRATOR, *SENIOR_ROLES})


@transaction.atomic
def authority_sync_from_protocol(
    *, protocol_name: str, name: str | None = None, now: dt.datetime | None = None
) -> Authority:
    """Create or update the authority from the protocol file, and store the file's version (current, unless the
    authority already has a current version). Services and teams follow the current version. Never deletes a
    team: teams no longer in it are made inactive. `now` dates the stored version (none: not published)."""
    protocol = protocol_named(protocol_name)
    spec = protocol.file
    authority, _ = Authority.objects.update_or_create(
        code=spec.authority.id, defaults={"name": name or spec.authority.name, "protocol": protocol_name}
    )
    if not ProtocolVersion.objects.filter(authority=authority, sha256=protocol.sha256).exists():
        _store_file(authority, protocol_name, protocol, now)
    _sync_services(authority, protocol_for(authority).file)
    return authority


def _store_file(
    authority: Authority, protocol_name: str, protocol: Protocol, now: dt.datetime | None
) -> None:
    """Keep the file's text and its numbered copy's, so the version can be loaded after the file changes."""
    path = resolve_protocol_path(protocol_name)
    raw = path.read_bytes()
    text = raw.decode("utf-8")
    clauses_text = (path.parent / protocol.file.source.document).read_text(encoding="utf-8")
    protocol = protocol_from_text(text=text, clauses_text=clauses_text, name=protocol_name)  # as stored now
    ProtocolVersion.objects.create(
        authority=authority,
        name=protocol_name,
        version=protocol.version,
        sha256=protocol.sha256,
        text=text,
        clauses_text=clauses_text,
        published_at=now,
        current=not ProtocolVersion.objects.filter(authority=authority, current=True).exists(),
    )


def _sync_services(authority: Authority, spec: schema.ProtocolFile) -> None:
    seen: set[int] = set()
    for service_spec in spec.services:
        service, _ = Service.objects.update_or_create(
            authority=authority,
            code=service_spec.id,
            defaults={
                "name": service_spec.name,
                "kind": service_spec.kind.value,
                "external": service_spec.external,
            },
        )
        for team_spec in service_spec.teams:
            team, _ = Team.objects.update_or_create(
                service=service,
                code=team_spec.id,
                defaults={"name": team_spec.name, "locality": team_spec.locality or "", "active": True},
            )
            seen.add(team.pk)
    for team in Team.objects.filter(service__authority=authority).exclude(pk__in=seen):
        team.active = False
        team.save(update_fields=["active"])


def protocol_file_texts(path: str | Path) -> tuple[str, str]:
    """A protocol file's text and the text of the numbered copy beside it, as they would be stored. Refuses
    (ProtocolError) a file that cannot be read or is not UTF-8; the loader checks the rest."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ProtocolError([Problem(str(path), "", f"cannot read file: {exc.strerror}")]) from exc
    except UnicodeDecodeError as exc:
        raise ProtocolError([Problem(str(path), "", f"not UTF-8 (byte {exc.start})")]) from exc
    document = _source_document(text)
    try:
        clauses_text = (path.parent / document).read_text(encoding="utf-8") if document else ""
    except (OSError, UnicodeDecodeError):
        clauses_text = ""  # the loader names the missing numbered copy
    return text, clauses_text


def _source_document(text: str) -> str | None:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError:
        return None  # the loader reports it, with the line
    source = raw.get("source") if isinstance(raw, dict) else None
    document = source.get("document") if isinstance(source, dict) else None
    return document if isinstance(document, str) else None


def protocol_check_publisher(staff: StaffMember | None, authority: Authority, on: dt.date) -> None:
    """Only an administrator or a senior manager of the authority publishes versions or moves transfers."""
    if staff is None or not staff.active or staff.authority_id != authority.pk:
        raise AccessDenied(f"name an active member of staff of {authority}")
    if not roles_of(staff, on) & PROTOCOL_ROLES:
        raise AccessDenied(
            "only an administrator, service manager, head of service or service director publishes a "
            "protocol version or moves transfers onto it"
        )


@transaction.atomic
def protocol_publish(
    *,
    authority: Authority,
    text: str,
    clauses_text: str,
    name: str,
    now: dt.datetime,
    by: StaffMember | None,
) -> ProtocolVersion:
    """Store a protocol file as the authority's current version, audited. The text goes through the loader's
    checks (ProtocolError if it fails them, or is another authority's). Services and teams follow the new
    version (teams it no longer has are made inactive). Open transfers keep the version they recorded until
    they are moved (`handover protocol migrate-transfers`)."""
    if by is not None:
        protocol_check_publisher(by, authority, today_of(now))
    protocol = protocol_from_text(text=text, clauses_text=clauses_text, name=name)
    if protocol.name != authority.code:
        raise ProtocolError(
            [Problem(name, "authority.id", f"is {protocol.name!r}; this is {authority.code!r}'s protocol")]
        )
    Authority.objects.select_for_update().get(pk=authority.pk)  # one publisher at a time
    previous = ProtocolVersion.objects.filter(authority=authority, current=True).first()
    row = ProtocolVersion.objects.filter(authority=authority, sha256=protocol.sha256).first()
    if row is not None and row.current:
        return row
    if previous is not None:
        previous.current = False
        previous.save(update_fields=["current"])
    if row is None:
        row = ProtocolVersion.objects.create(
            authority=authority,
            name=name,
            version=protocol.version,
            sha256=protocol.sha256,
            text=text,
            clauses_text=clauses_text,
            published_at=now,
            published_by=by,
            current=True,
        )
    else:  # an earlier version published again
        row.current = True
        row.save(update_fields=["current"])
    current_version_changed(authority.pk)
    _sync_services(authority, protocol.file)
    audit_record(
        actor=by,
        verb=Verb.PROTOCOL_PUBLISHED,
        at=now,
        obj=row,
        before={"version": previous.version} if previous else None,
        after={"version": row.version, "sha256": row.sha256, "name": name},
        detail=f"{authority.code} protocol {row.version} published from {name}",
    )
    return row


@transaction.atomic
def staff_create(
    *,
    authority: Authority,
    username: str,
    name: str,
    roles: list[tuple[str, Team | Service | None]],
    email: str = "",
    phone: str = "",
    job_title: str = "",
    password: str | None = None,
    start: dt.date | None = None,
    social_work_england_number: str = "",
    social_work_england_expires: dt.date | None = None,
) -> StaffMember:
    """A member of staff with a login and their roles (each in a team, a service, or authority-wide), and their
    Social Work England registration if they have one (refused, naming the field, if the number is not one)."""
    if problems := registration.registration_problems(
        social_work_england_number, social_work_england_expires
    ):
        raise ApplicationError(problems)
    if password is not None:
        # Django's password rules (settings.AUTH_PASSWORD_VALIDATORS: 12 characters or more, not a common one, not
        # like the username), as the password pages apply them.
        try:
            validate_password(password, get_user_model()(username=username, email=email))
        except ValidationError as broken:
            raise ApplicationError({"password": " ".join(broken.messages)}) from None
    user = get_user_model().objects.create_user(username=username, email=email, password=password)
    if password is None:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    staff = StaffMember.objects.create(
        user=user,
        authority=authority,
        name=name,
        email=email,
        phone=phone,
        job_title=job_title,
        social_work_england_number=registration.normalise_number(social_work_england_number),
        social_work_england_expires=social_work_england_expires,
    )
    start = start or dt.date(2020, 1, 1)
    for role, where in roles:
        Membership.objects.create(
            staff=staff,
            role=Role(role),
            team=where if isinstance(where, Team) else None,
            service=where if isinstance(where, Service) else None,
            start=start,
        )
    return staff


REGISTRATION_FIELDS = (registration.NUMBER_FIELD, registration.EXPIRES_FIELD)


def staff_registration_set(
    *,
    actor: StaffMember,
    staff: StaffMember,
    number: str,
    expires: dt.date | None,
    now: dt.datetime,
) -> StaffMember:
    """Record a member of staff's Social Work England registration (number and expiry; blank number: none), by a
    manager of a team they work in or a senior manager, audited. A number that is not one is refused, naming
    the field and the rule, and nothing is written."""
    require_staff_write(actor, TeamWrite.STAFF_REGISTRATION, staff, today_of(now))
    if problems := registration.registration_problems(number, expires):
        raise ApplicationError(problems)
    with transaction.atomic():
        locked = StaffMember.objects.select_for_update().get(pk=staff.pk)
        before = snapshot(locked, REGISTRATION_FIELDS)
        locked.social_work_england_number = registration.normalise_number(number)
        locked.social_work_england_expires = expires
        locked.save()
        audit_record(
            actor=actor,
            verb=Verb.STAFF_CHANGED,
            at=now,
            obj=locked,
            before=before,
            after=snapshot(locked, REGISTRATION_FIELDS),
            detail=f"Social Work England registration of {locked} recorded",
        )
    return locked
