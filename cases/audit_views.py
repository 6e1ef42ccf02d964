"""The audit trail of one case: for its team, coalition leads and auditors (Perm.CASE_AUDIT_VIEW)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.sudo import sudo_redirect
from audit.selectors import EventFilter
from cases.access import case_target, get_case_for
from teams.audit_pages import events_csv, events_page
from teams.policy import Perm


@login_required
@require_GET
def case_events(request: HttpRequest, case_id: int) -> HttpResponse:
    case, decision = get_case_for(request, case_id, Perm.CASE_AUDIT_VIEW)
    return events_page(
        request,
        base=EventFilter(case_id=case.pk),
        decision=decision,
        scope="case",
        heading=_("Audit trail of case %(ref)s") % {"ref": case.reference},
        targets=[case_target(case.pk)],
        case_id=case.pk,
        extra={"export_url_name": "case_audit:export", "export_arg": case.pk},
    )


@login_required
@require_GET
def case_export(request: HttpRequest, case_id: int) -> HttpResponseBase:
    case, decision = get_case_for(request, case_id, Perm.CASE_AUDIT_VIEW)
    if confirm := sudo_redirect(request):
        return confirm
    return events_csv(
        request,
        base=EventFilter(case_id=case.pk),
        decision=decision,
        scope="case",
        filename=f"audit-case-{case.pk}.csv",
        targets=[case_target(case.pk)],
        case_id=case.pk,
    )
