from django.urls import include, path
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

urlpatterns = [
    path("", include(router.urls)),
    path("token/", ObtainToken.as_view(), name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", ApiDocs.as_view(url_name="api-schema"), name="api-docs"),
]
