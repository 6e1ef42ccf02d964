"""The site's URLs plus one endpoint that reads a JSON body, for the API error tests."""

from __future__ import annotations

from django.urls import include, path
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class CountSerializer(serializers.Serializer[object]):
    count = serializers.IntegerField(min_value=0)


class EchoView(APIView):
    def post(self, request: Request) -> Response:
        serializer = CountSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data)


urlpatterns = [
    path("api/v1/echo/", EchoView.as_view()),
    path("", include("vault.urls")),
]
handler404 = "vault.views.not_found"
handler500 = "vault.views.server_error"
