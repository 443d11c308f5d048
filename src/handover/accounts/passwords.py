"""Passwords: who may reset one by email, and what follows a reset or a change.

The reset email goes through Django's email (settings.EMAIL_BACKEND): GOV.UK Notify in production when
HANDOVER_EMAIL=notify (notifications/backends.py), SMTP, or the console in development. It is sent to the address
Handover holds for the person, only if they are active staff; without single sign-on, someone who has never had a
password (staff imported from a spreadsheet) sets their first one this way."""

from __future__ import annotations

import datetime as dt

from axes.utils import reset as axes_reset
from django.contrib.auth import get_user_model

from handover.accounts import oidc
from handover.accounts.tokens import tokens_revoke_all
from handover.audit.models import Verb
from handover.audit.services import audit_record


def reset_recipients(email: str):
    """The people a reset link for `email` goes to: active users who are active staff with that address. With
    single sign-on on, people without a password sign in there, so they are not sent one."""
    users = (
        get_user_model()
        ._default_manager.filter(email__iexact=email, is_active=True, staff__active=True)
        .select_related("staff")
    )
    for user in users:
        if user.email.casefold() != email.casefold():
            continue
        if oidc.enabled() and not user.has_usable_password():
            continue
        yield user


def password_changed(user, *, now: dt.datetime, how: str) -> None:
    """Audit a password change. After a reset (the old password may be known to someone else) every API token
    the person holds is revoked, and a lockout of their username is lifted: they have just shown, through their
    email, that they are who they say."""
    audit_record(
        actor=user,
        verb=Verb.STAFF_CHANGED,
        at=now,
        obj=getattr(user, "staff", None),
        detail=f"Password {how}",
    )
    if how == "reset":
        tokens_revoke_all(user=user, now=now, why="password reset")
        axes_reset(username=user.get_username())
