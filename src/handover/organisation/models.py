"""The authority, its services and teams (from the protocol file) and its staff with their roles.

Staff align with the Standard Safeguarding Dataset's `ssd_professionals` (Social Work England number, job
title, team, FTE, agency flag); a person can hold several roles in several teams over time.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from handover.domain import roles


class Role(models.TextChoices):
    SOCIAL_WORKER = "social_worker", "Social worker"
    PERSONAL_ADVISER = "personal_adviser", "Personal adviser"
    FAMILY_SUPPORT_PRACTITIONER = "family_support_practitioner", "Family support practitioner"
    PRACTICE_MANAGER = "practice_manager", "Practice manager"
    TEAM_MANAGER = "team_manager", "Team manager"
    SERVICE_MANAGER = "service_manager", "Service manager"
    HEAD_OF_SERVICE = "head_of_service", "Head of service"
    SERVICE_DIRECTOR = "service_director", "Service director"
    BUSINESS_SUPPORT = "business_support", "Business support"
    ADMINISTRATOR = "administrator", "Administrator"
    AUDITOR = "auditor", "Auditor (read only)"


# The groups are the core's (domain/roles.py): one definition of who is a manager, a case holder, senior.
CASE_HOLDING_ROLES = tuple(Role(r.value) for r in sorted(roles.CASE_HOLDERS))
MANAGER_ROLES = tuple(Role(r.value) for r in sorted(roles.MANAGERS))
SENIOR_ROLES = tuple(Role(r.value) for r in sorted(roles.SENIOR))


class Authority(models.Model):
    code = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    protocol = models.CharField(
        max_length=200, help_text="bundled protocol name or path to the protocol file"
    )

    class Meta:
        verbose_name_plural = "authorities"

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="services")
    code = models.SlugField(help_text="the service id in the protocol file")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=40)
    external = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["authority", "code"], name="unique_service_code")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="teams")
    code = models.SlugField(help_text="the team id in the protocol file")
    name = models.CharField(max_length=200)
    locality = models.CharField(max_length=100, blank=True)
    active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["service", "code"], name="unique_team_code")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StaffMember(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="staff")
    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="staff")
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    job_title = models.CharField(max_length=200, blank=True)
    social_work_england_number = models.CharField(
        max_length=20, blank=True, help_text="SW and digits, upper-case (domain/registration.py)"
    )
    social_work_england_expires = models.DateField(
        null=True, blank=True, help_text="the last day the Social Work England registration is valid"
    )
    fte = models.DecimalField(max_digits=3, decimal_places=2, default=1)
    agency = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A role a staff member holds in a team (or, for senior roles, across a service or the authority)."""

    staff = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=40, choices=Role.choices)
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="memberships"
    )
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, null=True, blank=True, related_name="memberships"
    )
    start = models.DateField()
    end = models.DateField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        indexes = [models.Index(fields=["staff", "end"]), models.Index(fields=["team", "role", "end"])]

    def __str__(self) -> str:
        where = self.team or self.service or "the authority"
        return f"{self.staff} — {self.get_role_display()} ({where})"


class ProtocolVersion(models.Model):
    """One version of an authority's protocol file, kept whole so a transfer is always judged by the version it
    started under (`Transfer.protocol_version` names it). At most one per authority is current: the version
    new proposals use. Rows are never changed after they are written, apart from which one is current."""

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="protocol_versions")
    name = models.CharField(max_length=200, help_text="the file it was published from, or the bundled name")
    version = models.CharField(max_length=100, help_text="the source version and a hash of the file's bytes")
    sha256 = models.CharField(max_length=64)
    text = models.TextField(help_text="the protocol file, exactly as published")
    clauses_text = models.TextField(help_text="the numbered copy of the source document the file cites")
    published_at = models.DateTimeField(null=True, blank=True, help_text="empty: stored when set up")
    published_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    current = models.BooleanField(default=False)

    class Meta:
        ordering = ["authority", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["authority", "sha256"], name="unique_protocol_version_sha256"),
            models.UniqueConstraint(fields=["authority", "version"], name="unique_protocol_version"),
            models.UniqueConstraint(
                fields=["authority"], condition=models.Q(current=True), name="one_current_protocol_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.authority} protocol {self.version}{' (current)' if self.current else ''}"
