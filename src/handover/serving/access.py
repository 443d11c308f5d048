"""The access log: one JSON line per request on standard output, written by a WSGI wrapper around the whole
application (static files included), so it is the same whichever server runs it.

Each line holds the method, the path, the status, the time taken in milliseconds, the request id and the
signed-in user's id if the page knew it. Never the query string (a search carries a child's name), nor a
header, a cookie or a body."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from handover.serving.logs import REQUEST_ID_HEADER, USER_ID_KEY, current_request_id, request_id_of

logger = logging.getLogger("handover.access")


class AccessLog:
    def __init__(self, app: Callable[..., Iterable[bytes]]):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        request_id = request_id_of(environ)
        current_request_id.set(request_id)
        seen: dict[str, int] = {}

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen["status"] = int(status.split(" ", 1)[0])
            # Static files are answered before Django's middleware: echo the id on them too.
            if not any(name.lower() == "x-request-id" for name, _ in headers):
                headers = [*headers, (REQUEST_ID_HEADER, request_id)]
            return start_response(status, headers, exc_info)

        try:
            body = self.app(environ, start)
        except BaseException:
            seen.setdefault("status", 500)
            self._log(environ, seen, started, request_id)
            raise
        return _Closing(body, lambda: self._log(environ, seen, started, request_id))

    @staticmethod
    def _log(environ: dict[str, Any], seen: dict[str, int], started: float, request_id: str) -> None:
        current_request_id.set(None)
        method = environ.get("REQUEST_METHOD", "")
        # WSGI gives the path as latin-1 code points of the raw bytes: back to UTF-8 text.
        raw = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        path = raw.encode("latin-1", "replace").decode("utf-8", "replace")
        status = seen.get("status", 0)
        logger.info(
            "%s %s %s",
            method,
            path,
            status,
            extra={
                "request_id": request_id,
                "fields": {
                    "method": method,
                    "path": path,
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "user_id": environ.get(USER_ID_KEY),
                },
            },
        )


class _Closing:
    """The response body, passed through; when the server closes it (after the last byte is sent, or when the
    client goes away) the request is logged, so the time taken includes sending the body."""

    def __init__(self, body: Iterable[bytes], on_close: Callable[[], None]):
        self.body = body
        self.on_close = on_close

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.body)

    def close(self) -> None:
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            self.on_close()
