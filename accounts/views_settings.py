"""A person's own account: password, two-factor devices, recovery codes, API token."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import services
from accounts.forms import PasswordChangeForm
from accounts.models import ApiToken
from accounts.sudo import require_sudo, sudo_active
from accounts.views import _user


@login_required
@require_GET
def settings_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    token = ApiToken.objects.filter(user=user).first()
    context = {
        "device": services.confirmed_totp(user),
        "codes_left": services.recovery_codes_left(user),
        "token": token,
        "token_expires": token.created + settings.API_TOKEN_TTL if token else None,
        "sudo": sudo_active(request),
    }
    return render(request, "accounts/settings.html", context)


@never_cache
@login_required
@sensitive_post_parameters("new_password1", "new_password2")
@require_http_methods(["GET", "POST"])
@require_sudo
def password_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = PasswordChangeForm(user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        services.do_change_password(request=request, user=user, password=form.cleaned_data["new_password1"])
        messages.success(request, _("Your password has been changed. Your other sessions have been signed out."))
        return redirect("accounts:settings")
    return render(request, "accounts/password.html", {"form": form})


@never_cache
@login_required
@require_POST
@require_sudo
def recovery_codes_view(request: HttpRequest) -> HttpResponse:
    codes = services.do_regenerate_recovery_codes(request=request, user=_user(request))
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "first_time": False})


@never_cache
@login_required
@require_POST
@require_sudo
def token_create_view(request: HttpRequest) -> HttpResponse:
    issued = services.do_create_token(request=request, user=_user(request))
    return render(request, "accounts/token_created.html", {"key": issued.secret, "expires": issued.expires})


@login_required
@require_POST
def token_revoke_view(request: HttpRequest) -> HttpResponse:
    if services.do_revoke_token(request=request, user=_user(request)):
        messages.success(request, _("Your API token has been revoked."))
    return redirect("accounts:settings")
