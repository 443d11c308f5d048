"""What someone sees when a username is locked after repeated wrong passwords (django-axes; the settings are in
config/settings.py, "Lockout"): the sign-in page's GOV.UK page, or the API's JSON, both 429 with Retry-After and
how long to wait. Each attempt while locked starts the wait again (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT),
so the whole cool-off is always the true wait from the attempt that got this answer."""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone


def cool_off_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def wait_words(minutes: int) -> str:
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def api_message() -> str:
    return (
        f"too many failed sign-in attempts for this username: wait {wait_words(cool_off_minutes())}, then try "
        "again (each attempt before then starts the wait again)"
    )


def locked_out(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the answer to an attempt on a locked username."""
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    if request.path_info.startswith("/api/"):
        if original_response is not None and original_response.status_code == 429:
            return original_response  # POST /api/token/ said so itself, in the API's own words
        response = JsonResponse({"detail": api_message()}, status=429)
    else:
        # The attempt's own time (axes stamps it on the request), not a clock read here.
        attempted = getattr(request, "axes_attempt_time", None)
        until = timezone.localtime(attempted + settings.AXES_COOLOFF_TIME) if attempted else None
        response = render(
            request,
            "registration/locked_out.html",
            {"wait": wait_words(cool_off_minutes()), "until": until, "failures": settings.AXES_FAILURE_LIMIT},
            status=429,
        )
    response["Retry-After"] = str(seconds)
    return response
