"""What every page needs: the authority's name (shown in the header), the signed-in person, how many of their
notifications are still to do (the header's count: one query per page, none for anyone signed out), whether
they work at a front door team (the header's "Front door" link), who is signed in in words (the header: name,
main role and team, never a code) and the service navigation's links, only those the person may open, with
the current one marked."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from handover.children.front_door import front_door_teams
from handover.domain.roles import SENIORITY, RoleName
from handover.domain.rulebook import PrivacyAction
from handover.notifications.selectors import notifications_to_do_count
from handover.organisation.access import (
    can_read_children,
    current_memberships,
    may_open_team_page,
    may_privacy_action,
    overview_scope,
    staff_for,
)
from handover.organisation.protocol import protocol_named


def page(request):
    staff = staff_for(getattr(request, "user", None), on=getattr(request, "today", None))
    name = staff.authority.name if staff else protocol_named(settings.HANDOVER_PROTOCOL).file.authority.name
    active = staff is not None and staff.active
    to_do = notifications_to_do_count(staff) if active else 0
    front_door = active and bool(front_door_teams(staff, getattr(request, "today", None)))
    return {
        "authority_name": name,
        "current_staff": staff,
        "notifications_to_do": to_do,
        "works_at_front_door": front_door,
        "signed_in_role": signed_in_role(staff) if staff is not None else "",
        # An inactive person may open no page, so they are offered none; without a day to read roles for
        # (no request clock), every link is offered.
        "service_navigation": service_navigation(
            request, front_door=front_door, staff=staff if getattr(staff, "as_of", None) else None
        )
        if active
        else [],
    }


# The main role is the most senior one held today; among roles of the same rank (a case holder, business support,
# an administrator, an auditor), the one held longest. The order of the roles' choices breaks a tie.
_ORDER = [role.value for role in RoleName]


def signed_in_role(staff) -> str:
    """The person's main role and where they hold it, in words: "Social worker, Assessment Team East",
    "Service manager, Children in Need and Child Protection Service", "Auditor (read only)". Empty if they hold
    no role today. Reads the roles the page loads anyway (current_memberships caches them for the day)."""
    if getattr(staff, "as_of", None) is None:
        return ""
    memberships = current_memberships(staff)
    if not memberships:
        return ""
    main = min(
        memberships,
        key=lambda m: (-SENIORITY.get(RoleName(m.role), 0), m.start, _ORDER.index(m.role), m.pk),
    )
    where = main.team or main.service
    role = main.get_role_display()
    return f"{role}, {where.name}" if where is not None else role


@dataclass(frozen=True)
class NavigationItem:
    key: str
    text: str
    href: str
    current: str  # "page" on the item's own page, "true" on a page within its section, "" elsewhere


# Each link of the service navigation, and the pages (URL names) that belong to it beyond its own.
_NAVIGATION = (
    ("my_work", "My work", ()),
    ("front_door", "Front door", ("front_door_new", "front_door_close", "front_door_contact_read")),
    ("search", "Find a child", ()),
    ("team", "Team", ("team_detail",)),
    ("overview", "Overview", ()),
    ("meetings", "Meetings", ("meeting", "meeting_item", "meeting_late", "meeting_close")),
    ("escalations", "Escalations", ("escalation_acknowledge",)),
    ("protocol", "Protocol", ()),
    ("retention", "Retention", ()),
    ("notifications", "Notifications", ()),
)


def _may_open(staff, *, front_door: bool) -> dict[str, bool]:
    """Which links to show: each asks the rule its page enforces, so no link leads to a refusal."""
    reads = can_read_children(staff)
    return {
        "front_door": front_door,
        "search": reads,  # the search and the meetings are for those who may read children's records
        "meetings": reads,
        "team": may_open_team_page(staff),
        "overview": overview_scope(staff) is not None,
        "retention": may_privacy_action(staff, PrivacyAction.RETENTION_REVIEW),
    }


def service_navigation(request, *, front_door: bool, staff=None) -> list[NavigationItem]:
    """The links this person may follow (all of them for a page that gives no `staff`), the current one marked."""
    match = getattr(request, "resolver_match", None)
    here = match.url_name if match is not None and match.namespace == "web" else None
    allowed = _may_open(staff, front_door=front_door) if staff is not None else {"front_door": front_door}
    items = []
    for key, text, within in _NAVIGATION:
        if not allowed.get(key, True):
            continue
        current = "page" if here == key else "true" if here in within else ""
        items.append(NavigationItem(key=key, text=text, href=reverse(f"web:{key}"), current=current))
    return items
