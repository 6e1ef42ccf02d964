"""Error pages: JSON under /api/, the site's pages elsewhere."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults

API_PREFIX = "/api/"


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Unknown paths under /api/ answer in the API's error shape (vault/api.py).

    The body is the one a hidden object gets, so a missing endpoint and a refused one look alike.
    """
    if _is_api(request):
        return JsonResponse({"error": {"code": "not_found", "message": _("Not found.")}}, status=404)
    return defaults.page_not_found(request, exception or Exception())


def server_error(request: HttpRequest) -> HttpResponse:
    """An unexpected failure: no detail leaves the server, whatever the path."""
    if _is_api(request):
        return JsonResponse({"error": {"code": "server_error", "message": _("A server error occurred.")}}, status=500)
    return defaults.server_error(request)
