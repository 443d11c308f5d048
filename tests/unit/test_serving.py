"""`handover serve --production`: its options and their limits, the JSON logs, the request id and the access log
(without a server: tests/integration/test_production_server.py starts one)."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import secrets
import subprocess
import sys

import pytest

from handover import cli
from handover.serving.access import AccessLog
from handover.serving.logs import (
    USER_ID_KEY,
    JsonFormatter,
    RequestIdFilter,
    current_request_id,
    request_id_of,
)
from handover.serving.server import Options, ServeError, granian_options, parse

# -- options -----------------------------------------------------------------------------------------------


def test_defaults_one_worker_per_core_on_localhost_port_8000():
    options = parse([], {}, cpus=3)
    assert options == Options(
        host="127.0.0.1",
        port=8000,
        socket=None,
        workers=3,
        threads=2,
        header_timeout=10,
        graceful_timeout=30,
    )


def test_the_environment_overrides_the_defaults_and_an_option_overrides_the_environment():
    environ = {
        "HANDOVER_WORKERS": "5",
        "HANDOVER_THREADS": "3",
        "HANDOVER_BIND": "0.0.0.0:9000",
        "HANDOVER_HEADER_TIMEOUT": "20",
        "HANDOVER_GRACEFUL_TIMEOUT": "90",
    }
    from_environment = parse([], environ, cpus=2)
    assert (from_environment.workers, from_environment.threads) == (5, 3)
    assert (from_environment.host, from_environment.port) == ("0.0.0.0", 9000)
    assert (from_environment.header_timeout, from_environment.graceful_timeout) == (20, 90)
    assert parse(["--workers", "7", "--bind", "127.0.0.1:8100"], environ, cpus=2).workers == 7
    assert parse(["--bind", "127.0.0.1:8100"], environ, cpus=2).port == 8100


@pytest.mark.parametrize(
    ("bind", "host", "port", "socket"),
    [
        ("[::]:8000", "::", 8000, None),
        ("handover.internal:80", "handover.internal", 80, None),
        ("unix:/run/handover/handover.sock", None, None, "/run/handover/handover.sock"),
    ],
)
def test_bind_takes_a_host_and_port_an_ipv6_address_or_a_unix_socket(bind, host, port, socket):
    options = parse(["--bind", bind], {}, cpus=1)
    assert (options.host, options.port, options.socket) == (host, port, socket)


@pytest.mark.parametrize(
    ("argv", "environ", "message"),
    [
        (["--workers", "0"], {}, "--workers must be a whole number from 1 to 256, not '0'"),
        (
            [],
            {"HANDOVER_WORKERS": "many"},
            "HANDOVER_WORKERS must be a whole number from 1 to 256, not 'many'",
        ),
        (["--threads", "-1"], {}, "--threads must be a whole number from 1 to 256"),
        (["--header-timeout", "61"], {}, "--header-timeout must be a whole number from 1 to 60, not '61'"),
        ([], {"HANDOVER_GRACEFUL_TIMEOUT": "1.5"}, "HANDOVER_GRACEFUL_TIMEOUT must be a whole number"),
        (["--bind", "localhost"], {}, "--bind must be HOST:PORT"),
        (["--bind", "127.0.0.1:70000"], {}, "port 1 to 65535"),
        ([], {"HANDOVER_BIND": "unix:"}, "HANDOVER_BIND must be HOST:PORT"),
    ],
)
def test_a_bad_option_is_refused_naming_the_option_and_the_rule(argv, environ, message):
    with pytest.raises(ServeError, match=re.escape(message)):
        parse(argv, environ, cpus=2)


def test_granian_runs_the_wsgi_application_with_the_options_and_no_access_log_of_its_own():
    options = parse(["--workers", "3", "--threads", "6", "--header-timeout", "15"], {}, cpus=2)
    kwargs = granian_options(options)
    assert kwargs["target"] == "handover.serving.wsgi:application"
    assert kwargs["interface"].value == "wsgi"
    assert (kwargs["address"], kwargs["port"]) == ("127.0.0.1", 8000)
    assert (kwargs["workers"], kwargs["blocking_threads"]) == (3, 6)
    assert kwargs["http1_settings"].header_read_timeout == 15_000  # milliseconds
    assert kwargs["workers_kill_timeout"] == 30
    assert kwargs["respawn_failed_workers"] is True
    assert kwargs["log_access"] is False  # its access log would carry query strings
    unix = granian_options(parse(["--bind", "unix:/tmp/h.sock"], {}, cpus=1))
    assert str(unix["uds"]) == "/tmp/h.sock" and "address" not in unix


def test_the_command_refuses_a_bad_option_in_one_line_with_exit_code_2(capsys):
    assert cli.main(["serve", "--production", "--workers", "0"]) == 2
    err = capsys.readouterr().err
    assert err == "error: --workers must be a whole number from 1 to 256, not '0'\n"


def test_the_command_help_lists_the_options_and_their_environment_variables(capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.main(["serve", "--production", "--help"])
    assert stopped.value.code == 0
    out = capsys.readouterr().out
    for text in (
        "handover serve --production",
        "--bind",
        "HANDOVER_WORKERS",
        "HANDOVER_THREADS",
        "--header-timeout",
    ):
        assert text in out


def test_plain_serve_is_still_django_s_development_server(capsys):
    with pytest.raises(SystemExit):
        cli.main(["serve", "--help"])
    assert "runserver" in capsys.readouterr().out


def _serve_production(tmp_path, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("HANDOVER_", "DJANGO_", "DATABASE_URL"))
    }
    clean.update(
        {
            "HANDOVER_SECRET_KEY": secrets.token_urlsafe(64),
            "HANDOVER_ALLOWED_HOSTS": "handover.example.invalid",
            "HANDOVER_VAR_DIR": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            **env,
        }
    )
    return subprocess.run(
        [sys.executable, "-m", "handover.cli", "serve", "--production", "--bind", "127.0.0.1:1"],
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_will_not_start_without_the_production_settings(tmp_path):
    result = _serve_production(tmp_path, HANDOVER_SECRET_KEY="")
    assert result.returncode == 2
    assert result.stderr.startswith("error: HANDOVER_SECRET_KEY must be set")


def test_it_will_not_start_before_the_static_files_are_collected(tmp_path):
    result = _serve_production(tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        f"error: the static files are not collected into {tmp_path / 'static'}: "
        "run `handover manage collectstatic --noinput` first\n"
    )


def test_a_protocol_file_that_does_not_load_stops_it_before_it_listens(tmp_path):
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "staticfiles.json").write_text("{}", encoding="utf-8")
    result = _serve_production(tmp_path, HANDOVER_PROTOCOL=str(tmp_path / "missing.yaml"))
    assert result.returncode == 1
    assert result.stderr.strip().endswith(
        "missing.yaml: no such protocol file or bundled protocol (bundled: central-bedfordshire, dorset)"
    )


# -- request ids -------------------------------------------------------------------------------------------


def test_a_sane_request_id_from_the_proxy_is_kept_and_decided_once():
    environ = {"HTTP_X_REQUEST_ID": "7f1c2a9e-5b1d-4c0e-9a55-2d8f3c1e4b6a"}
    assert request_id_of(environ) == "7f1c2a9e-5b1d-4c0e-9a55-2d8f3c1e4b6a"
    environ["HTTP_X_REQUEST_ID"] = "changed-later"
    assert request_id_of(environ) == "7f1c2a9e-5b1d-4c0e-9a55-2d8f3c1e4b6a"


@pytest.mark.parametrize("offered", ["", "two words", "x" * 129, 'forged"}\n{"level": "INFO"', "Émile"])
def test_anything_else_gets_a_new_request_id(offered):
    request_id = request_id_of({"HTTP_X_REQUEST_ID": offered})
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)


# -- log records -------------------------------------------------------------------------------------------


def _record(message: str, *args, **extra) -> logging.LogRecord:
    record = logging.LogRecord("handover.test", logging.WARNING, __file__, 1, message, args, None)
    record.__dict__.update(extra)
    return record


def test_every_record_carries_the_request_being_handled():
    token = current_request_id.set("req-42")
    try:
        inside = _record("inside")
        RequestIdFilter().filter(inside)
    finally:
        current_request_id.reset(token)
    outside = _record("outside")
    RequestIdFilter().filter(outside)
    assert (inside.request_id, outside.request_id) == ("req-42", "-")
    assert json.loads(JsonFormatter().format(inside))["request_id"] == "req-42"
    assert json.loads(JsonFormatter().format(outside))["request_id"] is None


def test_a_json_record_is_one_line_of_ascii_with_its_fields_and_traceback():
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        import sys

        record = logging.LogRecord(
            "handover.test",
            logging.ERROR,
            __file__,
            1,
            "failed for %s\nsecond line",
            ("Zoë",),
            sys.exc_info(),
        )
    record.fields = {"transfer": 12}
    RequestIdFilter().filter(record)
    line = JsonFormatter().format(record)
    assert "\n" not in line and line.isascii()
    entry = json.loads(line)
    assert entry["message"] == "failed for Zoë\nsecond line"
    assert (entry["level"], entry["logger"], entry["transfer"]) == ("ERROR", "handover.test", 12)
    assert "RuntimeError: boom" in entry["exception"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", entry["time"])


# -- the access log ----------------------------------------------------------------------------------------


@pytest.fixture
def access_lines():
    """What the access logger writes, as the JSON lines production writes."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("handover.access")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _call(app, environ):
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, dict(headers)

    body = app(environ, start_response)
    content = b"".join(body)
    body.close()
    return seen, content


