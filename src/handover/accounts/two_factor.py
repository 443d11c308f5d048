"""Two-factor sign-in with an authenticator app (TOTP, django-otp): who must use it, setting it up, and checking a
code. Managers (team and practice managers, service managers, heads of service, directors) and auditors see and
approve the most, so with HANDOVER_REQUIRE_TWO_FACTOR on they confirm a code after their password; anyone who
has set up an app confirms a code too. Codes are throttled by django-otp (each wrong code doubles the wait
before the next is checked) and a code is never accepted twice."""

from __future__ import annotations

import base64
import datetime as dt
import io
import secrets
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from django.conf import settings
from django.core import signing
from django.db import transaction
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from handover import clock
from handover.audit.models import Verb
from handover.audit.services import audit_record
from handover.domain import roles
from handover.domain.errors import ApplicationError
from handover.organisation.access import roles_of

TWO_FACTOR_ROLES = roles.MANAGERS | roles.SENIOR | roles.READ_ONLY
# Signed in by single sign-on at a provider that asked for a second factor itself (HANDOVER_OIDC_PROVIDER_MFA).
VERIFIED_BY_PROVIDER = "handover_verified_by_provider"
ENROL_SALT = "handover.accounts.two_factor.enrol"
ENROL_MAX_AGE = 15 * 60  # seconds a set-up page's key stays good for: long enough to find the phone
CODE_MESSAGE = "enter the 6-digit code your authenticator app shows now"


def required() -> bool:
    return bool(getattr(settings, "HANDOVER_REQUIRE_TWO_FACTOR", False))


def device_of(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def must_use(user, today: dt.date) -> bool:
    """Whether `user` must confirm a code to use Handover (when two-factor is required at all)."""
    if not required() or user is None or not user.is_authenticated:
        return False
    staff = getattr(user, "staff", None)
    if staff is not None and roles_of(staff, today) & TWO_FACTOR_ROLES:
        return True
    return device_of(user) is not None


def verified(request) -> bool:
    user = request.user
    if getattr(user, "is_verified", None) and user.is_verified():
        return True
    return bool(request.session.get(VERIFIED_BY_PROVIDER))


# -- setting up ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Enrolment:
    """A new key for the set-up page: shown as a QR code and as text, and carried (signed, so it cannot be
    swapped or reused by someone else) in the form, so opening the page writes nothing."""

    key_hex: str
    signed: str
    uri: str

    @property
    def key_text(self) -> str:
        """The key as people type it into an app: base32 in groups of four."""
        b32 = base64.b32encode(bytes.fromhex(self.key_hex)).decode().rstrip("=")
        return " ".join(b32[i : i + 4] for i in range(0, len(b32), 4))

    def qr_data_uri(self) -> str:
        """The otpauth URI as a QR code, an SVG in a data: URI for an <img> (the strict Content-Security-Policy
        allows data: images; an SVG in the page itself would bring inline styles with it)."""
        import qrcode
        import qrcode.image.svg

        image = qrcode.make(self.uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=4)
        buffer = io.BytesIO()
        image.save(buffer)
        return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def enrolment_start(user) -> Enrolment:
    key_hex = secrets.token_hex(20)  # 160 bits, as RFC 4226 recommends
    signed = signing.dumps({"user": user.pk, "key": key_hex}, salt=ENROL_SALT)
    return Enrolment(key_hex, signed, _otpauth_uri(user, key_hex))


def enrolment_resume(user, signed: str) -> Enrolment | None:
    """The enrolment the form carried, if it is this person's and not too old."""
    try:
        data = signing.loads(signed, salt=ENROL_SALT, max_age=ENROL_MAX_AGE)
    except signing.BadSignature:
        return None
    if data.get("user") != user.pk:
        return None
    return Enrolment(data["key"], signed, _otpauth_uri(user, data["key"]))


def _otpauth_uri(user, key_hex: str) -> str:
    issuer = getattr(settings, "OTP_TOTP_ISSUER", "Handover")
    label = quote(f"{issuer}:{user.get_username()}")
    secret = base64.b32encode(bytes.fromhex(key_hex)).decode().rstrip("=")
    query = urlencode({"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": 6, "period": 30})
    return f"otpauth://totp/{label}?{query}"


@transaction.atomic
def enrol(request, enrolment: Enrolment, code: str, *, now: dt.datetime) -> TOTPDevice:
    """Keep the app's key once it has shown it works (the code it gives now), and count this session as
    verified. Refused, naming the field, if the code is not the one the key gives now."""
    user = request.user
    if device_of(user) is not None:
        raise ApplicationError({"code": "you have already set up an authenticator app"})
    totp = TOTP(bytes.fromhex(enrolment.key_hex), step=30, t0=0, digits=6)
    # An app makes its codes from the real time on the person's phone, so they are checked against the real
    # time (as django-otp checks them), never a fixed one: the clock module's wall time.
    totp.time = clock.wall_time()
    if not _is_code(code) or not totp.verify(int(code), tolerance=1):
        raise ApplicationError({"code": CODE_MESSAGE})
    device = TOTPDevice.objects.create(
        user=user, name="Authenticator app", key=enrolment.key_hex, confirmed=True, last_t=totp.t()
    )
    otp_login(request, device)
    audit_record(
        actor=user,
        verb=Verb.STAFF_CHANGED,
        at=now,
        obj=getattr(user, "staff", None),
        detail="Two-factor sign-in set up with an authenticator app",
    )
    return device


# -- checking a code -----------------------------------------------------------------------------------------


class CodeRefused(ApplicationError):
    """A wrong code, or one asked too soon after wrong ones (`wait` seconds until the next is checked)."""

    def __init__(self, message: str, wait: int = 0):
        self.wait = wait
        super().__init__({"code": message})


def check_code(device: TOTPDevice, code: str) -> None:
    """Accept `code` from `device` or raise CodeRefused; django-otp throttles (and records) wrong codes."""
    allowed, data = device.verify_is_allowed()
    if not allowed:
        wait = _wait_seconds(data)
        seconds = "1 second" if wait == 1 else f"{wait} seconds"
        raise CodeRefused(f"too many wrong codes: wait {seconds}, then enter the code your app shows", wait)
    code = (code or "").replace(" ", "")
    if not _is_code(code):
        device.throttle_increment()
        raise CodeRefused(CODE_MESSAGE)
    if not device.verify_token(code):
        raise CodeRefused(CODE_MESSAGE)


def verify(request, code: str) -> TOTPDevice:
    """Check the signed-in person's code and count this session as verified."""
    device = device_of(request.user)
    if device is None:
        raise CodeRefused("set up an authenticator app first")
    check_code(device, code)
    otp_login(request, device)
    return device


def _is_code(code: str) -> bool:
    return len(code) == 6 and code.isascii() and code.isdigit()


def _wait_seconds(data: dict | None) -> int:
    """The longest the wait can be: django-otp waits factor × 2^(n-1) seconds after n wrong codes in a row,
    counted on its own clock (the real one, as codes are), which Handover does not read here."""
    failures = max(1, int((data or {}).get("failure_count") or 1))
    factor = getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1)
    return max(1, int(factor * 2 ** (failures - 1)))


def reset(user, *, now: dt.datetime, by: str) -> int:
    """Remove a person's authenticator app (a lost phone): they set one up again at their next sign-in."""
    removed, _ = TOTPDevice.objects.filter(user=user).delete()
    if removed:
        audit_record(
            actor=None,
            verb=Verb.STAFF_CHANGED,
            at=now,
            obj=getattr(user, "staff", None),
            detail=f"Two-factor sign-in reset for {user.get_username()} by {by}",
        )
    return removed
