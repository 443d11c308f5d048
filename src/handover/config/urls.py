from django.urls import include, path

from handover.web.health import health

urlpatterns = [
    path("health/", health, name="health"),
    path("", include("handover.web.urls")),
    path("api/", include("handover.api.urls")),
    path("api-auth/", include("rest_framework.urls")),
]
