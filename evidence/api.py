"""Evidence API under /api/v1/evidence/: items of a case, one item, legal hold, verified download."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.sudo import SudoPermission
from audit.actions import Action
from audit.services import record
from evidence import selectors, services
from evidence.access import case_target, get_case_for, get_item_for, item_target, visible_items
from evidence.consent import ConsentRefused, require_use
from evidence.integrity import do_record_integrity_failure
from evidence.models import EvidenceItem
from evidence.streaming import content_response
from teams.access import acting_as, record_denial
from teams.policy import Perm


class ItemSerializer(serializers.ModelSerializer[EvidenceItem]):
    display_name = serializers.CharField(read_only=True)
    case_reference = serializers.CharField(source="case.reference", read_only=True)
    custodian = serializers.CharField(source="custodian.username", read_only=True, default=None)
    is_original = serializers.BooleanField(read_only=True)

    class Meta:
        model = EvidenceItem
        fields = [
            "id",
            "display_name",
            "case_reference",
            "number",
            "kind",
            "state",
            "media_type",
            "size",
            "sha256",
            "ciphertext_sha256",
            "collected_by",
            "collected_at",
            "collection_place",
            "collection_source",
            "collection_method",
            "custodian",
            "sensitivity",
            "legal_hold",
            "is_original",
            "derivative_of",
            "derivative_kind",
            "duplicate_of",
            "storage_location",
            "last_verified_at",
            "integrity_ok",
            "created_at",
        ]
        read_only_fields = fields


class LegalHoldSerializer(serializers.Serializer[Any]):
    hold = serializers.BooleanField()
    reason = serializers.CharField(min_length=5, max_length=500)


class PurposeSerializer(serializers.Serializer[Any]):
    purpose = serializers.CharField(min_length=5, max_length=500)


def _user(request: Request) -> Any:
    return request.user


class CaseItemsView(APIView):
    """Evidence items of a case (metadata and hashes only)."""

    @extend_schema(responses=ItemSerializer(many=True))
    def get(self, request: Request, case_id: int) -> Response:
        case, decision = get_case_for(request._request, case_id, Perm.CASE_VIEW)
        with transaction.atomic():
            record(
                action=Action.EVIDENCE_LISTED,
                user=_user(request),
                acting_as=acting_as(decision),
                request=request._request,
                case_id=case.pk,
                targets=[case_target(case.pk)],
            )
        items = visible_items(request._request, case, selectors.items_of_case(case))
        return Response(ItemSerializer(items, many=True).data)


class ItemView(APIView):
    """One evidence item's metadata, hashes and custodian."""

    @extend_schema(responses=ItemSerializer)
    def get(self, request: Request, item_id: int) -> Response:
        item, decision = get_item_for(request._request, item_id)
        with transaction.atomic():
            record(
                action=Action.EVIDENCE_VIEWED,
                user=_user(request),
                acting_as=acting_as(decision),
                request=request._request,
                case_id=item.case_id,
                targets=[item_target(item.pk)],
            )
        return Response(ItemSerializer(item).data)


class LegalHoldView(APIView):
    """Set or remove the legal hold of an item (audited with the reason)."""

    @extend_schema(request=LegalHoldSerializer, responses=ItemSerializer)
    def post(self, request: Request, item_id: int) -> Response:
        item, decision = get_item_for(request._request, item_id, Perm.EVIDENCE_LEGAL_HOLD)
        body = LegalHoldSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if not body.validated_data["hold"] and not SudoPermission().has_permission(request, self):
            self.permission_denied(request, message=str(SudoPermission.message), code=SudoPermission.code)
        item = services.do_set_legal_hold(
            item=item,
            hold=body.validated_data["hold"],
            reason=body.validated_data["reason"],
            user=_user(request),
            acting_as=acting_as(decision),
            request=request._request,
        )
        return Response(ItemSerializer(item).data)


class DownloadView(APIView):
    """The verified content, with a stated purpose. Originals need a fresh second factor (X-Custody-OTP).

    The transfer is cut (never ended cleanly) if the stored object fails verification.
    """

    @extend_schema(
        request=PurposeSerializer,
        responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY)},
    )
    def post(self, request: Request, item_id: int) -> Any:
        item, decision = get_item_for(request._request, item_id, Perm.EVIDENCE_DOWNLOAD)
        if item.is_original and not SudoPermission().has_permission(request, self):
            record_denial(
                request._request,
                perm=Perm.EVIDENCE_DOWNLOAD,
                targets=[item_target(item.pk)],
                case_id=item.case_id,
                reason="sudo mode required",
                user=_user(request),
            )
            self.permission_denied(request, message=str(SudoPermission.message), code=SudoPermission.code)
        body = PurposeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        purpose = body.validated_data["purpose"]
        try:
            consents = require_use(
                item=item, user=_user(request), request=request._request, acting_as=acting_as(decision), purpose=purpose
            )
        except ConsentRefused as refused:
            raise PermissionDenied(str(refused.message), code="consent_refused") from refused
        with transaction.atomic():
            record(
                action=Action.EVIDENCE_DOWNLOADED,
                user=_user(request),
                acting_as=acting_as(decision),
                request=request._request,
                purpose=purpose,
                consent_record_id=consents.first,
                case_id=item.case_id,
                targets=[item_target(item.pk), *consents.targets],
                details={"channel": "api", "sha256": item.sha256, "consent_record_ids": consents.record_ids},
            )

        def on_failure(reason: str) -> None:
            do_record_integrity_failure(
                item=item, reason=reason, channel="api", user=_user(request), acting_as=acting_as(decision),
                request=request._request, purpose=purpose,
            )  # fmt: skip

        response: StreamingHttpResponse = content_response(  # type: ignore[assignment]
            item, range_header="", attachment=True, filename=item.display_name.replace("/", "_"), on_failure=on_failure
        )
        return response
