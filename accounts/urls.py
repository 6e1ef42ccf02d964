from django.urls import path

from accounts import views, views_settings

# Account administration (teams.views_admin) is added to this namespace by teams.account_urls, so that
# accounts depends on no other app.
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
]
