"""What every page needs: the authority's name (shown in the header) and the signed-in person."""

from django.conf import settings

from handover.organisation.access import staff_for
from handover.organisation.protocol import protocol_named


def page(request):
    staff = staff_for(getattr(request, "user", None), on=getattr(request, "today", None))
    name = staff.authority.name if staff else protocol_named(settings.HANDOVER_PROTOCOL).file.authority.name
    return {"authority_name": name, "current_staff": staff}
