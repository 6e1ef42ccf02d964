from django.urls import path

from accounts import views, views_admin, views_settings

app_name = "accounts"
urlpatterns = [
    path("accounts/login/", views.login_view, name="login"),
    path("accounts/login/code/", views.otp_view, name="otp"),
    path("accounts/two-factor/setup/", views.enrol_view, name="enrol"),
    path("accounts/logout/", views.logout_view, name="logout"),
    path("accounts/confirm/", views.sudo_view, name="sudo"),
    path("accounts/settings/", views_settings.settings_view, name="settings"),
    path("accounts/settings/password/", views_settings.password_view, name="password"),
    path("accounts/settings/recovery-codes/", views_settings.recovery_codes_view, name="recovery-codes"),
    path("accounts/settings/token/", views_settings.token_create_view, name="token-create"),
    path("accounts/settings/token/revoke/", views_settings.token_revoke_view, name="token-revoke"),
    path("accounts/admin/users/", views_admin.user_list_view, name="admin-users"),
    path("accounts/admin/users/new/", views_admin.user_create_view, name="admin-user-create"),
    path("accounts/admin/users/<int:user_id>/active/", views_admin.user_active_view, name="admin-user-active"),
    path("accounts/admin/users/<int:user_id>/reset-2fa/", views_admin.user_reset_otp_view, name="admin-user-reset-otp"),
]
