"""Request boundary: the one clock read per request, the maintenance page, and the headers every response
carries because any of them may hold a child's data."""

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers

from handover import clock
from handover.organisation.protocol import current_version_read_once


class RequestClock:
    """Read the clock once per request: everything below takes `request.now` (and its `request.today`). The
    authority's current protocol version is likewise read once per request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.now = clock.now()
        request.today = clock.today_of(request.now)
        with current_version_read_once():
            return self.get_response(request)


class ServiceUnavailable:
    """While HANDOVER_MAINTENANCE is on, every request gets the 'service unavailable' page (503), except the
    health check: an orchestrator that saw it fail would take every instance away, or restart them, and people
    would get its error instead of this page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if getattr(settings, "HANDOVER_MAINTENANCE", False) and request.path_info != "/health/":
            response = HttpResponse(render_to_string("503.html"), status=503)
            response["Retry-After"] = "3600"
            return response
        return self.get_response(request)


# Features no page of Handover uses: the browser refuses them to any script that asks (camera, microphone...).
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)


class PrivateResponses:
    """Every page and API response may hold a child's data: no browser, proxy or shared cache keeps a copy
    (`Cache-Control: no-store`, also on the downloads, which set it themselves), and the Permissions-Policy.
    Static files never reach here: WhiteNoise, earlier in the chain, serves them with long cache lifetimes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        add_never_cache_headers(response)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
