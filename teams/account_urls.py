"""The accounts URL namespace: the account pages plus their administration, which needs the access policy."""

from django.urls import path

from accounts.urls import app_name
from accounts.urls import urlpatterns as account_patterns
from teams import views_admin

__all__ = ["app_name", "urlpatterns"]

urlpatterns = [
    *account_patterns,
    path("accounts/admin/users/", views_admin.user_list_view, name="admin-users"),
    path("accounts/admin/users/new/", views_admin.user_create_view, name="admin-user-create"),
    path("accounts/admin/users/<int:user_id>/active/", views_admin.user_active_view, name="admin-user-active"),
    path("accounts/admin/users/<int:user_id>/reset-2fa/", views_admin.user_reset_otp_view, name="admin-user-reset-otp"),
]
