"""API tokens: each one issued on its own (never the same one again), with a name, an expiry and a revocation,
and only a hash of it kept: the token itself is shown once, when it is issued, and cannot be read back from the
database by anyone who gets a copy of it."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="what the person calls it: the script or tool using it")
    prefix = models.CharField(max_length=12, help_text="its first characters, to tell tokens apart")
    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the token, in hex")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "revoked_at", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def usable_at(self, now) -> bool:
        return self.revoked_at is None and now < self.expires_at
