"""The API endpoint that manages the caller's token."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.sudo import SudoPermission


class TokenSerializer(serializers.Serializer[object]):
    token = serializers.CharField(help_text=_("Shown once. Send it as 'Authorization: Token <token>'."))
    expires = serializers.DateTimeField()


class TokenView(APIView):
    """The caller's API token: create (or replace) it, or revoke it.

    Creating one is a sensitive action: a session in sudo mode, or a current TOTP code in the
    ``X-Custody-OTP`` header.
    """

    def get_permissions(self) -> list[Any]:
        if self.request.method == "POST":
            return [IsAuthenticated(), SudoPermission()]
        return [IsAuthenticated()]

    @extend_schema(request=None, responses={201: TokenSerializer})
    def post(self, request: Request) -> Response:
        token = services.do_create_token(request=request._request, user=request.user)
        data = {"token": token.key, "expires": token.created + settings.API_TOKEN_TTL}
        return Response(TokenSerializer(data).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request) -> Response:
        services.do_revoke_token(request=request._request, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
