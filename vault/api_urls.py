"""Every API endpoint lives under /api/v1/, grouped by app."""

from django.urls import include, path

urlpatterns = [
    path("", include("teams.api_urls")),
    path("auth/", include("accounts.api_urls")),
    path("cases/", include("cases.api_urls")),
    path("evidence/", include("evidence.api_urls")),
]
