"""Session limits and the second-factor requirement, applied to every request."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Final

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from accounts import services
from accounts.signals import SESSION_SEEN, SESSION_STARTED

# Writing the session on every request costs a query; a few seconds of idle-time precision is enough.
SEEN_RESOLUTION: Final = 15.0

# Pages a signed-in person may reach before the second factor is verified.
UNVERIFIED_ALLOWED: Final = frozenset({"accounts:otp", "accounts:enrol", "accounts:logout", "set_language"})


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _api_error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def expired_limit(session: Any, now: float) -> str:
    """Which limit the session has passed, or "" while it is still valid."""
    started = session.get(SESSION_STARTED)
    seen = session.get(SESSION_SEEN)
    if started is None or now - started > settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds():
        return "absolute"
    if seen is None or now - seen > settings.SESSION_IDLE_TIMEOUT.total_seconds():
        return "idle"
    return ""


class SessionTimeoutMiddleware:
    """End a signed-in session after SESSION_IDLE_TIMEOUT without requests or SESSION_ABSOLUTE_TIMEOUT in all."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = request.user
        if user.is_authenticated:
            now = time.time()
            limit = expired_limit(request.session, now)
            if limit:
                return self._expire(request, limit)
            if now - request.session.get(SESSION_SEEN, 0) > SEEN_RESOLUTION:
                request.session[SESSION_SEEN] = now
        return self.get_response(request)

    def _expire(self, request: HttpRequest, limit: str) -> HttpResponse:
        user = request.user
        with transaction.atomic():
            services.record_logout(request=request, user=user, expired=limit)  # type: ignore[arg-type]
        logout(request)
        message = _("Your session has expired. Please sign in again.")
        if is_api(request):
            return _api_error("session_expired", message, 401)
        messages.warning(request, message)
        return redirect(settings.LOGIN_URL)


class SecondFactorRequiredMiddleware:
    """A signed-in session without a verified second factor reaches only the two-factor pages and sign-out."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponseBase | None:
        user = request.user
        if not user.is_authenticated or services.is_verified(user):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in UNVERIFIED_ALLOWED:
            return None
        if is_api(request):
            return _api_error("second_factor_required", _("Complete two-factor sign-in first."), 403)
        return redirect("accounts:otp")
