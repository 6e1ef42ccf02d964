"""Walk the audit chain and its checkpoints; report the first thing that does not hold.

The walk streams rows in sequence order in chunks over a plain cursor (no
model instances) and rebuilds each event's canonical bytes with a
specialised encoder that produces exactly ``chain.canonical_bytes`` output.
Should the two ever disagree on a row, the row is re-hashed the reference way
before anything is reported, so speed never causes a false alarm.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from json.encoder import encode_basestring
from typing import Any, Final

from django.core.files.storage import storages
from django.db import connections
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from audit import chain, checkpoints, signing
from audit.models import AuditEvent, AuditTarget, Checkpoint

CHUNK: Final = 20_000
COLUMNS: Final = (
    "seq, occurred_at, action, outcome, actor_id, actor_username, actor_team_id, actor_organisation_id, "
    "actor_role, ip, user_agent, purpose, consent_record_id, case_id, targets, details, prev_hash, hash"
)
_dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


class Kind(StrEnum):
    EDITED = "edited"
    DELETED = "deleted"
    INSERTED = "inserted"
    REORDERED = "reordered"
    CHECKPOINT = "checkpoint"


@dataclass(frozen=True, slots=True)
class Finding:
    kind: Kind
    seq: int
    message: str


@dataclass(slots=True)
class Report:
    events: int = 0
    head_seq: int = 0
    checkpoints: int = 0
    finding: Finding | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def sound(self) -> bool:
        return self.finding is None


def _int(value: int | None) -> str:
    return "null" if value is None else str(int(value))


def _time(value: Any) -> str:
    if isinstance(value, str):
        parsed = parse_datetime(value)
        if parsed is None:
            raise chain.CanonicalisationError("unreadable time")
        value = parsed
    if value.tzinfo is None:
        # Both backends hand back UTC; SQLite's converter drops the zone.
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return chain.format_time(value)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


def fast_canonical(row: Sequence[Any]) -> bytes:
    """``chain.canonical_bytes(event_fields(...))`` for one raw row, keys written in sorted order."""
    (seq, at, action, outcome, user, username, team, org, role, ip, ua, purpose, consent, case, targets, details) = row[
        :16
    ]
    details = _json(details)
    targets = _json(targets)
    return (
        f'{{"action":{encode_basestring(action)},"actor":{{"organisation":{_int(org)},'
        f'"role":{encode_basestring(role)},"team":{_int(team)},"user":{_int(user)},'
        f'"username":{encode_basestring(username)}}},"at":"{_time(at)}","case":{_int(case)},'
        f'"consent":{encode_basestring(consent)},"details":{_dumps(details) if details else "{}"},'
        f'"ip":{encode_basestring(ip)},"outcome":{encode_basestring(outcome)},'
        f'"purpose":{encode_basestring(purpose)},"seq":{int(seq)},'
        f'"targets":[{",".join(encode_basestring(t) for t in targets)}],'
        f'"ua":{encode_basestring(ua)},"v":{chain.FORMAT_VERSION}}}'
    ).encode()


def rows(using: str = "default", chunk: int = CHUNK) -> Iterator[Sequence[Any]]:
    """Every event as a raw row, in sequence order, a chunk at a time."""
    table = AuditEvent._meta.db_table
    sql = f"SELECT {COLUMNS} FROM {table} WHERE seq > %s ORDER BY seq LIMIT %s"  # noqa: S608 (constants only)
    last = 0
    connection = connections[using]
    while True:
        with connection.cursor() as cursor:
            cursor.execute(sql, [last, chunk])
            batch = cursor.fetchall()
        if not batch:
            return
        yield from batch
        last = batch[-1][0]


def _reference_hash(seq: int, using: str) -> str:
    return AuditEvent.objects.using(using).get(seq=seq).computed_hash()


def _link_finding(seq: int, expected_prev: str, using: str) -> Finding:
    events = AuditEvent.objects.using(using)
    if events.filter(prev_hash=expected_prev).exclude(seq=seq).exists():
        return Finding(
            Kind.REORDERED,
            seq,
            _("Event #%(seq)s is out of place: the event that follows #%(prev)s is stored elsewhere in the log.")
            % {"seq": seq, "prev": seq - 1},
        )
    return Finding(
        Kind.INSERTED,
        seq,
        _(
            "Event #%(seq)s does not follow event #%(prev)s (its previous hash does not match): a forged row was "
            "inserted, or rows were removed and the rest renumbered."
        )
        % {"seq": seq, "prev": seq - 1},
    )


def walk(report: Report, cps: dict[int, Checkpoint], using: str = "default") -> int:
    """Check every event; return the number of targets the events name."""
    expected_seq, prev = 1, chain.GENESIS_HASH
    target_count = 0
    sha256 = hashlib.sha256
    for row in rows(using):
        seq, prev_hash, stored = row[0], row[16], row[17]
        if seq != expected_seq:
            report.finding = Finding(
                Kind.DELETED,
                expected_seq,
                _("Events #%(first)s to #%(last)s are missing: they were deleted.")
                % {"first": expected_seq, "last": seq - 1},
            )
            return target_count
        if prev_hash != prev:
            report.finding = _link_finding(seq, prev, using)
            return target_count
        computed = sha256(bytes.fromhex(prev_hash) + fast_canonical(row)).hexdigest()
        if computed != stored and _reference_hash(seq, using) != stored:
            report.finding = Finding(
                Kind.EDITED, seq, _("Event #%(seq)s was edited: its content no longer matches its hash.") % {"seq": seq}
            )
            return target_count
        checkpoint = cps.get(seq)
        if checkpoint is not None:
            if checkpoint.head_hash != stored:
                report.finding = Finding(
                    Kind.CHECKPOINT,
                    seq,
                    _("Checkpoint #%(seq)s was signed over a different chain: the log up to it was rewritten.")
                    % {"seq": seq},
                )
                return target_count
            report.checkpoints += 1
        target_count += len(_json(row[14]))
        report.events += 1
        report.head_seq = seq
        expected_seq, prev = seq + 1, stored
    return target_count


def check_checkpoint(checkpoint: Checkpoint) -> str | None:
    """Why a checkpoint cannot be trusted on its own terms, or None when it holds."""
    statement = checkpoint.statement.encode("utf-8")
    try:
        parsed = checkpoints.parse_statement(statement)
    except checkpoints.StatementError as error:
        return str(error)
    if parsed.tree_size != checkpoint.seq or parsed.chain_head != checkpoint.head_hash:
        return _("its signed statement names a different sequence number or head hash")
    if signing.verify(statement, checkpoint.signature) != checkpoint.key_fingerprint:
        return _("its signature is not valid")
    if checkpoint.key_fingerprint != signing.fingerprint():
        return _("it was signed by a key other than the vault's audit key")
    storage = storages[checkpoints.STORAGE_NAME]
    try:
        with storage.open(checkpoint.statement_key, "rb") as handle:
            stored_statement = handle.read()
        with storage.open(checkpoint.signature_key, "rb") as handle:
            stored_signature = handle.read().decode("ascii", "replace")
    except (OSError, ValueError):
        return _("its copy in object storage is missing")
    if stored_statement != statement or stored_signature != checkpoint.signature:
        return _("its copy in object storage differs from the database record")
    return None


def verify(using: str = "default") -> Report:
    report = Report()
    cps = {cp.seq: cp for cp in Checkpoint.objects.using(using).order_by("seq")}
    for checkpoint in cps.values():
        problem = check_checkpoint(checkpoint)
        if problem is not None:
            report.finding = Finding(
                Kind.CHECKPOINT,
                checkpoint.seq,
                _("Checkpoint #%(seq)s does not hold: %(problem)s.") % {"seq": checkpoint.seq, "problem": problem},
            )
            return report
    targets = walk(report, cps, using)
    if report.finding is not None:
        return report
    beyond = [seq for seq in cps if seq > report.head_seq]
    if beyond:
        report.finding = Finding(
            Kind.CHECKPOINT,
            min(beyond),
            _(
                "The log ends at event #%(head)s but checkpoint #%(seq)s was signed: "
                "events after #%(head)s were removed."
            )
            % {"head": report.head_seq, "seq": min(beyond)},
        )
        return report
    if AuditTarget.objects.using(using).count() != targets:
        report.finding = Finding(
            Kind.EDITED,
            report.head_seq,
            _("The index of objects named by events does not match the events (rows added or removed)."),
        )
    return report
