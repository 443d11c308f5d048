"""Use cases for the organisation: set up an authority from its protocol file, add staff and their roles."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction

from handover.organisation.models import Authority, Membership, Role, Service, StaffMember, Team
from handover.transfers.protocol import protocol_named


@transaction.atomic
def authority_sync_from_protocol(*, protocol_name: str, name: str | None = None) -> Authority:
    """Create or update the authority, its services and teams from the protocol file. Never deletes a team:
    teams no longer in the file are made inactive."""
    protocol = protocol_named(protocol_name)
    spec = protocol.file
    authority, _ = Authority.objects.update_or_create(
        code=spec.authority.id, defaults={"name": name or spec.authority.name, "protocol": protocol_name}
    )
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
    return authority


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
) -> StaffMember:
    """A member of staff with a login and their roles (each in a team, a service, or authority-wide)."""
    user = get_user_model().objects.create_user(username=username, email=email, password=password)
    if password is None:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    staff = StaffMember.objects.create(
        user=user, authority=authority, name=name, email=email, phone=phone, job_title=job_title
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
