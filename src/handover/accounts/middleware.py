"""Two-factor, enforced once for every page: someone who must confirm a code (accounts/two_factor.must_use) and
has not in this session is sent to confirm one, or to set up an app if they have none, and then back to where
they were going. The API, used with a browser's session, answers 403 instead; a request with a token carries no
session and is checked when the token is issued (POST /api/token/ asks these people for a code)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import JsonResponse
from django.shortcuts import redirect

from handover.accounts import two_factor

API_MESSAGE = (
    "confirm the code from your authenticator app first: sign in to Handover in this browser and enter it"
)


def two_factor_exempt(view):
    """Mark a view that someone part-way through signing in may open (confirming a code, setting up an app,
    signing out)."""
    view.two_factor_exempt = True
    return view


class TwoFactorRequired:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if getattr(view_func, "two_factor_exempt", False) or not two_factor.required():
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or two_factor.verified(request):
            return None
        path = request.path_info
        if path.startswith("/api/") and "HTTP_AUTHORIZATION" in request.META:
            return None  # a token: its own person, checked when it was issued, not this session's
        if not two_factor.must_use(user, getattr(request, "today", None)):
            return None
        if path.startswith("/api/") and not path.startswith("/api/docs/"):
            return JsonResponse({"detail": API_MESSAGE}, status=403)
        target = "web:two_factor_verify" if two_factor.device_of(user) else "web:two_factor_enrol"
        response = redirect(target)
        response["Location"] += "?" + urlencode({"next": request.get_full_path()})
        return response
