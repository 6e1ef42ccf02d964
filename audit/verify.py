"""Walk the audit chain and its checkpoints; report the first thing that does not hold.

Where the compiled walker is installed (``audit.walker``, native/chainwalk) it
does the per-event work in C over the connection Django holds. Otherwise, on
PostgreSQL the events are streamed with one COPY, the server writing each
event's canonical text around its details and targets; on SQLite they are
read in keyset chunks over a plain cursor and encoded by a specialised
encoder (``audit.canonical_sql``). Should the fast bytes ever disagree with
``chain.canonical_bytes`` on a row, the row is re-hashed the reference way
before anything is reported, so speed never causes a false alarm.
"""

from __future__ import annotations

import gc
import hashlib
import json
import multiprocessing
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from django.core.files.storage import storages
from django.db import connections
from django.db.models import Max
from django.utils.translation import gettext as _

from audit import canonical_sql, chain, checkpoints, schema, signing, walker
from audit.models import AuditEvent, AuditTarget, Checkpoint

CHUNK: Final = 20_000
LAST: Final = 2**62
_dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


class Kind(StrEnum):
    EDITED = "edited"
    DELETED = "deleted"
    INSERTED = "inserted"
    REORDERED = "reordered"
    CHECKPOINT = "checkpoint"
    ALTERED = "altered"


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
    walk: str = ""  # "compiled" or "python": which walk read the chain
    notes: list[str] = field(default_factory=list)

    @property
    def sound(self) -> bool:
        return self.finding is None


def rows(using: str = "default", chunk: int = 0, after: int = 0, upto: int = LAST) -> Iterator[canonical_sql.Row]:
    """Events ``after < seq <= upto`` as raw rows (``canonical_sql.Row``), in sequence order, a chunk at a time."""
    connection = connections[using]
    sql = canonical_sql.select_sql(connection.vendor, AuditEvent._meta.db_table)
    last = after
    while True:
        with connection.cursor() as cursor:
            cursor.execute(sql, [last, upto, chunk or CHUNK])
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


@dataclass(slots=True)
class Span:
    """The walk over one range of the chain; ``first_*`` and ``last_hash`` let ranges be joined."""

    report: Report = field(default_factory=Report)
    targets: int = 0
    first_seq: int = 0
    first_prev: str = ""
    last_hash: str = ""


def _deleted(first: int, last: int) -> Finding:
    return Finding(
        Kind.DELETED,
        first,
        _("Events #%(first)s to #%(last)s are missing: they were deleted.") % {"first": first, "last": last},
    )


