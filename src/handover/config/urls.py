from django.urls import include, path

urlpatterns = [
    path("", include("handover.web.urls")),
    path("api/", include("handover.api.urls")),
    path("api-auth/", include("rest_framework.urls")),
]
