"""A local fake of GOV.UK Notify's API (https://docs.notifications.service.gov.uk/rest-api.html), enough for
email and precompiled letters: an `http.server` on 127.0.0.1 (a free port) in a thread, started by the
`fake_notify` fixture, which also points Handover's settings at it.

It checks what Notify checks of each request's token (Authorization: Bearer <JWT>, HS256 signed with the API
key's secret, `iss` the service id, `iat` within 30 seconds) and answers 403 with Notify's error shape if not;
it answers a bad request (a missing template_id or content, an unknown postage, a known template it does not
have, the address FAIL_ADDRESS) 400 with Notify's error shape; otherwise 201 with Notify's response, recording
each request in `received` for assertions.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest

SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"
API_KEY = f"handover_test-{SERVICE_ID}-{SECRET}"
EMAIL_TEMPLATE = "f33517ff-2a88-4f6e-b855-c550268ce08a"
FAIL_ADDRESS = "fail@example.invalid"  # Notify refuses it, as it would an address it cannot send to
POSTAGES = ("first", "second", "economy")


@dataclass
class Received:
    kind: str  # "email" or "letter"
    body: dict
    claims: dict
    id: str


@dataclass
class FakeNotify:
    base_url: str
    api_key: str = API_KEY
    email_template: str = EMAIL_TEMPLATE
    received: list[Received] = field(default_factory=list)
    refuse_letters: bool = False  # answer every letter 400, as Notify does a PDF it cannot print

    def emails(self) -> list[dict]:
        return [r.body for r in self.received if r.kind == "email"]

    def letters(self) -> list[dict]:
        return [r.body for r in self.received if r.kind == "letter"]


def _errors(status: int, error: str, message: str) -> tuple[int, dict]:
    return status, {"status_code": status, "errors": [{"error": error, "message": message}]}


def _handler(fake: FakeNotify):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet in test output
            pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            status, payload = self._answer(raw)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _answer(self, raw: bytes) -> tuple[int, dict]:
            claims = self._claims()
            if isinstance(claims, str):
                return _errors(403, "AuthError", claims)
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                return _errors(400, "BadRequestError", "Invalid JSON supplied in POST data")
            if self.path == "/v2/notifications/email":
                return self._email(body, claims)
            if self.path == "/v2/notifications/letter":
                return self._letter(body, claims)
            return 404, {"message": "The requested URL was not found on the server.", "result": "error"}

        def _claims(self) -> dict | str:
            header = self.headers.get("Authorization", "")
            if not header.startswith("Bearer "):
                return "Unauthorized: authentication token must be provided"
            token = header.removeprefix("Bearer ")
            try:
                claims = jwt.decode(token, key=fake.api_key[-36:], algorithms=["HS256"])
            except jwt.InvalidSignatureError:
                return "Invalid token: API key not found"
            except jwt.InvalidTokenError:
                return "Invalid token: signature, api token not found"
            if claims.get("iss") != SERVICE_ID:
                return "Invalid token: service not found"
            if "iat" not in claims or abs(time.time() - int(claims["iat"])) > 30:
                return "Error: Your system clock must be accurate to within 30 seconds"
            return claims

        def _email(self, body: dict, claims: dict) -> tuple[int, dict]:
            for name in ("email_address", "template_id"):
                if not body.get(name):
                    return _errors(400, "ValidationError", f"{name} is a required property")
            if body["template_id"] != fake.email_template:
                return _errors(400, "BadRequestError", "Template not found")
            if body["email_address"] == FAIL_ADDRESS:
                return _errors(400, "ValidationError", "email_address Not a valid email address")
            personalisation = body.get("personalisation") or {}
            missing = [p for p in ("subject", "body") if p not in personalisation]
            if missing:
                return _errors(400, "BadRequestError", f"Missing personalisation: {', '.join(missing)}")
            notification_id = str(uuid.uuid4())
            fake.received.append(Received("email", body, claims, notification_id))
            return 201, {
                "id": notification_id,
                "reference": body.get("reference"),
                "content": {
                    "subject": personalisation["subject"],
                    "body": personalisation["body"],
                    "from_email": "handover@notifications.service.gov.uk",
                    "one_click_unsubscribe_url": None,
                },
                "uri": f"{fake.base_url}/v2/notifications/{notification_id}",
                "template": {
                    "id": body["template_id"],
                    "version": 1,
                    "uri": f"{fake.base_url}/v2/template/{body['template_id']}",
                },
                "scheduled_for": None,
            }

        def _letter(self, body: dict, claims: dict) -> tuple[int, dict]:
            for name in ("reference", "content"):
                if not body.get(name):
                    return _errors(400, "ValidationError", f"{name} is a required property")
            postage = body.get("postage", "second")
            if postage not in POSTAGES:
                return _errors(400, "ValidationError", f"postage invalid. It must be {', '.join(POSTAGES)}.")
            try:
                pdf = base64.b64decode(body["content"], validate=True)
            except ValueError:
                return _errors(
                    400, "ValidationError", "Cannot decode letter content (invalid base64 encoding)"
                )
            if fake.refuse_letters or not pdf.startswith(b"%PDF"):
                return _errors(400, "ValidationError", "Letter content is not a valid PDF")
            notification_id = str(uuid.uuid4())
            fake.received.append(Received("letter", body, claims, notification_id))
            return 201, {"id": notification_id, "reference": body["reference"], "postage": postage}

    return Handler


@pytest.fixture
def fake_notify(settings):
    """A fake Notify on 127.0.0.1 for the test, with Handover's Notify settings pointed at it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), None)
    fake = FakeNotify(base_url=f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _handler(fake)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.HANDOVER_NOTIFY_API_KEY = API_KEY
    settings.HANDOVER_NOTIFY_BASE_URL = fake.base_url
    settings.HANDOVER_NOTIFY_TEMPLATES = {"email": EMAIL_TEMPLATE}
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
