"""Responses to signed-in people are never stored by browsers or proxies.

Every page of the vault carries case or survivor material (or the audit log); on shared office and
field machines the browser cache and the back button would keep them after sign-out.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import add_never_cache_headers


class NoStoreForSignedInMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "no-store" not in response.get("Cache-Control", ""):
            add_never_cache_headers(response)
            response["Pragma"] = "no-cache"
        return response
