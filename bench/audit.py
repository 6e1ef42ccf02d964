"""Audit chain: verification speed against a plain SHA-256 chain, and the cost of an audited write.

    .venv/bin/python bench/audit.py [--events 1000000] [--backend sqlite|postgresql|both] [--writes 2000] [--rounds 3]

Each backend runs in its own process on a scratch database that this script creates and throws away:
SQLite = the embedded profile's file in a temporary directory (WAL, BEGIN IMMEDIATE);
PostgreSQL = database ``custody_bench`` on the local server (``--pg-url``, dropped and re-created).

1. ``--events`` events with realistic fields are generated with correct chain hashes (reference
   encoder, ``audit.chain``) and bulk-inserted (executemany / COPY), with their target index rows.
2. verify = ``audit.verify.verify()``, what ``manage.py verify_audit`` runs: reads every event,
   re-encodes and re-hashes it, checks links, sequence, checkpoints and the target index (with the
   compiled walker when installed, as ``make setup`` does; the script prints which walk ran).
   raw = a plain Python SHA-256 chain over the same canonical bytes, already in memory.
   The ratio verify/raw is the figure of merit (target: within 3x); raw and verify alternate for
   ``--rounds`` rounds so that each pair sees the same machine. Then the Python walk once
   (``CUSTODY_AUDIT_WALKER=python``) and the walk with one process per CPU (``--workers N``).
3. write cost: ``--writes`` memberships added through ``teams.services.do_add_membership`` (one
   transaction: existence check, insert, audit event) against the same insert with a bare ORM
   ``Membership.objects.create`` in a transaction of its own, and ``audit.services.record`` alone.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch_db import setup_scratch_vault  # noqa: E402

COLUMNS = (
    "id, seq, occurred_at, action, outcome, actor_id, actor_username, actor_team_id, actor_organisation_id, "
    "actor_role, ip, user_agent, purpose, consent_record_id, case_id, targets, details, prev_hash, hash"
)
ACTIONS = ("auth.login", "case.viewed", "evidence.viewed", "evidence.downloaded", "custody.viewed", "audit.viewed")
AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHUNK = 20_000


def _events(count: int) -> Iterator[tuple[tuple[Any, ...], bytes]]:
    """Rows with correct hashes, built with the reference encoder, and each row's canonical bytes."""
    from audit import chain

    prev = chain.GENESIS_HASH
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for seq in range(1, count + 1):
        at = start + timedelta(microseconds=seq * 997)
        targets = [f"evidence.item:{seq % 5000}", f"case:{seq % 100 + 1}"]
        details: dict[str, Any] = {"bytes": seq * 31, "segment": seq % 64} if seq % 5 == 0 else {}
        values = {
            "seq": seq,
            "occurred_at": at,
            "action": ACTIONS[seq % len(ACTIONS)],
            "outcome": "allowed" if seq % 17 else "denied",
            "actor_id": seq % 50 + 1,
            "actor_username": f"lawyer{seq % 50}",
            "actor_team_id": seq % 7 + 1,
            "actor_organisation_id": seq % 3 + 1,
            "actor_role": "lawyer",
            "ip": f"10.0.{seq % 250}.{seq % 200}",
            "user_agent": AGENT,
            "purpose": "Préparer la requête au tribunal" if seq % 10 == 0 else "",
            "consent_record_id": str(seq % 300) if seq % 4 == 0 else "",
            "case_id": seq % 100 + 1,
            "targets": targets,
            "details": details,
        }
        data = chain.canonical_bytes(chain.event_fields(**values))
        digest = hashlib.sha256(bytes.fromhex(prev) + data).hexdigest()
        yield (seq, *values.values(), prev, digest), data
        prev = digest


