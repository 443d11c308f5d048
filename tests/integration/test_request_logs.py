"""Request ids through Django: echoed in `X-Request-ID`, carried by every log record written for the request,
and, with the access log around the application (as `handover serve --production` runs it), one JSON line per
request naming the signed-in user by id, never the query string."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from handover.serving.access import AccessLog
from handover.serving.logs import JsonFormatter, RequestIdFilter


@pytest.fixture
def lines():
    """Records reaching the root logger and the access logger, as the JSON lines production writes."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    loggers = [logging.getLogger(), logging.getLogger("handover.access")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)


def test_every_response_carries_a_request_id_and_a_sane_one_from_the_proxy_is_echoed(client, db):
    made = client.get("/sign-in/")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert client.get("/sign-in/")["X-Request-ID"] != made
    assert client.get("/sign-in/", HTTP_X_REQUEST_ID="lb-7731")["X-Request-ID"] == "lb-7731"
    forged = client.get("/sign-in/", HTTP_X_REQUEST_ID="a b\nc")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", forged)


def test_a_log_record_written_while_handling_a_request_carries_its_id(client, db, lines):
    client.get("/no-such-page/", HTTP_X_REQUEST_ID="trace-404")
    not_found = [line for line in lines() if line["logger"] == "django.request"]
    assert not_found and not_found[0]["message"] == "Not Found: /no-such-page/"
    assert not_found[0]["request_id"] == "trace-404"


def _wsgi_get(app, path, query="", cookies=""):
    environ = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "HTTP_COOKIE": cookies,
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, dict(headers)

    body = app(environ, start_response)
    b"".join(body)
    body.close()
    return seen


@pytest.fixture
def app():
    """Django's WSGI application inside the access log, as `handover serve --production` serves it (without
    setting Django up again, which would reconfigure logging). As Django's test client does, it leaves the
    database connection open at the start and end of a request: closing it would end the test's transaction."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield AccessLog(WSGIHandler())
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


def test_the_access_line_names_the_signed_in_user_by_id_and_never_the_search(client, world, app, lines):
    client.force_login(world.cin_tm.user)
    session = "; ".join(f"{name}={morsel.value}" for name, morsel in client.cookies.items())

    seen = _wsgi_get(app, "/children/", query="q=Amelia+Testfamily", cookies=session)
    assert seen["status"].startswith("200")
    anonymous = _wsgi_get(app, "/sign-in/", query="next=/children/%3Fq%3DAmelia")

    access = [line for line in lines() if line["logger"] == "handover.access"]
    assert [(a["method"], a["path"], a["status"]) for a in access] == [
        ("GET", "/children/", 200),
        ("GET", "/sign-in/", 200),
    ]
    assert access[0]["user_id"] == world.cin_tm.user.pk
    assert access[1]["user_id"] is None
    assert access[0]["request_id"] == seen["headers"]["X-Request-ID"]
    assert access[1]["request_id"] == anonymous["headers"]["X-Request-ID"]
    assert "Amelia" not in json.dumps(lines())
