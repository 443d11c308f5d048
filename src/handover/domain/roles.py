"""The roles staff hold, named once. Groups used by the rulebook and the workflow table; the records layer's
`Role` choices (organisation/models.py) take their values from here, and a test checks they agree."""

from __future__ import annotations

from enum import StrEnum


class RoleName(StrEnum):
    SOCIAL_WORKER = "social_worker"
    PERSONAL_ADVISER = "personal_adviser"
    FAMILY_SUPPORT_PRACTITIONER = "family_support_practitioner"
    PRACTICE_MANAGER = "practice_manager"
    TEAM_MANAGER = "team_manager"
    SERVICE_MANAGER = "service_manager"
    HEAD_OF_SERVICE = "head_of_service"
    SERVICE_DIRECTOR = "service_director"
    BUSINESS_SUPPORT = "business_support"
    ADMINISTRATOR = "administrator"
    AUDITOR = "auditor"


CASE_HOLDERS = frozenset(
    {RoleName.SOCIAL_WORKER, RoleName.PERSONAL_ADVISER, RoleName.FAMILY_SUPPORT_PRACTITIONER}
)
MANAGERS = frozenset({RoleName.TEAM_MANAGER, RoleName.PRACTICE_MANAGER})
SENIOR = frozenset({RoleName.SERVICE_MANAGER, RoleName.HEAD_OF_SERVICE, RoleName.SERVICE_DIRECTOR})
READ_ONLY = frozenset({RoleName.AUDITOR})  # reads every record it may see, writes nothing
NO_CHILD_ACCESS = frozenset({RoleName.ADMINISTRATOR})  # runs the system, never reads a child's record


# Seniority of the managers, for where a dispute between managers goes on a protocol's ladder: to the first level
# above the managers who disagree (Central Bedfordshire C-008: "disputes between team managers" go first to the
# practice managers).
SENIORITY = {
    RoleName.TEAM_MANAGER: 1,
    RoleName.PRACTICE_MANAGER: 2,
    RoleName.SERVICE_MANAGER: 3,
    RoleName.HEAD_OF_SERVICE: 4,
    RoleName.SERVICE_DIRECTOR: 5,
}
