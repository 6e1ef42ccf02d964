"""The cases API under /api/v1/cases/. Same access helpers and services as the pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import prefetch_related_objects
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.services import Target
from cases import mhpss, selectors, services
from cases.access import (
    get_case_for,
    get_survivor_for,
    listed_cases,
    record_case_read,
    record_survivor_read,
    survivor_ref,
)
from cases.consent import survivor_target
from cases.consent_services import do_record_consent, do_withdraw_consent
from cases.models import (
    AllegationType,
    ChildAssent,
    ConsentAction,
    ConsentMethod,
    ConsentRecord,
    Decision,
    GivenBy,
    Guardian,
    Mission,
)
from teams.access import acting_as, not_found, request_actor
from teams.models import Team
from teams.policy import Perm, TeamRef, decide


def _raise(error: DjangoValidationError) -> None:
    raise ValidationError(error.message_dict if hasattr(error, "error_dict") else {"non_field_errors": error.messages})


class CaseSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    reference = serializers.CharField(max_length=32)
    team = serializers.IntegerField(write_only=True)
    host_country = serializers.CharField(source="host_jurisdiction.code", read_only=True)
    mission = serializers.ChoiceField(choices=Mission.choices, required=False, allow_blank=True)
    allegation_type = serializers.ChoiceField(choices=AllegationType.choices)
    child_involved = serializers.BooleanField(required=False, default=False)
    incident_date = serializers.DateField(required=False, allow_null=True)
    reported_on = serializers.DateField(required=False, allow_null=True)
    status = serializers.SerializerMethodField()
    teams = serializers.SerializerMethodField()

    def get_status(self, case: Any) -> str:
        entries = sorted(case.status_entries.all(), key=lambda e: (e.on, e.pk))
        return entries[-1].status if entries else ""

    def get_teams(self, case: Any) -> list[int]:
        return sorted(team.pk for team in case.teams.all())


class CaseListView(APIView):
    @extend_schema(responses=CaseSerializer(many=True))
    def get(self, request: Request) -> Response:
        cases = listed_cases(request._request)
        prefetch_related_objects(cases, "teams")  # one query for every case's teams, not one per case
        return Response(CaseSerializer(cases, many=True).data)

    @extend_schema(request=CaseSerializer, responses={201: CaseSerializer})
    def post(self, request: Request) -> Response:
        serializer = CaseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        team = Team.objects.filter(pk=data.pop("team")).first()
        if team is None:
            raise not_found(request._request, perm=Perm.CASE_CREATE, targets=[])
        decision = decide(request_actor(request._request), Perm.CASE_CREATE, TeamRef(team.pk, team.organisation_id))
        if not decision:
            raise not_found(request._request, perm=Perm.CASE_CREATE, targets=[Target("team", team.pk)])
        try:
            case = services.do_create_case(
                reference=data.pop("reference"),
                team=team,
                user=request.user,
                acting_as=acting_as(decision),
                request=request._request,
                **data,
            )
        except DjangoValidationError as error:
            _raise(error)
        return Response(CaseSerializer(case).data, status=status.HTTP_201_CREATED)


class CaseDetailView(APIView):
    @extend_schema(responses=CaseSerializer)
    def get(self, request: Request, case_id: int) -> Response:
        case, decision = get_case_for(request._request, case_id)
        record_case_read(request._request, case, decision)
        return Response(CaseSerializer(case).data)


class ConsentRecordSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    action = serializers.ChoiceField(choices=ConsentAction.choices)
    target = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    decision = serializers.ChoiceField(choices=[c for c in Decision.choices if c[0] != Decision.WITHDRAWN])
    conditions = serializers.CharField(required=False, allow_blank=True, default="")
    given_by = serializers.ChoiceField(choices=GivenBy.choices, default=GivenBy.SURVIVOR)
    guardian = serializers.PrimaryKeyRelatedField(queryset=Guardian.objects.all(), required=False, allow_null=True)
    child_assent = serializers.ChoiceField(choices=ChildAssent.choices, default=ChildAssent.NOT_APPLICABLE)
    method = serializers.ChoiceField(choices=ConsentMethod.choices)
    language = serializers.CharField(max_length=64)
    interpreter = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    given_on = serializers.DateField()
    expires_on = serializers.DateField(required=False, allow_null=True)
    supersedes = serializers.IntegerField(source="supersedes_id", read_only=True)
    recorded_at = serializers.DateTimeField(read_only=True)


class WithdrawSerializer(serializers.Serializer[Any]):
    action = serializers.ChoiceField(choices=ConsentAction.choices)
    target = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    given_by = serializers.ChoiceField(choices=GivenBy.choices, default=GivenBy.SURVIVOR)
    guardian = serializers.PrimaryKeyRelatedField(queryset=Guardian.objects.all(), required=False, allow_null=True)
    method = serializers.ChoiceField(choices=ConsentMethod.choices)
    language = serializers.CharField(max_length=64)


class SurvivorView(APIView):
    """The pseudonymous file: consent matrix, safety flags, interviews. Never the identity."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, survivor_id: int) -> Response:
        survivor, decision = get_survivor_for(request._request, survivor_id)
        record_survivor_read(request._request, survivor, decision)
        today = timezone.localdate()
        return Response(
            {
                "id": survivor.pk,
                "code": survivor.code,
                "case": survivor.case_id,
                "age_band": survivor.age_band,
                "child_at_incident": survivor.child_at_incident,
                "child_now": survivor.child_now,
                "preferred_language": survivor.preferred_language,
                "guardians": [
                    {"id": g.pk, "label": g.label, "relationship": g.relationship} for g in survivor.guardians.all()
                ],
                "consents": [
                    {
                        "action": r.action,
                        "target": r.target,
                        "state": r.state.value,
                        "record": r.current and r.current.pk,
                    }
                    for r in selectors.consent_matrix(survivor, today)
                ],
                "safety_flags": [
                    {"text": f.text, "no_contact_before": f.no_contact_before, "written_on": f.written_on}
                    for f in mhpss.safety_flags(survivor)
                ],
                "interviews": [
                    {
                        "held_on": i.held_on,
                        "by": i.conducted_by.get_username(),
                        "team": i.team_id,
                        "mhpss_present": i.mhpss_present,
                    }
                    for i in survivor.interviews.select_related("conducted_by")
                ],
            }
        )


