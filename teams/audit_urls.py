from django.urls import path

from teams import audit_views

app_name = "audit"
urlpatterns = [
    path("", audit_views.platform_events, name="events"),
    path("export.csv", audit_views.platform_export, name="export"),
    path("users/<int:user_id>/", audit_views.person_events, name="person"),
    path("users/<int:user_id>/export.csv", audit_views.person_export, name="person-export"),
    path("key.asc", audit_views.signing_key, name="key"),
]