def test_one_access_line_per_request_without_the_query_string(access_lines):
    def page(environ, start_response):
        environ[USER_ID_KEY] = 31  # as the Django middleware records the signed-in user
        start_response("404 Not Found", [("Content-Type", "text/html")])
        return [b"not ", b"here"]

    environ = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/children/",
        "QUERY_STRING": "q=Amelia+Testfamily",
        "HTTP_X_REQUEST_ID": "proxy-id-1",
        "HTTP_COOKIE": "sessionid=secret",
    }
    seen, content = _call(AccessLog(page), environ)
    assert content == b"not here"
    assert seen["headers"]["X-Request-ID"] == "proxy-id-1"
    (line,) = access_lines()
    assert {k: line[k] for k in ("logger", "method", "path", "status", "request_id", "user_id")} == {
        "logger": "handover.access",
        "method": "GET",
        "path": "/children/",
        "status": 404,
        "request_id": "proxy-id-1",
        "user_id": 31,
    }
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert "Amelia" not in json.dumps(line) and "secret" not in json.dumps(line)


def test_the_access_line_reads_a_path_as_utf_8_and_keeps_a_header_the_app_set(access_lines):
    def page(environ, start_response):
        start_response("200 OK", [("X-Request-ID", "from-django")])
        return []

    raw_path = "/static/café.css".encode().decode("latin-1")  # as WSGI hands it over
    seen, _ = _call(AccessLog(page), {"REQUEST_METHOD": "HEAD", "PATH_INFO": raw_path})
    assert seen["headers"]["X-Request-ID"] == "from-django"
    (line,) = access_lines()
    assert (line["path"], line["status"], line["user_id"]) == ("/static/café.css", 200, None)


def test_a_request_that_raises_is_logged_as_500(access_lines):
    def broken(environ, start_response):
        raise RuntimeError("database gone")

    with pytest.raises(RuntimeError):
        AccessLog(broken)({"REQUEST_METHOD": "POST", "PATH_INFO": "/sign-in/"}, lambda *a: None)
    (line,) = access_lines()
    assert (line["method"], line["path"], line["status"]) == ("POST", "/sign-in/", 500)
