"""Single sign-on by OpenID Connect (mozilla-django-oidc), for councils whose staff sign in with their council
account (Microsoft Entra ID, usually: docs/deployment.md, "Single sign-on").

The identity comes from the signed ID token, checked here in full: its signature against the provider's published
keys, that it was issued by the configured issuer, for this client (the audience), not expired, and with the
nonce this browser was given. The person is the active member of staff whose email address is the token's
HANDOVER_OIDC_CLAIM (email by default). Nobody is ever created: someone the provider knows but Handover does
not is refused, and the page says so (web/account.py)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import jwt
import requests
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from handover.organisation.models import StaffMember

log = logging.getLogger(__name__)

REFUSAL = "handover_sso_refusal"  # set on the request, for the callback page to say why


@dataclass(frozen=True)
class Refusal:
    reason: str  # "unknown", "inactive", "ambiguous", "no_identity" or "failed"
    identity: str = ""


def enabled() -> bool:
    return bool(getattr(settings, "HANDOVER_OIDC_ENABLED", False))


class StaffOIDCBackend(OIDCAuthenticationBackend):
    def authenticate(self, request, **kwargs):
        # Only the callback view asks with a nonce; a password sign-in (or a crafted ?code= on any other page)
        # never reaches the provider.
        if request is None or "nonce" not in kwargs or not enabled():
            return None
        try:
            return super().authenticate(request, **kwargs)
        except (SuspiciousOperation, requests.RequestException, jwt.PyJWTError, ValueError, KeyError) as exc:
            log.warning("single sign-on failed: %s", exc)
            setattr(request, REFUSAL, Refusal("failed"))
            return None

    def get_payload_data(self, token, key):
        header = jwt.get_unverified_header(token)
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation(
                f"the ID token is signed with {header.get('alg')!r}, not {self.OIDC_RP_SIGN_ALGO}"
            )
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=settings.OIDC_OP_ISSUER,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
                leeway=60,  # the provider's clock and ours may differ a little
            )
        except jwt.PyJWTError as exc:
            raise SuspiciousOperation(f"the ID token was refused: {exc}") from exc

    def get_userinfo(self, access_token, id_token, payload):
        # The signed ID token's claims are the identity; Entra's userinfo endpoint (Microsoft Graph) leaves out
        # preferred_username, and a claim read from it is not signed.
        return payload

    def get_or_create_user(self, access_token, id_token, payload):
        claim = settings.HANDOVER_OIDC_CLAIM
        identity = str(payload.get(claim) or "").strip()
        if not identity:
            return self._refuse(Refusal("no_identity"))
        staff = list(
            StaffMember.objects.filter(email__iexact=identity).select_related("user").order_by("pk")[:2]
        )
        if not staff:
            return self._refuse(Refusal("unknown", identity))
        if len(staff) > 1:
            return self._refuse(Refusal("ambiguous", identity))
        person = staff[0]
        if not person.active or not person.user.is_active:
            return self._refuse(Refusal("inactive", identity))
        return person.user

    def _refuse(self, refusal: Refusal) -> None:
        log.warning("single sign-on refused (%s)", refusal.reason)
        setattr(self.request, REFUSAL, refusal)
        return None
