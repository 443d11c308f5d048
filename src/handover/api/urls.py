from django.http import JsonResponse
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from handover.api import front_door, views
from handover.api.auth import ApiDocs, ObtainToken

router = DefaultRouter()
router.register("teams", views.TeamViewSet, basename="team")
router.register("staff", views.StaffViewSet, basename="staff")
router.register("children", views.ChildViewSet, basename="child")
router.register("transfers", views.TransferViewSet, basename="transfer")
router.register("case-requests", views.CaseRequestViewSet, basename="case-request")
router.register("bulk-transfers", views.BulkTransferViewSet, basename="bulk-transfer")
router.register("escalations", views.EscalationViewSet, basename="escalation")
router.register("notifications", views.NotificationViewSet, basename="notification")
router.register("audit", views.AuditViewSet, basename="audit")
router.register("front-door/contacts", front_door.FrontDoorContactViewSet, basename="front-door-contact")


@csrf_exempt  # as the API's own views are (a token, not a cookie): a POST to nowhere is a 404, not a CSRF 403
def not_found(request, *args, **kwargs):
    """Any other address under /api/ (an id that is not a whole number, a misspelt path) is answered in JSON, as
    the API's own 404s are, not with the site's HTML page. Only addresses ending in "/": one without still gets
    Django's redirect to the address with it (APPEND_SLASH)."""
    return JsonResponse(
        {"detail": "no such address in the API: /api/docs/ lists them (ids are whole numbers)"},
        status=404,
    )


urlpatterns = [
    path("", include(router.urls)),
    path("token/", ObtainToken.as_view(), name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", ApiDocs.as_view(url_name="api-schema"), name="api-docs"),
    # Each part may hold anything, a newline too, but "/".
    re_path(r"^(?:[^/]*/)+$", not_found, name="api-not-found"),
]
