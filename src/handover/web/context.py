"""What every page needs: the authority's name (shown in the header), the signed-in person, how many of their
notifications are still to do (the header's count: one query per page, none for anyone signed out), and whether
they work at a front door team (the header's "Front door" link)."""

from django.conf import settings

from handover.children.front_door import front_door_teams
from handover.notifications.selectors import notifications_to_do_count
from handover.organisation.access import staff_for
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
    }
