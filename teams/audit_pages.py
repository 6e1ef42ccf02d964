"""Render an audit page or stream its CSV export; shared by the platform, person and case pages.

The calling view has already passed the access policy; this module records the
read (``audit.viewed``) or the export (``audit.exported``) in the transaction
of the read.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from audit.actions import Action
from audit.selectors import EventFilter, csv_rows, events
from audit.services import Target, record
from teams.access import acting_as
from teams.audit_forms import AuditFilterForm
from teams.policy import Decision

PAGE_SIZE: Final = 100


def _record(
    request: HttpRequest,
    action: Action,
    *,
    decision: Decision,
    scope: str,
    form: AuditFilterForm,
    case_id: int | None,
    targets: Iterable[Target],
) -> int:
    event = record(
        action=action,
        user=request.user,
        request=request,
        acting_as=acting_as(decision),
        case_id=case_id,
        targets=targets,
        details={"scope": scope, "filters": form.audit_details()},
    )
    return event.seq


def events_page(
    request: HttpRequest,
    *,
    base: EventFilter,
    decision: Decision,
    scope: str,
    heading: Any,
    targets: Iterable[Target] = (),
    case_id: int | None = None,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    valid = not form.is_bound or form.is_valid()
    flt = form.event_filter(base) if form.is_bound and valid else base
    with transaction.atomic():
        seq = _record(
            request, Action.AUDIT_VIEWED, decision=decision, scope=scope, form=form, case_id=case_id, targets=targets
        )
        rows = events(flt).filter(seq__lt=seq) if valid else events(base).none()
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        list(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "heading": heading, "query": query.urlencode(), **(extra or {})}
    return render(request, "audit/events.html", context, status=200 if valid else 400)


def events_csv(
    request: HttpRequest,
    *,
    base: EventFilter,
    decision: Decision,
    scope: str,
    filename: str,
    targets: Iterable[Target] = (),
    case_id: int | None = None,
) -> HttpResponse | StreamingHttpResponse:
    form = AuditFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return events_page(request, base=base, decision=decision, scope=scope, heading="", case_id=case_id)
    flt = form.event_filter(base) if form.is_bound else base
    with transaction.atomic():
        seq = _record(
            request, Action.AUDIT_EXPORTED, decision=decision, scope=scope, form=form, case_id=case_id, targets=targets
        )
    # The export is the log as it stood when it was asked for, up to its own event.
    response = StreamingHttpResponse(csv_rows(events(flt).filter(seq__lt=seq)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
