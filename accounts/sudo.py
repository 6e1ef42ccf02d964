"""Sudo mode: a fresh proof of identity before destructive or exporting actions.

Web views: decorate with ``@require_sudo``. Without a recent proof (password or a
second-factor code, within ``settings.SUDO_MODE_TIMEOUT``) the person is sent to
the confirmation page and comes back to the page they were on.

A POST interrupted this way is never replayed. Its fields (less the CSRF token, passwords and
whatever the view marks with ``sensitive_post_parameters``) are kept in the session for a short
while; back on the page of the form, ``accounts/sudo-resume.js`` puts them back in the form that
posts to the same address, and the person checks them and sends it again.

API views: add ``SudoPermission`` to ``permission_classes``. A session that
confirmed recently passes; a token client sends a current TOTP code in the
``X-Custody-OTP`` header with the request.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, Final, TypeVar, cast
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate
from django.db import transaction
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.permissions import BasePermission

from accounts import services
from audit.actions import Action
from audit.services import Target, record

SUDO_UNTIL: Final = "_custody_sudo_until"
RESUME_KEY: Final = "_custody_sudo_resume"
RESUME_SECONDS: Final = 15 * 60
# A form worth restoring is small; anything bigger is not copied into the session.
RESUME_MAX_CHARS: Final = 16_000
NOT_KEPT: Final = ("csrfmiddlewaretoken",)
OTP_HEADER: Final = "HTTP_X_CUSTODY_OTP"

V = TypeVar("V", bound=Callable[..., HttpResponseBase])


def sudo_active(request: HttpRequest) -> bool:
    """Has the person confirmed their identity within SUDO_MODE_TIMEOUT in this session?"""
    session = getattr(request, "session", None)
    if session is None or not request.user.is_authenticated:
        return False
    until = session.get(SUDO_UNTIL)
    return isinstance(until, int | float) and until > time.time()


def check_identity(request: HttpRequest, user: Any, *, password: str = "", code: str = "") -> str:
    """Which proof succeeded ("password" or "code"), or "" if none did. Failures are audited."""
    if password:
        # Through authenticate(), so django-axes counts the failures and locks the account out exactly as
        # at sign-in: a stolen or unattended session cannot guess the password without limit.
        confirmed = authenticate(request, username=user.get_username(), password=password)
        if confirmed is not None and confirmed.pk == user.pk:
            return "password"
        locked = bool(getattr(request, "axes_locked_out", False))
        with transaction.atomic():
            services.record_login_failed(request=request, username=user.get_username(), locked=locked)
        return ""
    if code and services.verify_code_only(request=request, user=user, code=code):
        return "code"
    return ""


def grant_sudo(request: HttpRequest, *, method: str) -> None:
    """Record the confirmation and open the sudo window. Call only after checking the password or code."""
    user = request.user
    with transaction.atomic():
        record(
            action=Action.SUDO_GRANTED,
            user=user,
            request=request,
            targets=[Target("user", int(user.pk or 0))],
            details={"method": method},
        )
    request.session[SUDO_UNTIL] = time.time() + settings.SUDO_MODE_TIMEOUT.total_seconds()


def end_sudo(request: HttpRequest) -> None:
    request.session.pop(SUDO_UNTIL, None)


def safe_next(request: HttpRequest, candidate: str | None, default: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _form_page(request: HttpRequest) -> str:
    """The page a POST came from (its form), or the dashboard when the browser did not say."""
    referer = request.headers.get("Referer")
    # Only the path and query are kept (the return is a relative redirect), so the scheme does not
    # matter here; the host must still be this one.
    if not (referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()})):
        referer = reverse(settings.LOGIN_REDIRECT_URL)
    parts = urlsplit(referer)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def sudo_url(request: HttpRequest) -> str:
    """Where to confirm; after it, the person returns to this page (or, after a POST, the page with the form)."""
    back = request.get_full_path() if request.method == "GET" else _form_page(request)
    return f"{reverse('accounts:sudo')}?{urlencode({'next': back})}"


def _keepable_fields(request: HttpRequest) -> dict[str, list[str]]:
    """The POSTed fields that may rest in the session: none the view marked sensitive, no password."""
    sensitive = getattr(request, "sensitive_post_parameters", ())
    if sensitive == "__ALL__":
        return {}
    fields = {
        name: request.POST.getlist(name)
        for name in request.POST
        if name not in NOT_KEPT and name not in sensitive and "password" not in name.lower()
    }
    if sum(len(name) + sum(len(value) for value in values) for name, values in fields.items()) > RESUME_MAX_CHARS:
        return {}
    return fields


def _keep_form(request: HttpRequest) -> bool:
    """Remember the interrupted form for the way back; True when some of its fields were kept."""
    fields = _keepable_fields(request)
    request.session[RESUME_KEY] = {
        "page": urlsplit(_form_page(request)).path,
        "action": request.path,
        "fields": fields,
        "until": time.time() + RESUME_SECONDS,
    }
    return bool(fields)


def pending_form(request: HttpRequest) -> dict[str, Any] | None:
    """The kept form to restore on this page (read only: a GET changes nothing), or None."""
    session = getattr(request, "session", None)
    kept = session.get(RESUME_KEY) if session is not None else None
    if not isinstance(kept, dict) or request.method != "GET" or kept.get("page") != request.path:
        return None
    if not kept.get("fields") or float(kept.get("until", 0)) < time.time():
        return None
    return {"action": kept["action"], "fields": kept["fields"]}


def has_pending_form(request: HttpRequest, next_url: str) -> bool:
    kept = request.session.get(RESUME_KEY)
    return isinstance(kept, dict) and bool(kept.get("fields")) and kept.get("page") == urlsplit(next_url).path


def sudo_redirect(request: HttpRequest) -> HttpResponseBase | None:
    """None in sudo mode; otherwise the redirect to the confirmation page (call after the access check)."""
    if sudo_active(request):
        if request.method == "POST" and request.session.get(RESUME_KEY, {}).get("action") == request.path:
            request.session.pop(RESUME_KEY)  # sent again: the kept copy has served
        return None
    if request.method != "GET":
        if _keep_form(request):
            messages.info(
                request,
                _(
                    "Nothing was changed yet. Confirm your identity: you will return to the form with your "
                    "entries, to check them and send it again."
                ),
            )
        else:
            messages.info(request, _("Nothing was changed. Confirm your identity, then repeat the action."))
    return redirect(sudo_url(request))


def require_sudo(view: V) -> V:
    """Decorator for web views that destroy or export: they run only in sudo mode.

    Where an object's access check must come first (so that a hidden object still answers 404),
    call ``sudo_redirect(request)`` inside the view after the check instead.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return sudo_redirect(request) or view(request, *args, **kwargs)

    return cast(V, wrapper)


class SudoPermission(BasePermission):
    """DRF permission: sudo mode in the session, or a valid TOTP code in the X-Custody-OTP header."""

    message = gettext_lazy(
        "This action needs a fresh confirmation: send a current two-factor code in the X-Custody-OTP header."
    )
    code = "sudo_required"

    def has_permission(self, request: Any, view: Any) -> bool:
        django_request: HttpRequest = request._request
        if sudo_active(django_request):
            return True
        code = str(request.META.get(OTP_HEADER, "")).strip()
        if not code or not request.user.is_authenticated or not services.is_totp_code(code):
            return False
        if not services.verify_code_only(request=django_request, user=request.user, code=code):
            return False
        with transaction.atomic():
            record(
                action=Action.SUDO_GRANTED,
                user=request.user,
                request=django_request,
                targets=[Target("user", request.user.pk)],
                details={"method": "totp_header"},
            )
        return True
