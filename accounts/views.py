"""Signing in and out: password, second factor, enrolment, sudo confirmation."""

from __future__ import annotations

import base64
from binascii import unhexlify
from typing import Any, Final

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.forms import CodeForm, EnrolForm, LoginForm, SudoForm
from accounts.models import User
from accounts.sudo import check_identity, grant_sudo, has_pending_form, safe_next, sudo_active, sudo_url

NEXT_KEY: Final = "_custody_next"
PENDING_KEY: Final = "_custody_pending_totp"


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _cooloff_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def _locked_page(request: HttpRequest, form: LoginForm | None = None) -> HttpResponse:
    context = {"form": form or LoginForm(request), "locked": True, "minutes": _cooloff_minutes()}
    return render(request, "accounts/login.html", context, status=429)


def lockout_response(
    request: HttpRequest, original_response: HttpResponseBase | None = None, credentials: Any = None
) -> HttpResponseBase:
    """Called by axes for a locked-out attempt: the sign-in view has already rendered the explanation."""
    return original_response if original_response is not None else _locked_page(request)


@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL if services.is_verified(request.user) else "accounts:otp")
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"), "")
    form = LoginForm(request, data=request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            user = form.get_user()
            with transaction.atomic():
                login(request, user)
                services.record_login(request=request, user=user)
            if next_url:
                request.session[NEXT_KEY] = next_url
            return redirect("accounts:otp" if services.has_second_factor(user) else "accounts:enrol")
        locked = bool(getattr(request, "axes_locked_out", False))
        with transaction.atomic():
            services.record_login_failed(request=request, username=request.POST.get("username", ""), locked=locked)
        if locked:
            return _locked_page(request, form)
    return render(request, "accounts/login.html", {"form": form, "next": next_url})


def _after_second_factor(request: HttpRequest) -> HttpResponse:
    target = safe_next(request, request.session.pop(NEXT_KEY, None), "")
    return redirect(target or settings.LOGIN_REDIRECT_URL)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def otp_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if services.is_verified(request.user):
        return redirect(settings.LOGIN_REDIRECT_URL)
    if not services.has_second_factor(user):
        return redirect("accounts:enrol")
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        device = services.do_verify_second_factor(request=request, user=user, code=form.cleaned_data["code"])
        if device is not None:
            if isinstance(device, StaticDevice):
                left = services.recovery_codes_left(user)
                messages.warning(
                    request,
                    _("You signed in with a recovery code. %(left)d remain; create new ones in your account settings.")
                    % {"left": left},
                )
            return _after_second_factor(request)
        form.add_error(
            "code",
            _("This code was not accepted. Codes work once and only for a short time: wait for a new one and retry."),
        )
    return render(request, "accounts/otp.html", {"form": form})


def _qr_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    return image.to_string(encoding="unicode")


def _grouped(secret: str) -> str:
    """Groups of four characters are easier to type; authenticator apps ignore the spaces."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _pending_key(request: HttpRequest) -> str:
    key = request.session.get(PENDING_KEY)
    if not isinstance(key, str):
        key = services.new_totp_key()
        request.session[PENDING_KEY] = key
    return key


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def enrol_view(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator. Replacing an existing one needs the current factor and sudo mode."""
    user = _user(request)
    if services.has_second_factor(user):
        if not services.is_verified(request.user):
            return redirect("accounts:otp")
        if not sudo_active(request):
            return redirect(sudo_url(request))
    key = _pending_key(request)
    form = EnrolForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        codes = services.do_enrol_totp(request=request, user=user, key=key, code=form.cleaned_data["code"])
        if codes is not None:
            request.session.pop(PENDING_KEY, None)
            return render(request, "accounts/recovery_codes.html", {"codes": codes, "first_time": True})
        form.add_error("code", _("This code does not match. Check the time on your phone and enter the newest code."))
    device = TOTPDevice(user=user, key=key, name=services.TOTP_DEVICE_NAME)
    context = {
        "form": form,
        "qr_svg": _qr_svg(device.config_url),
        "secret": _grouped(base64.b32encode(unhexlify(key)).decode("ascii")),
    }
    return render(request, "accounts/enrol.html", context)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        with transaction.atomic():
            services.record_logout(request=request, user=_user(request))
        logout(request)
        messages.info(request, _("You have signed out."))
    return redirect(settings.LOGOUT_REDIRECT_URL)


@never_cache
@login_required
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def sudo_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"), "")
    form = SudoForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        method = check_identity(
            request, user, password=form.cleaned_data.get("password", ""), code=form.cleaned_data.get("code", "")
        )
        if method:
            grant_sudo(request, method=method)
            if next_url and has_pending_form(request, next_url):
                messages.info(
                    request, _("Identity confirmed. Your entries are back in the form: check them, then send it.")
                )
            return redirect(next_url or "accounts:settings")
        if getattr(request, "axes_locked_out", False):
            # Too many wrong passwords: the session ends, and the account stays locked for the cool-off.
            with transaction.atomic():
                services.record_logout(request=request, user=user)
            logout(request)
            return _locked_page(request)
        form.add_error(None, _("That password or code was not accepted."))
    minutes = int(settings.SUDO_MODE_TIMEOUT.total_seconds() // 60)
    return render(request, "accounts/sudo.html", {"form": form, "next": next_url, "minutes": minutes})
