"""Request boundary: the one clock read per request, and the maintenance page."""

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string

from handover import clock


class RequestClock:
    """Read the clock once per request: everything below takes `request.now` (and its `request.today`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.now = clock.now()
        request.today = clock.today_of(request.now)
        return self.get_response(request)


class ServiceUnavailable:
    """While HANDOVER_MAINTENANCE is on, every request gets the 'service unavailable' page (503)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if getattr(settings, "HANDOVER_MAINTENANCE", False):
            response = HttpResponse(render_to_string("503.html"), status=503)
            response["Retry-After"] = "3600"
            return response
        return self.get_response(request)
