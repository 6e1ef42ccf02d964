"""API-wide conventions: one error shape for every failure."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Return ``{"error": {"code", "message", "fields"?}}`` for every API error.

    A 404 has one fixed body whether the object is missing or hidden from the caller.
    """
    if isinstance(exc, Http404 | exceptions.NotFound):
        return Response({"error": {"code": "not_found", "message": _("Not found.")}}, status=status.HTTP_404_NOT_FOUND)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code = getattr(exc, "default_code", "error")
    body: dict[str, Any] = {"code": code}
    if isinstance(exc, exceptions.ValidationError):
        body["message"] = _("The request is not valid.")
        body["fields"] = response.data
    else:
        detail = response.data.get("detail") if isinstance(response.data, dict) else response.data
        body["message"] = str(detail)
    response.data = {"error": body}
    return response
