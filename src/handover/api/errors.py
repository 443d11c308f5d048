"""One place that turns the domain's errors into HTTP answers with field-level messages."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework import status
from rest_framework.exceptions import ErrorDetail, NotAuthenticated
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from handover.api.auth import NOT_SIGNED_IN
from handover.domain.errors import AccessDenied, ApplicationError, Conflict, Refusal, SituationError
from handover.domain.rulebook import RecordRefused
from handover.domain.workflow import TransitionRefused


def exception_handler(exc, context):
    if isinstance(
        exc, RequestDataTooBig
    ):  # DRF reads a JSON or form body through request.body, which checks it
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return Response(
            {"detail": f"the request body is more than {limit:,} bytes"},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, ApplicationError):
        return Response({"errors": exc.errors}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, SituationError):
        return Response({"errors": {f"situation.{exc.field}": str(exc)}}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, AccessDenied | RecordRefused):
        rule = {"rule": exc.rule} if getattr(exc, "rule", "") else {}
        return Response({"detail": str(exc), **rule}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, Conflict):
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, TransitionRefused):
        code = status.HTTP_400_BAD_REQUEST
        if exc.rule.endswith(".role"):
            code = status.HTTP_403_FORBIDDEN
        elif exc.rule.endswith((".from_state", ".route", ".final")):
            code = status.HTTP_409_CONFLICT
        return Response({"detail": str(exc), "rule": exc.rule}, status=code)
    if isinstance(exc, Refusal):  # a kind of refusal not mapped above is still the person's, not a 500
        return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(
        exc, NotAuthenticated
    ):  # DRF's "Authentication credentials were not provided." says not how
        exc.detail = ErrorDetail(NOT_SIGNED_IN, code=exc.default_code)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" not in response.data:
        response.data = {"errors": response.data}
    return response
