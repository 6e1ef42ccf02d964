"""API authentication: DRF tokens that expire.

Loaded by DRF's settings while ``rest_framework.views`` imports: keep views out of this module.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication


class ExpiringTokenAuthentication(TokenAuthentication):
    keyword = "Token"

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        user, token = super().authenticate_credentials(key)
        if token.created < timezone.now() - settings.API_TOKEN_TTL:
            raise exceptions.AuthenticationFailed(_("Token has expired. Create a new one."))
        return user, token
