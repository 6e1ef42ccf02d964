"""The compiled walk of the audit chain (``custody_chainwalk``, built from native/chainwalk).

It does, per event and in C, what ``audit.verify._walk_stream`` does in Python: read the row over
the connection Django already holds, write the canonical bytes, hash, check sequence, link and
checkpoints. Rows it cannot vouch for come back as suspects, which ``audit.verify`` re-hashes the
reference way, so both walks report the same first finding. Where the module is not installed or
meets something it does not handle, the Python walk runs instead (``CUSTODY_AUDIT_WALKER``:
``auto``), unless the vault was told to refuse that (``compiled``) or to use Python only
(``python``).
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from typing import Any, Final

from django.conf import settings
from django.db.backends.base.base import BaseDatabaseWrapper

from audit import chain

logger: Final = logging.getLogger("custody.audit")

# The columns, in the order the C walker reads them (its C_* enumeration).
_COLUMNS: Final = (
    "seq, prev_hash, hash, occurred_at, action, outcome, actor_id, actor_username, actor_team_id, "
    "actor_organisation_id, actor_role, ip, user_agent, purpose, consent_record_id, case_id, targets, details"
)
_PG_COLUMNS: Final = (
    "seq::int8, prev_hash::text, hash::text, occurred_at::timestamptz, "
    "action::text, outcome::text, actor_id::int8, actor_username::text, actor_team_id::int8, "
    "actor_organisation_id::int8, actor_role::text, ip::text, user_agent::text, purpose::text, "
    "consent_record_id::text, case_id::int8, targets::text, details::text"
)


class WalkerUnavailable(RuntimeError):
    """The compiled walk was required (``CUSTODY_AUDIT_WALKER=compiled``) and cannot run."""


@dataclass(frozen=True, slots=True)
class Walked:
    """What the compiled walk found over one range (see ``audit.verify.Span``)."""

    events: int
    head_seq: int
    checkpoints: int
    targets: int
    first_seq: int
    first_prev: str
    last_hash: str
    # ("deleted", first missing, last missing) | ("inserted", seq, expected previous hash) | ("checkpoint", seq, None)
    finding: tuple[str, int, Any] | None
    suspects: list[tuple[int, str]]
    # events whose targets the walk did not count (it did not encode them): counted from the reference
    uncounted: list[int]
    # (seq, canonical bytes or None) per row, only when asked for (tests compare them with the reference)
    collected: list[tuple[int, bytes | None]] | None


_state: dict[str, Any] = {}


def _module() -> Any | None:
    """The extension with the libraries the interpreter already loaded, or None; found once."""
    if "module" in _state:
        return _state["module"]
    module: Any | None = None
    try:
        module = importlib.import_module("custody_chainwalk")
        hashlib_ext = importlib.import_module("_hashlib")
        sqlite_ext = importlib.import_module("_sqlite3")
        libpq = _libpq_path()
        _state["backends"] = module.load(hashlib_ext.__file__, sqlite=sqlite_ext.__file__, libpq=libpq)
        if module.FORMAT_VERSION != chain.FORMAT_VERSION:
            raise RuntimeError("the compiled walker writes another format version")
    except (ImportError, RuntimeError, AttributeError) as error:
        _state["reason"] = str(error)
        module = None
    _state["module"] = module
    return module


def _libpq_path() -> str | None:
    """The library of psycopg's C implementation, whose libpq made the PGconn handles."""
    try:
        import psycopg
    except ImportError:
        return None
    names = {"binary": "psycopg_binary.pq", "c": "psycopg_c.pq"}
    name = names.get(psycopg.pq.__impl__)
    if name is None:
        return None
    return str(importlib.import_module(name).__file__)


def unavailable_reason(vendor: str) -> str | None:
    """Why the compiled walk cannot run on this backend, or None when it can."""
    if _module() is None:
        return _state.get("reason", "custody_chainwalk is not installed")
    if not _state["backends"].get(vendor, False):
        return f"no compiled walk for the {vendor} backend here"
    return None


def _wanted(vendor: str) -> bool:
    choice = settings.CUSTODY_AUDIT_WALKER
    if choice == "python":
        return False
    reason = unavailable_reason(vendor)
    if reason is None:
        return True
    if choice == "compiled":
        raise WalkerUnavailable(reason)
    return False


def _check_session(module: Any, vendor: str, raw: Any) -> None:
    """What the compiled walk takes for granted about the connection, checked rather than assumed."""
    if vendor == "sqlite":
        import sqlite3

        if raw.text_factory is not str:
            raise module.Unsupported("the SQLite connection does not read text as str")
        version = _state["backends"].get("sqlite_version", 0)
        expected = sqlite3.sqlite_version_info
        if version != expected[0] * 1_000_000 + expected[1] * 1_000 + expected[2]:
            raise module.Unsupported("the SQLite library found is not the sqlite3 module's")


def walk_range(
    connection: BaseDatabaseWrapper,
    table: str,
    *,
    after: int,
    upto: int,
    expected_seq: int,
    prev: str,
    checkpoints: list[tuple[int, str]],
    collect: bool = False,
) -> Walked | None:
    """The compiled walk of ``after < seq <= upto``, or None when the Python walk must do it."""
    vendor = connection.vendor
    if not _wanted(vendor):
        return None
    module = _module()
    if module is None:
        return None
    connection.ensure_connection()
    raw = connection.connection
    try:
        _check_session(module, vendor, raw)
        if vendor == "sqlite":
            sql = f"SELECT {_COLUMNS} FROM {table} "  # noqa: S608
            sql += "WHERE seq > ? AND seq <= ? ORDER BY seq"
            result = module.walk_sqlite(raw, sql, after, upto, expected_seq, prev, checkpoints, collect)
        else:
            sql = (
                f"COPY (SELECT {_PG_COLUMNS} FROM {table} WHERE seq > {int(after)} AND seq <= {int(upto)} "  # noqa: S608
                "ORDER BY seq) TO STDOUT (FORMAT binary)"
            )
            with raw.lock:
                result = module.walk_postgresql(raw.pgconn.pgconn_ptr, sql, expected_seq, prev, checkpoints, collect)
    except module.Unsupported as error:
        if settings.CUSTODY_AUDIT_WALKER == "compiled":
            raise WalkerUnavailable(str(error)) from error
        logger.warning("audit verification: the compiled walk gave way to the Python walk: %s", error)
        return None
    return Walked(**result)
