from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(url="/api/docs/", permanent=False)),
    path("api/", include("handover.api.urls")),
    path("api-auth/", include("rest_framework.urls")),
]
