from django.urls import path

from cases import audit_views

app_name = "case_audit"
urlpatterns = [
    path("", audit_views.case_events, name="events"),
    path("export.csv", audit_views.case_export, name="export"),
]
