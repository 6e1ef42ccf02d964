"""Reads of the audit log: filtered event lists, CSV export, open alerts, checkpoints."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from django.db.models import Q, QuerySet

from audit import chain
from audit.models import Alert, AuditEvent, AuditTarget

CSV_HEADER: Final = (
    "seq",
    "at",
    "action",
    "outcome",
    "user_id",
    "user",
    "team_id",
    "organisation_id",
    "role",
    "ip",
    "user_agent",
    "purpose",
    "consent",
    "case_id",
    "targets",
    "details",
    "prev_hash",
    "hash",
    "canonical",
)


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Every field narrows the list; None leaves it open. ``until`` is exclusive."""

    target_kind: str | None = None
    target_key: str | None = None
    case_id: int | None = None
    actor_id: int | None = None
    actor_username: str | None = None
    # Events performed acting as a membership of one of these organisations, plus events tied to no
    # organisation and no case (sign-in, sudo). An event in a case with no organisation recorded is left
    # out: nothing says it belongs to these organisations.
    actor_organisation_ids: frozenset[int] | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def events(flt: EventFilter = EventFilter()) -> QuerySet[AuditEvent]:
    """Matching events in chain order."""
    qs = AuditEvent.objects.all()
    if flt.target_kind is not None or flt.target_key is not None:
        index = AuditTarget.objects.all()
        if flt.target_kind is not None:
            index = index.filter(kind=flt.target_kind)
        if flt.target_key is not None:
            index = index.filter(key=flt.target_key)
        qs = qs.filter(pk__in=index.values("event_id"))
    if flt.case_id is not None:
        qs = qs.filter(case_id=flt.case_id)
    if flt.actor_id is not None:
        qs = qs.filter(actor_id=flt.actor_id)
    if flt.actor_organisation_ids is not None:
        qs = qs.filter(
            Q(actor_organisation_id__in=sorted(flt.actor_organisation_ids))
            | Q(actor_organisation_id__isnull=True, case_id__isnull=True)
        )
    if flt.actor_username:
        qs = qs.filter(actor_username=flt.actor_username)
    if flt.action:
        qs = qs.filter(action=flt.action)
    if flt.since is not None:
        qs = qs.filter(occurred_at__gte=flt.since)
    if flt.until is not None:
        qs = qs.filter(occurred_at__lt=flt.until)
    return qs.order_by("seq")


class _Line:
    """A file-like sink that hands back what csv.writer wrote."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()

    def write(self, text: str) -> int:
        return self.buffer.write(text)

    def take(self) -> str:
        value = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate()
        return value


def spreadsheet_safe(value: str) -> str:
    """The cell text with a leading apostrophe where a spreadsheet program would run it as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def csv_rows(qs: QuerySet[AuditEvent], chunk_size: int = 2000) -> Iterator[str]:
    """The events as CSV text, header first, one line at a time, for a streaming response."""
    line = _Line()
    writer = csv.writer(line)
    writer.writerow(CSV_HEADER)
    yield line.take()
    for event in qs.iterator(chunk_size=chunk_size):
        writer.writerow([spreadsheet_safe(str(cell)) for cell in _cells(event)])
        yield line.take()


def _cells(event: AuditEvent) -> Iterable[object]:
    canonical = chain.canonical_bytes
    return (
        event.seq,
        chain.format_time(event.occurred_at),
        event.action,
        event.outcome,
        "" if event.actor_id is None else event.actor_id,
        event.actor_username,
        "" if event.actor_team_id is None else event.actor_team_id,
        "" if event.actor_organisation_id is None else event.actor_organisation_id,
        event.actor_role,
        event.ip,
        event.user_agent,
        event.purpose,
        event.consent_record_id,
        "" if event.case_id is None else event.case_id,
        " ".join(event.targets),
        canonical(event.details).decode("utf-8"),
        event.prev_hash,
        event.hash,
        # The exact hashed bytes: sha256(bytes.fromhex(prev_hash) + canonical.encode()) == hash.
        canonical(event.canonical_fields()).decode("utf-8"),
    )


def open_alerts() -> QuerySet[Alert]:
    return Alert.objects.filter(resolved_at__isnull=True).order_by("-raised_at")
