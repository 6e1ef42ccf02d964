"""Walk the audit chain and its checkpoints; report the first thing that does not hold.

The walk streams rows in sequence order in chunks over a plain cursor (no
model instances) and rebuilds each event's canonical bytes with a
specialised encoder (``audit.canonical_sql``). Should that ever disagree
with ``chain.canonical_bytes`` on a row, the row is re-hashed the
reference way before anything is reported, so speed never causes a false
alarm.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from django.core.files.storage import storages
from django.db import connections
from django.utils.translation import gettext as _

from audit import canonical_sql, chain, checkpoints, signing
from audit.models import AuditEvent, AuditTarget, Checkpoint

CHUNK: Final = 20_000
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


def rows(using: str = "default", chunk: int = CHUNK) -> Iterator[canonical_sql.Row]:
    """Every event as a raw row (``canonical_sql.Row``), in sequence order, a chunk at a time."""
    connection = connections[using]
    sql = canonical_sql.select_sql(connection.vendor, AuditEvent._meta.db_table)
    last = 0
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
    encode = canonical_sql.canonical
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
        computed = sha256(bytes.fromhex(prev_hash) + encode(row)).hexdigest()
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
        target_count += row[18] or 0
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
