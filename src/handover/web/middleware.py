"""While HANDOVER_MAINTENANCE is on, every request gets the 'service unavailable' page (503)."""

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string


class ServiceUnavailable:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if getattr(settings, "HANDOVER_MAINTENANCE", False):
            response = HttpResponse(render_to_string("503.html"), status=503)
            response["Retry-After"] = "3600"
            return response
        return self.get_response(request)
