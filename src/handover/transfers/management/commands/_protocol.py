"""What the two protocol version commands share: the authority and the person named on the command line."""

from __future__ import annotations

from django.core.management.base import CommandError

from handover.organisation.models import Authority, StaffMember


def authority_named(code: str | None) -> Authority:
    authorities = Authority.objects.all()
    if code:
        authorities = authorities.filter(code=code)
    if authorities.count() != 1:
        raise CommandError(
            f"no authority {code!r} is set up here"
            if code
            else "name the authority with --authority (more than one is set up)"
        )
    return authorities.get()


def staff_named(username: str | None, authority: Authority) -> StaffMember | None:
    if not username:
        return None
    staff = StaffMember.objects.filter(user__username=username, authority=authority).first()
    if staff is None:
        raise CommandError(f"no member of staff {username!r} in {authority}")
    return staff
