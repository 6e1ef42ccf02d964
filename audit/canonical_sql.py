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
from collections.abc import Iterator
from json.encoder import encode_basestring
from typing import Any, Final

from audit.chain import FORMAT_VERSION

_dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
_COLUMNS: Final = (
    "seq, {time}, action, outcome, {actor_id}, actor_username, {actor_team_id}, {actor_organisation_id}, actor_role, "
    "ip, user_agent, purpose, consent_record_id, {case_id}, {targets}, {details}, prev_hash, hash, {count}"
)
_IDS: Final = ("actor_id", "actor_team_id", "actor_organisation_id", "case_id")
# SQLite keeps any text in an integer column: a stored 'null' or '4' must not encode like NULL or 4.
# Such a value comes out as a JSON string, so the row's bytes differ and the reference check decides.
_SQLITE_ID: Final = "CASE WHEN typeof({0}) IN ('integer', 'null') THEN {0} ELSE json_quote({0}) END"
_SQLITE: Final = {
    "time": "CAST(occurred_at AS TEXT)",
    "targets": "targets",
    "details": "details",
    # Malformed or non-array targets count 0 here (the row's own hash check reports it), not an SQL error.
    "count": "CASE WHEN json_valid(targets) THEN json_array_length(targets) ELSE 0 END",
    **{column: _SQLITE_ID.format(column) for column in _IDS},
}
_PG_COUNT: Final = "CASE WHEN jsonb_typeof(targets) = 'array' THEN jsonb_array_length(targets) ELSE 0 END"
_POSTGRESQL: Final = {
    "time": """to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')""",
    "targets": "targets::text",
    "details": "details::text",
    "count": _PG_COUNT,
    **{column: column for column in _IDS},
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


# PostgreSQL writes each event's canonical text around its details and targets itself, and the
# rows are streamed with COPY (far cheaper per row than fetching 19 columns): seq, prev_hash, hash,
# target count, text up to the details, details (jsonb text, whose key order is not canonical),
# text up to the targets, targets, the rest.
_PG_HEAD: Final = (
    """'{"action":'||to_json(action)||',"actor":{"organisation":'||coalesce(actor_organisation_id::text,'null')"""
    """||',"role":'||to_json(actor_role)||',"team":'||coalesce(actor_team_id::text,'null')"""
    """||',"user":'||coalesce(actor_id::text,'null')||',"username":'||to_json(actor_username)"""
    """||'},"at":"'||to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
    """||'","case":'||coalesce(case_id::text,'null')||',"consent":'||to_json(consent_record_id)||',"details":'"""
)
_PG_MIDDLE: Final = (
    """',"ip":'||to_json(ip)||',"outcome":'||to_json(outcome)||',"purpose":'||to_json(purpose)"""
    """||',"seq":'||seq||',"targets":'"""
)
_PG_TAIL: Final = """',"ua":'||to_json(user_agent)||',"v":"""


def copy_sql(table: str, after: int, upto: int) -> str:
    """COPY of the events ``after < seq <= upto`` in sequence order, for ``stream_postgresql``."""
    return (
        f"COPY (SELECT seq, prev_hash, hash, {_PG_COUNT}, {_PG_HEAD}, details::text, "  # noqa: S608
        f"{_PG_MIDDLE}, targets::text, {_PG_TAIL}{FORMAT_VERSION}}}' FROM {table} "
        f"WHERE seq > {int(after)} AND seq <= {int(upto)} ORDER BY seq) TO STDOUT"
    )


def _copy_fields(line: bytes) -> list[str]:
    # Every column is JSON text, hex or a number, so COPY's text format escapes nothing but
    # backslashes (doubled) and NULL (\N, only from a NULL column: the row is then encoded the
    # reference way).
    text = line.decode()
    if "\\" not in text:
        return text.split("\t")
    return [part.replace("\\\\", "\\") for part in text.split("\t")]


def _pg_targets(text: str) -> str:
    # jsonb prints ["a", "b"]; strings that needed no escape only lose the spaces after commas.
    if "\\" not in text:
        return text.replace('", "', '","')
    return "[" + ",".join(encode_basestring(item) for item in json.loads(text)) + "]"


Prepared = tuple[int, str, str, int, bytes | None]


def stream_postgresql(raw_connection: Any, table: str, after: int, upto: int) -> Iterator[Prepared]:
    """(seq, prev_hash, hash, target count, canonical bytes, or None when a column was NULL)."""
    loads = json.loads
    with raw_connection.cursor() as cursor, cursor.copy(copy_sql(table, after, upto)) as copy:
        blocks = iter(copy)
        rest = b""
        try:
            for block in blocks:
                lines = (rest + bytes(block)).split(b"\n")
                rest = lines.pop()
                for line in lines:
                    seq, prev, stored, count, head, details, middle, targets, tail = _copy_fields(line)
                    if "\\N" in (head, details, middle, targets, tail):
                        yield int(seq), prev, stored, 0 if count == "\\N" else int(count), None
                        continue
                    if details != "{}":
                        details = _dumps(loads(details))
                    if targets != "[]":
                        targets = _pg_targets(targets)
                    yield int(seq), prev, stored, int(count), (head + details + middle + targets + tail).encode()
        finally:
            # Read to the end rather than cancel: a cancel would abort an enclosing transaction.
            for _ in blocks:
                pass
