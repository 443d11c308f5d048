"""The request id at Django's boundary: every log record written while a request is handled carries it
(handover.serving.logs), the response echoes it in `X-Request-ID`, and the access log learns who was signed in."""

from __future__ import annotations

from django.core.signals import request_finished
from django.utils.functional import empty

from handover.serving.logs import REQUEST_ID_HEADER, USER_ID_KEY, current_request_id, request_id_of


class RequestId:
    """Takes the proxy's X-Request-ID if it is sane, else makes one (the access log may have done so already,
    for the same request: then its id is kept)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request_id_of(request.META)
        # Kept until the response is closed (below), not only while the middleware runs: Django logs a page's
        # "Not Found" or "Internal Server Error" after every middleware has returned.
        current_request_id.set(request.request_id)
        response = self.get_response(request)
        response.headers[REQUEST_ID_HEADER] = request.request_id
        user_id = _known_user_id(request)
        if user_id is not None:
            request.META[USER_ID_KEY] = user_id
        return response


def _forget_request_id(**kwargs) -> None:
    current_request_id.set(None)


request_finished.connect(_forget_request_id, dispatch_uid="handover.web.request_id")


def _known_user_id(request) -> int | None:
    """The signed-in user's id if the page already looked them up: asking now would cost a query the page did not
    need (the health check, the sign-in page)."""
    user = getattr(request, "user", None)
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    return user.pk if user.is_authenticated else None
