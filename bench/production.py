"""Production build time and peak memory for 100 and 1,000 items, and where the time goes.

    .venv/bin/python bench/production.py [--path real|engine] [--sizes 100 1000] [--native-kib 1024]

Each size runs in a fresh subprocess; its peak RSS is the kernel's high-water mark (VmHWM), reset
right before the build (/proc/self/clear_refs) so the setup (migrations, ingestion) does not count. Half the items are
PDFs (1 to 8 pages, stamped), half are 1 MiB natives (slip sheet + the native).

--path real (default): the product's build. A fresh embedded vault (SQLite, sealed objects and keys
in a temporary CUSTODY_VAR_DIR) gets a case whose items are ingested as bulk intake does
(SealedWriter + do_register_item); a lawyer creates a production, selects every item and starts the
build; the timed part is evidence.production_build.run_build: decisions, custody reports from the
audit log, verified retrieval of every item, the engine, the package sealed into vault storage and
the Bates counter moved.
--path engine: the engine alone (evidence.production.package.write_package) fed by items sealed
with the vault's stream cipher into ciphertext files, its output sealed and discarded.

Time is split exclusively (a nested step's time is not counted in its caller):
  vault read      reading, decrypting and verifying the stored items
  custody reports building each item's custody report from the database (real path only)
  zip + hashing   writing ZIP members: SHA-256 of each member and of each item's plaintext, CRC-32
  package seal    sealing the package stream (AES-256-GCM + SHA-256; real path: and storing it)
  stamping        pikepdf: opening, stamping and saving each PDF (slip sheets included)
  slip sheets     reportlab: drawing the slip sheets
  other           everything else (scratch files, load files, tag files, signature; real path: the
                  database work of the build)
Reference (same run, same process): one SHA-256 + AES-256-GCM pass over the same plaintext bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vault.settings")
MIB = 1 << 20


class Clock:
    """Exclusive time per category: time goes to the innermost category running."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = {}
        self.stack = ["other"]
        self.mark = time.perf_counter()

    def _switch(self) -> None:
        now = time.perf_counter()
        top = self.stack[-1]
        self.totals[top] = self.totals.get(top, 0.0) + now - self.mark
        self.mark = now

    def enter(self, name: str) -> None:
        self._switch()
        self.stack.append(name)

    def leave(self) -> None:
        self._switch()
        self.stack.pop()

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            self.enter(name)
            try:
                return function(*args, **kwargs)
            finally:
                self.leave()

        return timed


def _pdfs() -> list[bytes]:
    from fpdf import FPDF

    made = []
    for pages in (1, 2, 3, 5, 8):
        doc = FPDF()
        doc.set_font("helvetica", size=11)
        for page in range(pages):
            doc.add_page()
            for line in range(40):
                doc.cell(text=f"Statement page {page + 1}, line {line + 1}: the witness describes the events.")
                doc.ln(6)
        made.append(bytes(doc.output()))
    return made


def _seal_items(count: int, native_bytes: int, store: Path) -> tuple[list[dict[str, Any]], int]:
    from vault.crypto.stream import StreamEncryptor, new_data_key

    pdfs, items, total = _pdfs(), [], 0
    for index in range(count):
        plain = pdfs[index % len(pdfs)] if index % 2 else os.urandom(native_bytes)
        key, uid = new_data_key(), uuid.uuid4()
        encryptor = StreamEncryptor(key, binding=str(uid))
        path = store / f"{index}.sealed"
        path.write_bytes(encryptor.update(plain) + encryptor.finalize())
        media = "application/pdf" if index % 2 else "video/mp4"
        items.append({"path": path, "key": key, "uid": uid, "sha": hashlib.sha256(plain).hexdigest(), "media": media})
        total += len(plain)
    return items, total


def _reader(item: dict[str, Any], clock: Clock) -> Callable[[], Iterator[bytes]]:
    from vault.crypto.stream import StreamDecryptor

    def chunks() -> Iterator[bytes]:
        clock.enter("vault read")
        try:
            decryptor = StreamDecryptor(item["key"], binding=str(item["uid"]))
            with item["path"].open("rb") as handle:
                while block := handle.read(MIB):
                    out = decryptor.update(block)
                    if out:
                        clock.leave()
                        yield out
                        clock.enter("vault read")
            tail = decryptor.finalize()
        finally:
            clock.leave()
        if tail:
            yield tail

    return chunks


class SealedSink:
    """The stored package: sealed with the vault's stream cipher, ciphertext discarded."""

    def __init__(self, clock: Clock) -> None:
        from vault.crypto.stream import StreamEncryptor, new_data_key

        self.encryptor = StreamEncryptor(new_data_key(), binding=str(uuid.uuid4()))
        self.clock = clock
        self.size = 0

    def write(self, data: bytes) -> int:
        self.clock.enter("package seal")
        self.encryptor.update(data)
        self.clock.leave()
        self.size += len(data)
        return len(data)

    def close(self) -> None:
        self.encryptor.finalize()


