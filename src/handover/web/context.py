"""What every page needs: the authority's name (shown in the header) and the signed-in person."""

from django.conf import settings

from handover.organisation.access import staff_for
from handover.organisation.models import Authority


def page(request):
    staff = staff_for(getattr(request, "user", None))
    authority = (
        staff.authority if staff else Authority.objects.filter(protocol=settings.HANDOVER_PROTOCOL).first()
    )
    return {
        "authority_name": authority.name if authority else "Children's Social Care",
        "current_staff": staff,
    }
