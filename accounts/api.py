"""API authentication: tokens that expire, looked up by the SHA-256 of the secret the client sends.

Loaded by DRF's settings while ``rest_framework.views`` imports: keep views out of this module.
Listed first in ``DEFAULT_AUTHENTICATION_CLASSES`` so that DRF answers a missing, unknown or expired
token with 401 and ``WWW-Authenticate: Token`` (DRF takes the header from the first class only).
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
        from accounts.models import ApiToken  # models load after DRF's settings

        token = ApiToken.objects.select_related("user").filter(digest=ApiToken.digest_of(key)).first()
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        if token.created < timezone.now() - settings.API_TOKEN_TTL:
            raise exceptions.AuthenticationFailed(_("Token has expired. Create a new one."))
        return token.user, token
