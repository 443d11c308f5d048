"""Template filters for people as they are read: `{{ item.decided_by|with_role:meeting.sits_on }}` gives
"Name, Role, Team" as they were on that day (organisation.selectors.name_with_role, the one home of it)."""

from __future__ import annotations

from django import template

from handover.organisation.selectors import name_with_role

register = template.Library()


@register.filter
def with_role(staff, on) -> str:
    return name_with_role(staff, on) if staff is not None and on is not None else getattr(staff, "name", "")
