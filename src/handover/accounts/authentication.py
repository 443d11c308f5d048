"""The API's token authentication: `Authorization: Token <token>`, as DRF's was, checked against the hashes of
issued tokens (accounts/tokens.py); an expired or revoked token is told so (401)."""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from handover.accounts.tokens import TokenRefused, token_check


class ApiTokenAuthentication(TokenAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        # The boundary's clock (web/middleware.RequestClock) decides expiry, as it decides everything else.
        self._now = request._request.now
        return super().authenticate(request)

    def authenticate_credentials(self, key):
        try:
            token = token_check(key, self._now)
        except TokenRefused as refused:
            raise exceptions.AuthenticationFailed(str(refused)) from None
        return token.user, token
