from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from teams.selectors import memberships_of


class MembershipSerializer(serializers.Serializer[object]):
    team_id = serializers.IntegerField(source="team.pk")
    team = serializers.CharField(source="team.name")
    organisation = serializers.CharField(source="team.organisation.name")
    jurisdiction = serializers.CharField(source="team.jurisdiction.code")
    role = serializers.CharField()


class MeSerializer(serializers.Serializer[object]):
    username = serializers.CharField()
    display_name = serializers.CharField()
    memberships = MembershipSerializer(many=True)


class MeView(APIView):
    """The caller's account and memberships."""

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        data = {
            "username": request.user.get_username(),
            "display_name": getattr(request.user, "display_name", ""),
            "memberships": MembershipSerializer(memberships_of(request._request), many=True).data,
        }
        return Response(data)
