"""The API endpoint that manages the caller's token."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.models import User
from accounts.sudo import SudoPermission, check_identity, grant_sudo


def _caller(request: Request) -> User:
    user = request.user
    if not isinstance(user, User):
        raise exceptions.NotAuthenticated()
    return user


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
        issued = services.do_create_token(request=request._request, user=_caller(request))
        data = {"token": issued.secret, "expires": issued.expires}
        return Response(TokenSerializer(data).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request) -> Response:
        services.do_revoke_token(request=request._request, user=_caller(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class SudoRequestSerializer(serializers.Serializer[object]):
    password = serializers.CharField(required=False, write_only=True, trim_whitespace=False)
    code = serializers.CharField(required=False, write_only=True, max_length=64)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("password") and not attrs.get("code"):
            raise serializers.ValidationError(_("Send your password or a two-factor code."))
        return attrs


class SudoResponseSerializer(serializers.Serializer[object]):
    sudo_until = serializers.DateTimeField()


class SudoView(APIView):
    """Confirm identity for the browser session (sudo mode). Token clients send X-Custody-OTP instead."""

    @extend_schema(request=SudoRequestSerializer, responses={200: SudoResponseSerializer})
    def post(self, request: Request) -> Response:
        incoming = SudoRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        if request.auth is not None:
            raise serializers.ValidationError(
                {"detail": _("Sudo mode belongs to a browser session; send X-Custody-OTP with each request.")}
            )
        django_request = request._request
        method = check_identity(
            django_request,
            request.user,
            password=incoming.validated_data.get("password", ""),
            code=incoming.validated_data.get("code", ""),
        )
        if not method:
            raise exceptions.PermissionDenied(_("That password or code was not accepted."))
        grant_sudo(django_request, method=method)
        until = timezone.now() + settings.SUDO_MODE_TIMEOUT
        return Response(SudoResponseSerializer({"sudo_until": until}).data)
