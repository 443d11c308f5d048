"""Signing in to the API, and asking someone who is not signed in to sign in: POST /api/token/ gives a new token
(each time a new one: accounts/tokens.py) for a username and password, and, for the people who must use
two-factor sign-in, the code from their authenticator app; the API answers 401 with what to send; its docs page,
which people open in a browser, sends them to the sign-in page and back."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.views import redirect_to_login
from drf_spectacular.utils import OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import NotAuthenticated, PermissionDenied, Throttled, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from handover.accounts import lockout, two_factor
from handover.accounts.tokens import NAME_CAP, token_issue
from handover.api.schema import BAD_REQUEST, ErrorDetail, HandoverSchema
from handover.organisation.access import staff_for

NOT_SIGNED_IN = (
    "sign in first: send your API token in the Authorization header as 'Token <key>' (POST /api/token/ "
    "with your username and password gives you one), or sign in to Handover in this browser"
)
WRONG = "enter a correct username and password"
NO_DEVICE = (
    "your roles need two-factor sign-in: sign in to Handover in a browser first, which asks you to set up an "
    "authenticator app, then send the code it shows as 'code'"
)


class TokenInput(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})
    code = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=12,
        help_text="the 6-digit code your authenticator app shows now: needed by managers and auditors when "
        "two-factor sign-in is required",
    )
    name = serializers.CharField(
        required=False,
        max_length=NAME_CAP,
        default="Issued by POST /api/token/",
        help_text="what will use the token (a script, a tool): shown on the 'Your API tokens' page",
    )


class TokenOutput(serializers.Serializer):
    token = serializers.CharField(help_text="send it as 'Authorization: Token <token>'; it is shown only now")
    name = serializers.CharField()
    expires_at = serializers.DateTimeField()


class ObtainToken(APIView):
    """A new API token for a username and password (and two-factor code, for those who need one). Each call
    issues a new token, which expires; revoke any you no longer use on the 'Your API tokens' page. Repeated wrong
    passwords lock the username for a while (429, as on the sign-in page)."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    schema = HandoverSchema()

    @extend_schema(
        request=TokenInput,
        responses={
            201: TokenOutput,
            400: OpenApiResponse(
                BAD_REQUEST, "a field missing or wrong, named in 'errors' (or the body not JSON)"
            ),
            403: OpenApiResponse(ErrorDetail, "not an active member of staff, or two-factor not set up"),
            429: OpenApiResponse(ErrorDetail, "too many attempts: wait for Retry-After seconds"),
        },
        auth=[],
    )
    def post(self, request):
        given = TokenInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        # The Django request, not DRF's: django-axes marks it when the username is locked, and its middleware
        # answers for it (accounts/lockout.py).
        user = authenticate(request._request, username=data["username"], password=data["password"])
        if getattr(request._request, "axes_locked_out", False):
            raise Throttled(
                wait=int(settings.AXES_COOLOFF_TIME.total_seconds()), detail=lockout.api_message()
            )
        if user is None:
            raise ValidationError({"non_field_errors": [WRONG]})
        staff = staff_for(user, on=request.today)
        if staff is None or not staff.active:
            raise PermissionDenied("sign in as an active member of staff")
        if two_factor.must_use(user, request.today):
            device = two_factor.device_of(user)
            if device is None:
                raise PermissionDenied(NO_DEVICE)
            if not data.get("code"):
                raise ValidationError(
                    {"code": [f"{two_factor.CODE_MESSAGE}: your roles need two-factor sign-in"]}
                )
            try:
                two_factor.check_code(device, data["code"])
            except two_factor.CodeRefused as refused:
                if refused.wait:
                    raise Throttled(wait=refused.wait, detail=refused.errors["code"]) from None
                raise ValidationError({"code": [refused.errors["code"]]}) from None
        issued = token_issue(user=user, name=data["name"], now=request.now)
        shown = TokenOutput(
            {"token": issued.key, "name": issued.row.name, "expires_at": issued.row.expires_at}
        )
        return Response(shown.data, status=status.HTTP_201_CREATED)


class ApiDocs(SpectacularSwaggerSplitView):
    """The self-hosted API docs: signed out, the sign-in page (not an error page about roles). The split view
    serves Swagger UI's start script from a URL (`?script`) rather than inline, and our template keeps its styles
    in a file: the strict Content-Security-Policy holds on this page too."""

    template_name = "api/swagger_ui.html"

    def handle_exception(self, exc):
        if isinstance(exc, NotAuthenticated):
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)