class ConsentListView(APIView):
    @extend_schema(responses=ConsentRecordSerializer(many=True))
    def get(self, request: Request, survivor_id: int) -> Response:
        survivor, decision = get_survivor_for(request._request, survivor_id)
        record_survivor_read(request._request, survivor, decision, "api.consents")
        rows = ConsentRecord.objects.filter(survivor=survivor).order_by("recorded_at", "pk")
        return Response(ConsentRecordSerializer(rows, many=True).data)

    @extend_schema(request=ConsentRecordSerializer, responses={201: ConsentRecordSerializer})
    def post(self, request: Request, survivor_id: int) -> Response:
        return _consent_change(request, survivor_id, ConsentRecordSerializer, do_record_consent)


class WithdrawView(APIView):
    @extend_schema(request=WithdrawSerializer, responses={201: ConsentRecordSerializer})
    def post(self, request: Request, survivor_id: int) -> Response:
        return _consent_change(request, survivor_id, WithdrawSerializer, do_withdraw_consent)


def _consent_change(
    request: Request, survivor_id: int, serializer_class: type[serializers.Serializer[Any]], service: Callable[..., Any]
) -> Response:
    """Record a consent decision or a withdrawal (``service``) for the survivor; the new record, 201."""
    survivor, decision = get_survivor_for(request._request, survivor_id, Perm.CONSENT_RECORD)
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    try:
        rec = service(
            survivor=survivor,
            user=request.user,
            acting_as=acting_as(decision),
            request=request._request,
            **serializer.validated_data,
        )
    except DjangoValidationError as error:
        _raise(error)
    return Response(ConsentRecordSerializer(rec).data, status=status.HTTP_201_CREATED)


class NoteSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    body = serializers.CharField(write_only=True)
    safety_flag = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    no_contact_before = serializers.DateField(required=False, allow_null=True)


class NoteCreateView(APIView):
    @extend_schema(request=NoteSerializer, responses={201: NoteSerializer})
    def post(self, request: Request, survivor_id: int) -> Response:
        survivor, _decision = get_survivor_for(request._request, survivor_id)
        decision = decide(request_actor(request._request), Perm.MHPSS_NOTE_WRITE, survivor_ref(survivor))
        if not decision:
            raise not_found(request._request, perm=Perm.MHPSS_NOTE_WRITE, targets=[survivor_target(survivor.pk)])
        serializer = NoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        note = mhpss.do_write_note(
            survivor=survivor,
            user=request.user,
            acting_as=acting_as(decision),
            request=request._request,
            **serializer.validated_data,
        )
        return Response(NoteSerializer(note).data, status=status.HTTP_201_CREATED)