def _insert(count: int) -> list[bytes]:
    from django.db import connection

    canonical: list[bytes] = []
    batch: list[tuple[Any, ...]] = []
    targets: list[tuple[int, str, str]] = []

    def flush() -> None:
        _write(connection, batch, targets)
        batch.clear()
        targets.clear()

    for row, data in _events(count):
        canonical.append(data)
        seq = row[0]
        stored = list(row)
        if connection.vendor == "sqlite":
            # Django keeps UTC on SQLite as naive text.
            stored[2] = row[2].strftime("%Y-%m-%d %H:%M:%S.%f")
        stored[15], stored[16] = json.dumps(row[15]), json.dumps(row[16])
        batch.append(tuple(stored))
        targets.extend((seq, *t.split(":", 1)) for t in row[15])  # type: ignore[misc]
        if len(batch) >= CHUNK:
            flush()
    flush()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in ("audit_auditevent", "audit_audittarget"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608
            cursor.execute("ANALYZE audit_auditevent")
    return canonical


def _write(connection: Any, batch: list[tuple[Any, ...]], targets: list[tuple[int, str, str]]) -> None:
    if not batch:
        return
    from django.db import transaction

    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor
            with raw.copy(f"COPY audit_auditevent ({COLUMNS}) FROM STDIN") as copy:
                for row in batch:
                    copy.write_row(row)
            with raw.copy("COPY audit_audittarget (event_id, kind, key) FROM STDIN") as copy:
                for row in targets:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * 19)
        cursor.executemany(f"INSERT INTO audit_auditevent ({COLUMNS}) VALUES ({marks})", batch)  # noqa: S608
        cursor.executemany("INSERT INTO audit_audittarget (event_id, kind, key) VALUES (%s, %s, %s)", targets)


def _raw_chain(canonical: list[bytes]) -> tuple[float, float, str]:
    sha256 = hashlib.sha256
    started, cpu = time.perf_counter(), time.process_time()
    prev = "0" * 64
    for data in canonical:
        prev = sha256(bytes.fromhex(prev) + data).hexdigest()
    return time.perf_counter() - started, time.process_time() - cpu, prev


def _server_cpu() -> float:
    """CPU seconds used so far by this connection's PostgreSQL backend (local server, /proc), 0 on SQLite."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _verify_python() -> tuple[float, float, float, Any]:
    """``_verify`` with the Python walk (the fallback where the compiled walker is not installed)."""
    from django.test import override_settings

    with override_settings(CUSTODY_AUDIT_WALKER="python"):
        return _verify()


def _verify(workers: int = 1) -> tuple[float, float, float, Any]:
    """Wall time, CPU time of this process, CPU time of the database server's backend, report."""
    from audit.verify import verify

    server = _server_cpu()
    started, cpu = time.perf_counter(), time.process_time()
    report = verify(workers=workers)
    elapsed, used = time.perf_counter() - started, time.process_time() - cpu
    return elapsed, used, _server_cpu() - server, report


def _write_cost(count: int) -> dict[str, float]:
    from django.db import transaction

    from accounts.models import User
    from audit.actions import Action
    from audit.services import Target, record
    from teams.models import Jurisdiction, Membership, Organisation, Role, Team
    from teams.services import do_add_membership

    jurisdiction = Jurisdiction.objects.create(country="CF")
    organisation = Organisation.objects.create(name="Bench", slug="bench", jurisdiction=jurisdiction)
    teams = [
        Team.objects.create(organisation=organisation, jurisdiction=jurisdiction, name=f"T{i}", slug=f"t{i}")
        for i in range(2)
    ]
    users = User.objects.bulk_create([User(username=f"bench{i}") for i in range(count)])
    lead = User.objects.create(username="bench-lead")
    timings: dict[str, float] = {}
    # Interleaved so both see the same database state and cache warmth.
    bare = audited = alone = 0.0
    for user in users:
        started = time.perf_counter()
        with transaction.atomic():
            Membership.objects.create(user=user, team=teams[0], role=Role.LAWYER)
        bare += time.perf_counter() - started
        started = time.perf_counter()
        do_add_membership(user=user, team=teams[1], role=Role.LAWYER, by=lead)
        audited += time.perf_counter() - started
        started = time.perf_counter()
        with transaction.atomic():
            record(action=Action.MEMBERSHIP_ADDED, user=lead, targets=[Target("user", user.pk)])
        alone += time.perf_counter() - started
    timings["bare ORM create (ms)"] = bare / count * 1000
    timings["do_add_membership, audited (ms)"] = audited / count * 1000
    timings["record() alone (ms)"] = alone / count * 1000
    return timings


