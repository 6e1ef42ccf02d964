"""The web and API side of the policy: ask, record refusals, answer 404.

An object that does not exist and one the caller may not see take the same
path: a denial event is written and ``Http404`` raised with the same body, so
neither the answer nor its timing tells them apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.http import Http404, HttpRequest

from audit.actions import Action, Outcome
from audit.services import ActingAs, Target, record
from teams.policy import Actor, Decision, Perm, actor_for, decide

_CACHE_ATTR = "_custody_actor"


def request_actor(request: HttpRequest) -> Actor:
    """The policy's view of the caller, loaded once per request."""
    actor = getattr(request, _CACHE_ATTR, None)
    if actor is None:
        actor = actor_for(getattr(request, "user", None))
        setattr(request, _CACHE_ATTR, actor)
    return actor


def acting_as(decision: Decision) -> ActingAs | None:
    m = decision.acting_as
    return ActingAs(m.team_id, m.organisation_id, m.role.value) if m else None


def record_denial(
    request: HttpRequest | None,
    *,
    perm: Perm | str,
    targets: Iterable[Target],
    case_id: int | None = None,
    reason: str = "",
    user: Any = None,
) -> None:
    """Write the refusal, committed at once when no transaction is open.

    It opens its own ``transaction.atomic()``; outside any transaction (views run without
    ATOMIC_REQUESTS) that is a transaction of its own and the refusal is committed before the caller
    goes on. Inside an open transaction it is only a savepoint and would be rolled back with that
    transaction: call it (and ``require``/``not_found``) before the refused action's own
    ``transaction.atomic()``, never inside it.
    """
    who = user if user is not None else getattr(request, "user", None)
    with transaction.atomic():
        record(
            action=Action.ACCESS_DENIED,
            outcome=Outcome.DENIED,
            user=who,
            request=request,
            case_id=case_id,
            targets=targets,
            details={"permission": str(perm), "reason": reason},
        )


def not_found(
    request: HttpRequest, *, perm: Perm | str, targets: Iterable[Target], case_id: int | None = None
) -> Http404:
    record_denial(request, perm=perm, targets=targets, case_id=case_id, reason="not visible")
    return Http404()


def require_found(
    request: HttpRequest,
    perm: Perm,
    resource: Any,
    *,
    found: bool,
    targets: Iterable[Target],
    case_id: int | None = None,
) -> Decision:
    """``require`` for an object looked up by id, found or not.

    When it was not found, ``resource`` is built from a placeholder with the missing id by the same
    code (and so the same queries) as for a real object; the policy is asked all the same and the answer
    ignored. A missing object and a hidden one thus cost the same work, not only the same body.
    """
    decision = decide(request_actor(request), perm, resource)
    if not found or not decision:
        raise not_found(request, perm=perm, targets=targets, case_id=case_id if found else None)
    return decision


def require(
    request: HttpRequest,
    perm: Perm,
    resource: Any,
    *,
    targets: Iterable[Target],
    case_id: int | None = None,
) -> Decision:
    """Allow, or record the denial and raise 404."""
    decision = decide(request_actor(request), perm, resource)
    if not decision:
        raise not_found(request, perm=perm, targets=targets, case_id=case_id)
    return decision
