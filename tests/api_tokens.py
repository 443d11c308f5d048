"""Issuing an API token in a test, as POST /api/token/ or the 'Your API tokens' page would (accounts/tokens.py)."""

from __future__ import annotations

from rest_framework.test import APIClient

from handover.accounts.tokens import token_issue
from handover.config.test_settings import HANDOVER_FIXED_NOW


def issue_token(user, name: str = "Test script", now=HANDOVER_FIXED_NOW) -> str:
    """A new token for `user`: the token itself, as its owner is shown it once."""
    return token_issue(user=user, name=name, now=now).key


def token_client(user, name: str = "Test script") -> APIClient:
    """An API client that sends a new token of `user`'s with every request."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(user, name)}")
    return client