def prepared(using: str = "default", after: int = 0, upto: int = LAST) -> Generator[canonical_sql.Prepared, None, None]:
    """Events ``after < seq <= upto`` in sequence order as (seq, prev_hash, hash, target count, canonical
    bytes or None when only the reference encoder can tell)."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        yield from canonical_sql.stream_postgresql(connection.connection, AuditEvent._meta.db_table, after, upto)
        return
    encode = canonical_sql.canonical
    for row in rows(using, after=after, upto=upto):
        yield row[0], row[16], row[17], row[18] or 0, encode(row)


def _first_edit(suspects: list[tuple[int, str]], before: int, using: str) -> Finding | None:
    """The first event (up to ``before``) whose stored hash the reference encoder does not give either."""
    for seq, stored in suspects:
        if seq <= before and _reference_hash(seq, using) != stored:
            return Finding(
                Kind.EDITED, seq, _("Event #%(seq)s was edited: its content no longer matches its hash.") % {"seq": seq}
            )
    return None


def walk(cps: dict[int, Checkpoint], using: str = "default", after: int = 0, upto: int = LAST) -> Span:
    """Check the events ``after < seq <= upto``. From the start of the chain (``after == 0``) the
    first event must be #1 on the genesis hash; a later range takes its first event's place and
    link as given, for the caller to join to the range before it.

    Rows whose fast bytes do not give their stored hash are only suspects until the stream is closed
    (no other query can run on the connection while PostgreSQL streams): they are then re-hashed the
    reference way, in order, and the first that still fails is the finding, ahead of any later one."""
    span = Span()
    expected_seq, prev = (1, chain.GENESIS_HASH) if after == 0 else (0, "")
    suspects: list[tuple[int, str]] = []
    walked = walker.walk_range(
        connections[using],
        AuditEvent._meta.db_table,
        after=after,
        upto=upto,
        expected_seq=expected_seq,
        prev=prev,
        checkpoints=[(seq, cps[seq].head_hash) for seq in sorted(cps)],
    )
    uncounted: list[int] = []
    span.report.walk = "python" if walked is None else "compiled"
    if walked is not None:
        finding = _take_walked(walked, span, suspects)
        uncounted = walked.uncounted
    else:
        finding = _walk_python(span, cps, suspects, using, after, upto, expected_seq, prev)
    report = span.report
    edit = _first_edit(suspects, finding.seq if finding else LAST, using)
    if edit is not None:
        report.finding = edit
    elif finding is not None and finding.kind is Kind.INSERTED:
        report.finding = _link_finding(finding.seq, finding.message, using)
    else:
        report.finding = finding
    if uncounted:
        span.targets += _reference_target_count(uncounted, using)
    return span


def _reference_target_count(seqs: list[int], using: str) -> int:
    """The targets of events the compiled walk left to the reference (and the reference found sound)."""
    events = AuditEvent.objects.using(using)
    total = 0
    for start in range(0, len(seqs), 500):
        for targets in events.filter(seq__in=seqs[start : start + 500]).values_list("targets", flat=True):
            total += len(targets) if isinstance(targets, list) else 0
    return total


def _walk_python(
    span: Span,
    cps: dict[int, Checkpoint],
    suspects: list[tuple[int, str]],
    using: str,
    after: int,
    upto: int,
    expected_seq: int,
    prev: str,
) -> Finding | None:
    stream = prepared(using, after, upto)
    # The walk makes millions of short-lived objects and no cycles: collection passes would only
    # rescan them.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _walk_stream(stream, span, cps, suspects, expected_seq, prev)
    finally:
        stream.close()
        if collecting:
            gc.enable()


def _take_walked(walked: walker.Walked, span: Span, suspects: list[tuple[int, str]]) -> Finding | None:
    """The compiled walk's results in the Python walk's terms."""
    report = span.report
    report.events, report.head_seq, report.checkpoints = walked.events, walked.head_seq, walked.checkpoints
    span.targets, span.first_seq, span.first_prev = walked.targets, walked.first_seq, walked.first_prev
    suspects.extend(walked.suspects)
    if walked.finding is None:
        span.last_hash = walked.last_hash
        return None
    kind, seq, detail = walked.finding
    if kind == "deleted":
        return _deleted(seq, detail)
    if kind == "inserted":
        return Finding(Kind.INSERTED, seq, detail)
    return _checkpoint_rewritten(seq)


def _checkpoint_rewritten(seq: int) -> Finding:
    return Finding(
        Kind.CHECKPOINT,
        seq,
        _("Checkpoint #%(seq)s was signed over a different chain: the log up to it was rewritten.") % {"seq": seq},
    )


def _walk_stream(
    stream: Iterator[canonical_sql.Prepared],
    span: Span,
    cps: dict[int, Checkpoint],
    suspects: list[tuple[int, str]],
    expected_seq: int,
    prev: str,
) -> Finding | None:
    """The walk proper; a broken link comes back as an INSERTED finding carrying the expected
    previous hash, to be named once the stream is closed."""
    report = span.report
    sha256, fromhex = hashlib.sha256, bytes.fromhex
    for seq, prev_hash, stored, count, data in stream:
        if not span.first_seq:
            span.first_seq, span.first_prev = seq, prev_hash
            if not expected_seq:
                expected_seq, prev = seq, prev_hash
        if seq != expected_seq:
            return _deleted(expected_seq, seq - 1)
        if prev_hash != prev:
            return Finding(Kind.INSERTED, seq, prev)
        if data is None or sha256(fromhex(prev_hash) + data).hexdigest() != stored:
            suspects.append((seq, stored))
        checkpoint = cps.get(seq)
        if checkpoint is not None:
            if checkpoint.head_hash != stored:
                return _checkpoint_rewritten(seq)
            report.checkpoints += 1
        span.targets += count
        report.events += 1
        report.head_seq = seq
        expected_seq, prev = seq + 1, stored
    span.last_hash = prev
    return None


def _span_worker(after: int, upto: int, using: str) -> Span:
    try:
        cps = {cp.seq: cp for cp in Checkpoint.objects.using(using).order_by("seq")}
        return walk(cps, using, after, upto)
    finally:
        connections.close_all()


def _walk_parallel(using: str, workers: int) -> Span:
    """The chain cut into ``workers`` ranges walked by forked processes, then joined in order.

    Each event's hash depends only on its own row, so ranges verify independently; only the
    links between ranges are left, and they are checked here.
    """
    top = AuditEvent.objects.using(using).aggregate(top=Max("seq"))["top"] or 0
    step = top // workers + 1
    bounds = [(start, min(start + step, top)) for start in range(0, top, step)]
    connections.close_all()
    with multiprocessing.get_context("fork").Pool(len(bounds) or 1) as pool:
        spans = pool.starmap(_span_worker, [(after, upto, using) for after, upto in bounds])
    joined = Span()
    total = joined.report
    last_seq, last_hash = 0, chain.GENESIS_HASH
    for span in spans:
        part = span.report
        if not span.first_seq:
            continue
        if span.first_seq != last_seq + 1:
            total.finding = _deleted(last_seq + 1, span.first_seq - 1)
        elif span.first_prev != last_hash:
            total.finding = _link_finding(span.first_seq, last_hash, using)
        else:
            total.events += part.events
            total.checkpoints += part.checkpoints
            joined.targets += span.targets
            total.finding = part.finding
            total.head_seq = part.head_seq or total.head_seq
            total.walk = total.walk or part.walk
        if total.finding is not None:
            return joined
        last_seq, last_hash = part.head_seq, span.last_hash
    return joined


def _altered(using: str) -> Finding | None:
    columns = schema.altered_columns(using)
    if not columns:
        return None
    found = ", ".join(f"{column} ({kind})" for column, kind in sorted(columns.items()))
    return Finding(
        Kind.ALTERED,
        0,
        _(
            "The audit table's definition was altered: %(columns)s. Its rows can no longer be read the way "
            "they were written."
        )
        % {"columns": found},
    )


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


def verify(using: str = "default", workers: int = 1) -> Report:
    """Checkpoints, then the chain (in ``workers`` processes when more than one), then the ends."""
    cps = {cp.seq: cp for cp in Checkpoint.objects.using(using).order_by("seq")}
    for checkpoint in cps.values():
        problem = check_checkpoint(checkpoint)
        if problem is not None:
            report = Report()
            report.finding = Finding(
                Kind.CHECKPOINT,
                checkpoint.seq,
                _("Checkpoint #%(seq)s does not hold: %(problem)s.") % {"seq": checkpoint.seq, "problem": problem},
            )
            return report
    altered = _altered(using)
    if altered is not None:
        report = Report()
        report.finding = altered
        return report
    span = walk(cps, using) if workers <= 1 else _walk_parallel(using, workers)
    report, targets = span.report, span.targets
    # Checked again: a definition changed while the walk ran must not pass either.
    report.finding = report.finding or _altered(using)
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
