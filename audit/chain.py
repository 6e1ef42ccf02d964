"""Canonical serialisation and hashing of audit events.

Format version 1. Each event's hash is SHA-256 over the 32 raw bytes of the
previous event's hash followed by the UTF-8 canonical JSON of the event
(sorted keys, no insignificant white space, no floats). The first event's
previous hash is 32 zero bytes. The same bytes are recomputed by
``verify_audit`` and by anyone holding an export, so this module must stay
stable: change the format only by adding a new version.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

FORMAT_VERSION: Final = 1
GENESIS_HASH: Final = "0" * 64

JSONScalar = str | int | bool | None
JSONValue = JSONScalar | list["JSONValue"] | dict[str, "JSONValue"]


class CanonicalisationError(ValueError):
    pass


def check_json(value: Any, path: str = "details") -> None:
    """Only values that survive a database round trip unchanged may enter the chain."""
    if value is None or isinstance(value, bool | int | str):
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            check_json(item, f"{path}[{index}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalisationError(f"{path}: keys must be strings")
            check_json(item, f"{path}.{key}")
        return
    raise CanonicalisationError(f"{path}: {type(value).__name__} cannot be stored in the audit chain")


def format_time(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise CanonicalisationError("audit times must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_bytes(fields: Mapping[str, Any]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def event_fields(
    *,
    seq: int,
    occurred_at: datetime,
    action: str,
    outcome: str,
    actor_id: int | None,
    actor_username: str,
    actor_team_id: int | None,
    actor_organisation_id: int | None,
    actor_role: str,
    ip: str,
    user_agent: str,
    purpose: str,
    consent_record_id: str,
    case_id: int | None,
    targets: Sequence[str],
    details: Mapping[str, Any],
) -> dict[str, Any]:
    return {
        "v": FORMAT_VERSION,
        "seq": seq,
        "at": format_time(occurred_at),
        "action": action,
        "outcome": outcome,
        "actor": {
            "user": actor_id,
            "username": actor_username,
            "team": actor_team_id,
            "organisation": actor_organisation_id,
            "role": actor_role,
        },
        "ip": ip,
        "ua": user_agent,
        "purpose": purpose,
        "consent": consent_record_id,
        "case": case_id,
        # Only a stored list and a stored object are copied as such: a string or a list of pairs read back
        # from an edited row must not pass for the list or the object it spells out.
        "targets": list(targets) if isinstance(targets, list | tuple) else targets,
        "details": dict(details) if isinstance(details, Mapping) else details,
    }


def chain_hash(prev_hash: str, fields: Mapping[str, Any]) -> str:
    return hashlib.sha256(bytes.fromhex(prev_hash) + canonical_bytes(fields)).hexdigest()