def run_backend(backend: str, events: int, writes: int, pg_url: str, rounds: int) -> None:
    from django.db import connection

    from audit import walker

    with tempfile.TemporaryDirectory(prefix="custody-bench-") as var_dir:
        setup_scratch_vault(backend, pg_url, var_dir)
        reason = walker.unavailable_reason(connection.vendor)
        started = time.perf_counter()
        canonical = _insert(events)
        build = time.perf_counter() - started
        size = sum(len(data) for data in canonical) / len(canonical)
        load = os.getloadavg()
        # Raw chain and verification interleaved, so that both see the same machine in each round.
        pairs = []
        for _round in range(rounds):
            raw, raw_cpu, raw_head = _raw_chain(canonical)
            wall, cpu, server, report = _verify()
            assert report.sound and report.events == events, report.finding
            pairs.append((raw, raw_cpu, wall, cpu, server))
        python_wall, python_cpu, python_server, python_report = _verify_python()
        assert python_report.sound and python_report.events == events, python_report.finding
        raw_again = _raw_chain(canonical)[0]
        del canonical
        workers = os.cpu_count() or 1
        parallel_time, _cpu, _server, parallel = _verify(workers)
        assert parallel.sound and parallel.events == events, parallel.finding
        costs = _write_cost(writes)
        walk_name = "compiled walker" if reason is None else f"Python walk ({reason})"
        print(f"### {backend}: {events:,} events (mean canonical size {size:.0f} B), {walk_name}")
        print(f"- build + bulk insert: {build:.1f} s; load average before the rounds: {load[0]:.1f} {load[1]:.1f}")
        print(f"- raw chain head {raw_head[:16]}... (the same head verify_audit reaches)")
        print("| round | raw chain wall / CPU | verify_audit wall / client CPU | server CPU | ratio wall | ratio CPU |")
        print("|---|---|---|---|---|---|")
        ratios = []
        for index, (raw, raw_cpu, wall, cpu, server) in enumerate(pairs, 1):
            ratios.append(wall / raw)
            server_text = f"{server:.2f} s" if backend == "postgresql" else "—"
            print(
                f"| {index} | {raw:.2f} s / {raw_cpu:.2f} s | {wall:.2f} s / {cpu:.2f} s | {server_text} "
                f"| {wall / raw:.2f}x | {cpu / raw_cpu:.2f}x |"
            )
        print(f"- median ratio verify / raw (wall): {statistics.median(ratios):.2f}x (target <= 3x)")
        print(
            f"- Python walk (CUSTODY_AUDIT_WALKER=python), once: {python_wall:.2f} s wall, {python_cpu:.2f} s client "
            f"CPU, server {python_server:.2f} s; {python_wall / raw_again:.2f}x the raw chain measured right after"
        )
        print(f"- verify_audit --workers {workers}: {parallel_time:.2f} s wall, {parallel_time / raw_again:.2f}x")
        print(f"- write cost over {writes:,} actions, per action:")
        for name, value in costs.items():
            print(f"  - {name}: {value:.2f}")
        overhead = costs["do_add_membership, audited (ms)"] / costs["bare ORM create (ms)"]
        print(f"  - audited / bare: {overhead:.2f}x")
        if backend == "postgresql":
            from django.db import connections

            connections.close_all()
            import psycopg

            admin_url, _, name = pg_url.rpartition("/")
            with psycopg.connect(f"{admin_url}/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--writes", type=int, default=2000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/custody_bench")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved raw chain / verify_audit rounds")
    args = parser.parse_args()
    if args.backend != "both":
        run_backend(args.backend, args.events, args.writes, args.pg_url, args.rounds)
        return
    lines = Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in lines if "model name" in line), "?")
    print(f"machine: {os.cpu_count()} CPUs, {cpu}, Python {platform.python_version()}, {datetime.now(UTC):%Y-%m-%d}")
    for backend in ("sqlite", "postgresql"):
        command = [sys.executable, __file__, "--backend", backend, "--events", str(args.events)]
        options = ["--writes", str(args.writes), "--pg-url", args.pg_url, "--rounds", str(args.rounds)]
        subprocess.run([*command, *options], check=True)


if __name__ == "__main__":
    main()
