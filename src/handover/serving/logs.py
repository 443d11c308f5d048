"""Structured logs. Each request gets an id, kept in its WSGI environ; every log record written while it is
handled carries that id (`RequestIdFilter`), and in production each record is one JSON line (`JsonFormatter`).

Only the standard library: `logging` does the work, this module adds a field and a format."""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import uuid
from collections.abc import MutableMapping
from typing import Any

REQUEST_ID_HEADER = "X-Request-ID"
# Keys Handover adds to a request's WSGI environ (the same dict as Django's request.META).
REQUEST_ID_KEY = "handover.request_id"
USER_ID_KEY = "handover.user_id"

# A proxy's id is taken only if it is short and plain (nginx's $request_id, a UUID): anything else could forge
# log lines or carry data, so the request gets a new id instead.
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "handover_request_id", default=None
)


def request_id_of(environ: MutableMapping[str, Any]) -> str:
    """The request's id, decided once and kept in its environ: the proxy's X-Request-ID if sane, else new.
    Both the WSGI access log (outermost) and the Django middleware ask; whichever asks first decides."""
    request_id = environ.get(REQUEST_ID_KEY)
    if request_id is None:
        offered = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = offered if _SANE_ID.fullmatch(offered) else uuid.uuid4().hex
        environ[REQUEST_ID_KEY] = request_id
    return request_id


class RequestIdFilter(logging.Filter):
    """Gives every record `request_id`: the id of the request being handled, or "-" outside one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, request_id, the record's `fields` (a dict
    passed as `extra={"fields": {...}}`), and the traceback if there is one. ASCII only, so a record is always
    exactly one line whatever its text holds."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", "-")
        entry["request_id"] = None if request_id == "-" else request_id
        entry.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str)
