"""Two-person rule: the most sensitive actions wait for a second coalition lead's approval.

Granting originals to a team in another country, revealing a survivor's identity and
exporting originals are requested by one coalition lead and approved by another of the
same organisation within ``CUSTODY_APPROVAL_WINDOW_HOURS``; the requester never approves
their own request. An approval is used once, by the requester, for the subject it names.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import Action
from audit.services import ActingAs, Target, UserLike, record
from cases.models import ApprovalRequest, ApprovalState, Case
from teams.policy import Perm, actor_for, decide


class ApprovalRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def approval_target(approval_id: int) -> Target:
    return Target("sharing.approval", approval_id)


def _window() -> datetime.timedelta:
    return datetime.timedelta(hours=settings.CUSTODY_APPROVAL_WINDOW_HOURS)


def do_request_approval(
    *,
    kind: str,
    case: Case,
    subject: str,
    purpose: str,
    user: UserLike,
    request: HttpRequest | None = None,
    acting_as: ActingAs | None = None,
) -> ApprovalRequest:
    with transaction.atomic():
        approval = ApprovalRequest.objects.create(
            kind=kind,
            case=case,
            subject=subject,
            purpose=purpose,
            requested_by_id=user.pk,
            expires_at=timezone.now() + _window(),
        )
        record(
            action=Action.APPROVAL_REQUESTED,
            user=user,
            request=request,
            acting_as=acting_as,
            purpose=purpose,
            case_id=case.pk,
            targets=[approval_target(approval.pk)],
            details={"kind": kind, "subject": subject},
        )
    return approval


def do_decide_approval(
    *,
    approval: ApprovalRequest,
    user: UserLike,
    approve: bool,
    request: HttpRequest | None = None,
    acting_as: ActingAs | None = None,
) -> ApprovalRequest:
    """A second coalition lead approves or declines, in time; never the requester."""
    with transaction.atomic():
        approval = ApprovalRequest.objects.select_for_update().select_related("case").get(pk=approval.pk)
        if approval.requested_by_id == user.pk:
            raise ApprovalRefused(_("You cannot approve your own request: another coalition lead must."))
        if not decide(actor_for(user), Perm.APPROVAL_DECIDE, approval.case.as_ref()):
            raise ApprovalRefused(_("Only a coalition lead of the organisation can decide."))
        if approval.state != ApprovalState.PENDING or approval.expires_at <= timezone.now():
            raise ApprovalRefused(_("This request is no longer waiting for a decision."))
        approval.state = ApprovalState.APPROVED if approve else ApprovalState.DECLINED
        approval.decided_by_id = user.pk
        approval.decided_at = timezone.now()
        # The approval is usable for one window from the decision.
        approval.expires_at = approval.decided_at + _window()
        approval.save(update_fields=["state", "decided_by", "decided_at", "expires_at"])
        record(
            action=Action.APPROVAL_GIVEN if approve else Action.APPROVAL_DECLINED,
            user=user,
            request=request,
            acting_as=acting_as,
            case_id=approval.case_id,
            targets=[approval_target(approval.pk)],
            details={"kind": approval.kind, "subject": approval.subject, "requested_by": approval.requested_by_id},
        )
    return approval


def usable_approval(*, kind: str, case: Case, subject: str, user: UserLike) -> ApprovalRequest | None:
    return (
        ApprovalRequest.objects.filter(
            kind=kind,
            case=case,
            subject=subject,
            requested_by_id=user.pk,
            state=ApprovalState.APPROVED,
            expires_at__gt=timezone.now(),
        )
        .order_by("decided_at")
        .first()
    )


def use_approval(*, kind: str, case: Case, subject: str, user: UserLike) -> ApprovalRequest:
    """Consume the approval in the caller's transaction, or raise ``ApprovalRefused``."""
    found = usable_approval(kind=kind, case=case, subject=subject, user=user)
    approval = ApprovalRequest.objects.select_for_update().filter(pk=found.pk).first() if found else None
    if approval is None or approval.state != ApprovalState.APPROVED:
        raise ApprovalRefused(_("This action needs the approval of a second coalition lead first."))
    approval.state = ApprovalState.USED
    approval.used_at = timezone.now()
    approval.save(update_fields=["state", "used_at"])
    record(
        action=Action.APPROVAL_USED,
        user=user,
        case_id=case.pk,
        targets=[approval_target(approval.pk)],
        details={"kind": kind, "subject": subject, "approved_by": approval.decided_by_id},
    )
    return approval
