from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/", include("vault.api_urls")),
    path("", include("teams.account_urls")),
    path("", include("teams.urls")),
    path("cases/<int:case_id>/audit/", include("cases.audit_urls")),
    path("cases/", include("cases.urls")),
    path("sharing/", include("cases.sharing_urls")),
    path("evidence/", include("evidence.annotation_urls")),
    path("evidence/", include("evidence.sharing_urls")),
    path("evidence/", include("evidence.urls")),
    path("evidence/", include("evidence.custody_urls")),
    path("evidence/", include("evidence.redaction_urls")),
    path("evidence/", include("evidence.production_urls")),
    path("audit/", include("teams.audit_urls")),
]

handler404 = "vault.views.not_found"
handler500 = "vault.views.server_error"
