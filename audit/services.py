"""The single entry point that writes audit events: ``record``.

Call it inside the transaction of the action it records; if the write fails
the exception propagates and the action rolls back with it. A denial is
recorded in its own transaction by the caller before it raises, so the
refusal survives the refused action.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol

from django.conf import settings
from django.db import connections, transaction
from django.http import HttpRequest
from django.utils import timezone

from audit import chain
from audit.actions import Action, Outcome
from audit.models import AuditEvent, AuditTarget

# An arbitrary constant naming the chain's advisory lock on PostgreSQL.
CHAIN_LOCK_KEY: Final = 0x0C057_0D1
MAX_UA: Final = 512


class UserLike(Protocol):
    pk: Any

    def get_username(self) -> str: ...


@dataclass(frozen=True, slots=True)
class ActingAs:
    """The membership an actor used for an action."""

    team_id: int | None = None
    organisation_id: int | None = None
    role: str = ""


@dataclass(frozen=True, slots=True)
class Target:
    kind: str
    key: str | int

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}"


def client_ip(request: HttpRequest) -> str:
    """The caller's address, trusting X-Forwarded-For only as far as our own proxies."""
    proxies: int = getattr(settings, "CUSTODY_TRUSTED_PROXY_COUNT", 0)
    candidate = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            candidate = hops[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return ""


def _lock_chain(using: str) -> None:
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
    # SQLite: the connection opens transactions with BEGIN IMMEDIATE (settings),
    # so the write lock is already held and the head cannot move under us.


def record(
    *,
    action: Action,
    outcome: Outcome = Outcome.ALLOWED,
    user: UserLike | None = None,
    username: str = "",
    acting_as: ActingAs | None = None,
    request: HttpRequest | None = None,
    purpose: str = "",
    consent_record_id: str | int | None = None,
    case_id: int | None = None,
    targets: Iterable[Target] = (),
    details: Mapping[str, Any] | None = None,
    using: str = "default",
) -> AuditEvent:
    """Append one event to the chain and return it."""
    details = dict(details or {})
    chain.check_json(details)
    target_list = [str(target) for target in targets]
    acting = acting_as or ActingAs()
    actor_id = None
    if user is not None and getattr(user, "is_authenticated", False):
        actor_id = int(user.pk)
        username = user.get_username()
    ip = client_ip(request) if request is not None else ""
    agent = request.META.get("HTTP_USER_AGENT", "")[:MAX_UA] if request is not None else ""

    with transaction.atomic(using=using):
        _lock_chain(using)
        head = AuditEvent.objects.using(using).order_by("-seq").values_list("seq", "hash").first()
        seq, prev_hash = (head[0] + 1, head[1]) if head else (1, chain.GENESIS_HASH)
        event = AuditEvent(
            seq=seq,
            occurred_at=timezone.now(),
            action=action.value,
            outcome=outcome.value,
            actor_id=actor_id,
            actor_username=username[:150],
            actor_team_id=acting.team_id,
            actor_organisation_id=acting.organisation_id,
            actor_role=acting.role,
            ip=ip,
            user_agent=agent,
            purpose=purpose,
            consent_record_id="" if consent_record_id is None else str(consent_record_id),
            case_id=case_id,
            targets=target_list,
            details=details,
            prev_hash=prev_hash,
        )
        event.hash = event.computed_hash()
        event.save(using=using)
        AuditTarget.objects.using(using).bulk_create(
            [AuditTarget(event=event, kind=t.split(":", 1)[0], key=t.split(":", 1)[1]) for t in target_list]
        )
    return event
