"""Issuing, checking and revoking API tokens. A token is 256 random bits, shown to its owner once; the database
keeps its SHA-256 (a random token of that length needs no slow hash: there is nothing to guess), so a copy of
the database gives no one a way in. Every token expires (settings.HANDOVER_API_TOKEN_DAYS after it is issued)
and can be revoked by its owner at any time."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet

from handover.accounts.models import ApiToken
from handover.audit.models import Verb
from handover.audit.services import audit_record
from handover.domain import text
from handover.domain.errors import ApplicationError

PREFIX = (
    "hov_"  # lets a secret scanner (or a person) recognise a Handover token pasted somewhere it should not be
)
NAME_CAP = 100
# "Last used" is for people deciding which token to revoke: to the minute is enough, and a busy script then
# writes once a minute rather than once a request.
LAST_USED_EVERY = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    row: ApiToken
    key: str  # the token itself: given to its owner now, never again


def digest_of(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def token_issue(*, user, name: str, now: dt.datetime) -> IssuedToken:
    """A new token for `user`, named `name`, expiring after the configured number of days. Audited."""
    name = (name or "").strip()
    if not name:
        raise ApplicationError({"name": "enter a name for the token, like the script that will use it"})
    if problem := text.text_problem("name", name, NAME_CAP):
        raise ApplicationError({"name": problem})
    key = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=key[: len(PREFIX) + 4],
        digest=digest_of(key),
        created_at=now,
        expires_at=now + dt.timedelta(days=settings.HANDOVER_API_TOKEN_DAYS),
    )
    audit_record(
        actor=user,
        verb=Verb.STAFF_CHANGED,
        at=now,
        obj=getattr(user, "staff", None),
        after={"api_token": row.pk, "name": name, "expires_at": row.expires_at.isoformat()},
        detail=f"API token issued: {name} ({row.prefix}…)",
    )
    return IssuedToken(row, key)


def token_revoke(*, user, token: ApiToken, now: dt.datetime) -> ApiToken:
    """Revoke one of `user`'s own tokens (revoking it again changes nothing). Audited."""
    if token.user_id != user.pk:
        raise ApiToken.DoesNotExist  # someone else's token is not there, as far as this person can tell
    if token.revoked_at is None:
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=user,
            verb=Verb.STAFF_CHANGED,
            at=now,
            obj=getattr(user, "staff", None),
            after={"api_token": token.pk, "revoked_at": now.isoformat()},
            detail=f"API token revoked: {token.name} ({token.prefix}…)",
        )
    return token


def tokens_revoke_all(*, user, now: dt.datetime, why: str) -> int:
    """Revoke every token `user` holds (after a password reset: whoever knew the old password may hold one)."""
    revoked = 0
    for token in ApiToken.objects.filter(user=user, revoked_at=None, expires_at__gt=now):
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
        revoked += 1
    if revoked:
        audit_record(
            actor=user,
            verb=Verb.STAFF_CHANGED,
            at=now,
            obj=getattr(user, "staff", None),
            after={"api_tokens_revoked": revoked},
            detail=f"All API tokens revoked: {why}",
        )
    return revoked


class TokenRefused(Exception):
    """A token that does not let anyone in, and why, in words for the API's 401."""


def token_check(key: str, now: dt.datetime) -> ApiToken:
    """The usable token `key` is, noting when it was used; else TokenRefused saying why."""
    token = ApiToken.objects.select_related("user").filter(digest=digest_of(key)).first()
    if token is None:
        raise TokenRefused("Invalid token.")
    if token.revoked_at is not None:
        raise TokenRefused("this token has been revoked: get a new one (POST /api/token/)")
    if now >= token.expires_at:
        raise TokenRefused(
            f"this token expired on {token.expires_at:%d %B %Y}: get a new one (POST /api/token/)"
        )
    if not token.user.is_active:
        raise TokenRefused("User inactive or deleted.")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        # Not save(): two requests at once with the same token must not write back each other's stale row.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def tokens_of(user, now: dt.datetime) -> QuerySet[ApiToken]:
    """The person's tokens that still let them in, newest first."""
    return ApiToken.objects.filter(user=user, revoked_at=None, expires_at__gt=now)


def tokens_gone_count(user, now: dt.datetime) -> int:
    """How many of their tokens have expired or been revoked (the page says so, without listing them)."""
    return ApiToken.objects.filter(user=user).exclude(revoked_at=None, expires_at__gt=now).count()