def _reset_peak() -> int:
    """The current RSS in KiB, after resetting the kernel's high-water mark (VmHWM) to it."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status("VmRSS")


def _status(field: str) -> int:
    line = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith(field + ":"))
    return int(line.split()[1])


def _reference(total: int) -> float:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    block, aead, digest = os.urandom(MIB), AESGCM(AESGCM.generate_key(bit_length=256)), hashlib.sha256()
    started = time.perf_counter()
    for index in range(0, total, MIB):
        piece = block[: min(MIB, total - index)]
        digest.update(piece)
        aead.encrypt(index.to_bytes(12, "big"), piece, None)
    return time.perf_counter() - started


def child(count: int, native_kib: int) -> dict[str, Any]:
    import django

    django.setup()
    from evidence.production import builder, slipsheet, stream
    from evidence.production.package import PackageInfo, ProducedDocument, write_package
    from tests.evidence.production.engine_helpers import KeySigner

    signer = KeySigner("Bench")
    with tempfile.TemporaryDirectory(prefix="custody-bench-") as store:
        items, total = _seal_items(count, native_kib * 1024, Path(store))
        rss_before = _reset_peak()
        clock = Clock()
        builder.stamp_pdf = clock.wrap("stamping", builder.stamp_pdf)  # type: ignore[attr-defined]
        slipsheet.render = clock.wrap("slip sheets", slipsheet.render)  # type: ignore[assignment]
        builder.add_member = clock.wrap("zip + hashing", stream.add_member)  # type: ignore[attr-defined]
        documents = (
            ProducedDocument(
                control=f"DOC-{index + 1:06d}", item_ref=str(item["uid"]), form="original", media_type=item["media"],
                display_name=f"Exhibit {index + 1}", source_sha256=item["sha"], custodian="Coalition",
                collected_at="2026-03-01T10:00:00Z", open_plaintext=_reader(item, clock),
                custody_report=json.dumps({"item": str(item["uid"]), "events": []}).encode(), redaction_log=None,
            )
            for index, item in enumerate(items)
        )  # fmt: skip
        info = PackageInfo(
            production_ref="BENCH-P001", case_ref="BENCH", recipient="Court", forum="court", purpose="bench",
            prepared_by="bench", organisation="bench", bates_prefix="BENCH-", bates_start=1,
            created_at="2026-12-01T00:00:00Z",
        )  # fmt: skip
        sink = SealedSink(clock)
        clock.mark = started = time.perf_counter()
        result = write_package(sink, info=info, documents=documents, withheld=[], signer=signer)
        sink.close()
        clock._switch()
        elapsed = time.perf_counter() - started
        peak = _status("VmHWM")
    return {
        "items": count,
        "plaintext_bytes": total,
        "package_bytes": result.package_size,
        "pages": result.next_number - 1,
        "seconds": elapsed,
        "peak_rss_kib": peak,
        "rss_before_build_kib": rss_before,
        "split": clock.totals,
        "reference_seconds": _reference(total),
    }


def _vault(var: str) -> None:
    os.environ.update(CUSTODY_PROFILE="embedded", CUSTODY_VAR_DIR=var, DJANGO_SETTINGS_MODULE="vault.settings")
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "SECRET_KEY"):
        os.environ.pop(name, None)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def _real_case(count: int, native_bytes: int) -> tuple[Any, Any, list[Any], int]:
    from evidence import services
    from evidence.intake import SealedWriter
    from teams.access import acting_as
    from teams.models import Role
    from teams.policy import Perm, actor_for, decide
    from tests.factories import (
        CaseFactory,
        JurisdictionFactory,
        MembershipFactory,
        OrganisationFactory,
        TeamFactory,
        UserFactory,
    )

    car = JurisdictionFactory(country="CF")
    organisation = OrganisationFactory(name="Host Counsel", slug="host-counsel", jurisdiction=car)
    team = TeamFactory(organisation=organisation, jurisdiction=car, name="Bangui team", slug="bangui")
    lawyer = UserFactory(username="lawyer")
    MembershipFactory(user=lawyer, team=team, role=Role.LAWYER)
    case = CaseFactory.create(reference="CAF-MINUSCA-0042", organisation=organisation, teams=[team])
    type(case).objects.filter(pk=case.pk).update(mission="MINUSCA")
    case.refresh_from_db()
    decision = decide(actor_for(lawyer), Perm.EVIDENCE_UPLOAD, case.as_ref())
    collection = services.Collection(sensitivity="high", no_survivor_material=True)
    pdfs, items, total = _pdfs(), [], 0
    for index in range(count):
        plain = pdfs[index % len(pdfs)] if index % 2 else os.urandom(native_bytes)
        writer = SealedWriter(services.plan_for(case))
        writer.write(plain)
        name = f"exhibit-{index}.pdf" if index % 2 else f"exhibit-{index}.mp4"
        items.append(
            services.do_register_item(
                case=case, sealed=writer.finish(), original_name=name, collection=collection, user=lawyer,
                acting_as=acting_as(decision), channel="bulk",
            )
        )  # fmt: skip
        total += len(plain)
    return case, lawyer, items, total


def child_real(count: int, native_kib: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="custody-bench-var-") as var:
        _vault(var)
        from evidence import production_build, production_package
        from evidence.production import builder, slipsheet, stream
        from evidence.production_models import Production
        from evidence.production_services import do_create_production, do_select_items, do_start_build

        case, lawyer, items, total = _real_case(count, native_kib * 1024)
        production = do_create_production(
            case=case, recipient="Tribunal de grande instance de Bangui", forum="tgi-bangui",
            purpose="bench", user=lawyer,
        )  # fmt: skip
        do_select_items(production=production, items=items, user=lawyer)
        rss_before = _reset_peak()
        clock = Clock()
        builder.stamp_pdf = clock.wrap("stamping", builder.stamp_pdf)  # type: ignore[attr-defined]
        slipsheet.render = clock.wrap("slip sheets", slipsheet.render)  # type: ignore[assignment]
        builder.add_member = clock.wrap("zip + hashing", stream.add_member)  # type: ignore[attr-defined]
        production_build.production_report = clock.wrap("custody reports", production_build.production_report)
        production_build.iter_content = _timed_iter(clock, production_build.iter_content)
        sink_write = production_package.PackageSink.write
        production_package.PackageSink.write = clock.wrap("package seal", sink_write)  # type: ignore[method-assign]
        clock.mark = started = time.perf_counter()
        do_start_build(production=production, user=lawyer, queue=False)
        state = production_build.run_build(production.pk)
        clock._switch()
        elapsed = time.perf_counter() - started
        peak = _status("VmHWM")
        production = Production.objects.get(pk=production.pk)
        if state != "built":
            raise SystemExit(f"the build ended in state {state}: {production.failure!r}")
        pages = (production.bates_next or 0) - (production.bates_start or 0)
        package_size = production.package_size or 0
    return {
        "items": count,
        "plaintext_bytes": total,
        "package_bytes": package_size,
        "pages": pages,
        "seconds": elapsed,
        "peak_rss_kib": peak,
        "rss_before_build_kib": rss_before,
        "split": clock.totals,
        "reference_seconds": _reference(total),
    }


def _timed_iter(clock: Clock, function: Callable[..., Iterator[bytes]]) -> Callable[..., Iterator[bytes]]:
    def chunks(*args: Any, **kwargs: Any) -> Iterator[bytes]:
        inner = function(*args, **kwargs)
        while True:
            clock.enter("vault read")
            try:
                chunk = next(inner)
            except StopIteration:
                return
            finally:
                clock.leave()
            yield chunk

    return chunks


def _machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())  # fmt: skip
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} vCPU {cpu}, {platform.system()} {platform.release()}, Python {platform.python_version()}; "
        f"load average {load[0]:.1f} at start"
    )


def _report(results: list[dict[str, Any]]) -> None:
    print(
        "| items | pages | plaintext MiB | package MiB | build s | MiB/s | ref. s | build/ref. | build's peak RSS MiB |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        mib = r["plaintext_bytes"] / MIB
        print(
            f"| {r['items']:,} | {r['pages']:,} | {mib:,.0f} | {r['package_bytes'] / MIB:,.0f} | {r['seconds']:.1f} "
            f"| {mib / r['seconds']:.0f} | {r['reference_seconds']:.2f} | {r['seconds'] / r['reference_seconds']:.1f} "
            f"| {r['peak_rss_kib'] / 1024:.0f} (at start {r['rss_before_build_kib'] / 1024:.0f}) |"
        )
    names = ["vault read", "zip + hashing", "package seal", "stamping", "slip sheets", "custody reports", "other"]
    print()
    print("| items | " + " | ".join(names) + " | hashing/encrypting | stamping + slip sheets |")
    print("|---|" + "---|" * (len(names) + 2))
    for r in results:
        split, total = r["split"], sum(r["split"].values())
        share = {name: split.get(name, 0.0) / total for name in names}
        crypto = share["vault read"] + share["zip + hashing"] + share["package seal"]
        stamping = share["stamping"] + share["slip sheets"]
        cells = " | ".join(f"{split.get(name, 0.0):.1f} s ({share[name]:.0%})" for name in names)
        print(f"| {r['items']:,} | {cells} | {crypto:.0%} | {stamping:.0%} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--native-kib", type=int, default=1024)
    parser.add_argument("--path", choices=("real", "engine"), default="real")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run = child_real if args.path == "real" else child
        print(json.dumps(run(args.child, args.native_kib)))
        return
    print(f"Machine: {_machine()}")
    print(f"Command: {' '.join([Path(sys.executable).name, *sys.argv])}\n")
    results = []
    for size in args.sizes:
        command = [sys.executable, __file__, "--child", str(size), "--native-kib", str(args.native_kib)]
        command += ["--path", args.path]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    _report(results)


if __name__ == "__main__":
    main()
