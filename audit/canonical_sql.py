"""Raw event rows for the fast verification walk, and their canonical bytes.

The walk reads plain text columns (no model instances, no type converters)
and writes each event's canonical JSON (``audit.chain``, format 1) with a
specialised encoder. Its shortcuts (e.g. re-spacing stored JSON arrays of
plain strings) are only taken where they give the reference bytes; where
they ever do not, the verifier re-hashes that row the reference way before
reporting anything, so a shortcut costs time, never a false alarm.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring
from typing import Final

from audit.chain import FORMAT_VERSION

_dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
_COLUMNS: Final = (
    "seq, {time}, action, outcome, actor_id, actor_username, actor_team_id, actor_organisation_id, actor_role, "
    "ip, user_agent, purpose, consent_record_id, case_id, {targets}, {details}, prev_hash, hash, {count}"
)
_SQLITE: Final = {
    "time": "CAST(occurred_at AS TEXT)",
    "targets": "targets",
    "details": "details",
    "count": "json_array_length(targets)",
}
_POSTGRESQL: Final = {
    "time": """to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')""",
    "targets": "targets::text",
    "details": "details::text",
    "count": "jsonb_array_length(targets)",
}

Row = tuple[
    int,
    str,
    str,
    str,
    int | None,
    str,
    int | None,
    int | None,
    str,
    str,
    str,
    str,
    str,
    int | None,
    str,
    str,
    str,
    str,
    int,
]


def select_sql(vendor: str, table: str) -> str:
    """One chunk of rows with ``seq > %s AND seq <= %s``, ``LIMIT %s``, in sequence order."""
    if vendor == "postgresql":
        columns = _COLUMNS.format(**_POSTGRESQL)
    elif vendor == "sqlite":
        columns = _COLUMNS.format(**_SQLITE)
    else:
        raise RuntimeError(f"no fast verification for the {vendor} backend")
    return f"SELECT {columns} FROM {table} WHERE seq > %s AND seq <= %s ORDER BY seq LIMIT %s"  # noqa: S608 (constants only)


def _time(text: str) -> str:
    # Both backends give UTC as "YYYY-MM-DD HH:MM:SS[.ffffff]" here.
    if len(text) == 19:
        return f"{text[:10]}T{text[11:]}.000000Z"
    return f"{text[:10]}T{text[11:]}Z"


def _targets(text: str) -> str:
    if text == "[]":
        return text
    if "\\" not in text:
        # Stored as ["a", "b"]: the canonical form only drops the spaces.
        return text.replace('", "', '","')
    return "[" + ",".join(encode_basestring(item) for item in json.loads(text)) + "]"


def canonical(row: Row) -> bytes:
    """``chain.canonical_bytes(event_fields(...))`` for one raw row."""
    (seq, at, action, outcome, user, username, team, org, role, ip, ua, purpose, consent, case, targets, details) = row[
        :16
    ]
    q = encode_basestring
    return (
        f'{{"action":{q(action)},"actor":{{"organisation":{"null" if org is None else org},"role":{q(role)},'
        f'"team":{"null" if team is None else team},"user":{"null" if user is None else user},'
        f'"username":{q(username)}}},"at":"{_time(at)}","case":{"null" if case is None else case},'
        f'"consent":{q(consent)},"details":{"{}" if details == "{}" else _dumps(json.loads(details))},'
        f'"ip":{q(ip)},"outcome":{q(outcome)},"purpose":{q(purpose)},"seq":{seq},'
        f'"targets":{_targets(targets)},"ua":{q(ua)},"v":{FORMAT_VERSION}}}'
    ).encode()
