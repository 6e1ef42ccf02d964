"""Bulk intake from a drive: every file is sealed and recorded as web intake would, with a hash manifest.

Result lines name items by their index and display name, not by file name (a file name can name a
survivor); the manifest, written where the operator asks, maps each source path to its item and hashes.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TextIO

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.models import Case, Survivor
from evidence import sealing, services
from evidence.forms import CollectionForm
from evidence.intake import SealedWriter
from evidence.storage import StorageUnavailable
from teams.access import acting_as, record_denial
from teams.policy import Perm, actor_for, decide

READ_SIZE = 1024 * 1024
BAR_WIDTH = 30


@dataclass
class Row:
    index: int
    source: str
    status: str
    item: str = ""
    sha256: str = ""
    size: int = 0
    duplicate_of: str = ""
    reason: str = ""


def walk(paths: list[str]) -> Iterator[Path]:
    """Files named, and every regular file under directories named, in a stable order; links are not followed."""
    for raw in paths:
        path = Path(raw)
        if path.is_symlink():
            continue
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and not p.is_symlink())
        else:
            yield path


class Command(BaseCommand):
    help = "Seal and record files (and directories of files) as evidence of a case, with a manifest of hashes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+")
        parser.add_argument("--case", required=True, help="Case reference, e.g. CAF-MINUSCA-0001")
        parser.add_argument("--as", dest="username", required=True, help="The account the intake is recorded for")
        parser.add_argument("--manifest", default="-", help="Where to write the manifest ('-' = standard output)")
        parser.add_argument("--format", choices=("csv", "json"), default="csv")
        parser.add_argument("--collected-by", default="")
        parser.add_argument("--place", default="")
        parser.add_argument("--source", default="")
        parser.add_argument("--method", default="")
        parser.add_argument("--sensitivity", default="high", choices=("standard", "high", "restricted"))
        parser.add_argument(
            "--survivor",
            dest="survivors",
            action="append",
            default=[],
            metavar="CODE",
            help="Pseudonym code of a survivor of the case the files concern (repeat for several)",
        )
        parser.add_argument(
            "--no-survivor-material",
            action="store_true",
            help="The files concern no survivor of the case (cannot be combined with --survivor)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        case, user, decision = self._authorise(options["case"], options["username"])
        if options["manifest"] != "-" and Path(options["manifest"]).exists():
            raise CommandError(f"The manifest file already exists: {options['manifest']}")
        collection = self._collection(case, options)
        files = list(walk(options["paths"]))
        if not files:
            raise CommandError("no files found under the given paths")
        total = sum(f.stat().st_size for f in files if f.exists())
        self._done = 0
        self._total = max(total, 1)
        rows = [self._ingest(i, len(files), path, case, user, decision, collection) for i, path in enumerate(files, 1)]
        self._write_manifest(rows, options["manifest"], options["format"])
        failed = [r for r in rows if r.status == "failed"]
        self.stderr.write(f"{len(rows) - len(failed)} stored, {len(failed)} failed")
        if failed:
            reasons = "; ".join(f"#{r.index}: {r.reason}" for r in failed)
            raise CommandError(f"{len(failed)} file(s) failed: {reasons}")

    def _authorise(self, reference: str, username: str) -> tuple[Case, Any, Any]:
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        case = Case.objects.select_related("organisation", "host_jurisdiction").filter(reference=reference).first()
        if user is None or case is None:
            raise CommandError("unknown case or user (or the user may not add evidence to it)")
        decision = decide(actor_for(user), Perm.EVIDENCE_UPLOAD, case.as_ref())
        if not decision:
            record_denial(
                None,
                perm=Perm.EVIDENCE_UPLOAD,
                targets=[services.case_target(case.pk)],
                case_id=case.pk,
                reason="bulk intake",
                user=user,
            )
            raise CommandError("unknown case or user (or the user may not add evidence to it)")
        return case, user, decision

    @staticmethod
    def _collection(case: Case, options: dict[str, Any]) -> services.Collection:
        """The collection details, checked by the web intake's form before anything is ingested.

        Only the survivor codes are resolved here (the form takes ids): a code that is not a survivor of the
        case is refused, and the form decides the rest exactly as for a web upload.
        """
        wanted = {code.strip().upper() for code in options["survivors"] if code.strip()}
        found = dict(Survivor.objects.filter(case=case, code__in=wanted).values_list("code", "pk"))
        missing = sorted(wanted - found.keys())
        if missing:
            raise CommandError(f"not a survivor of case {case.reference}: {', '.join(missing)}")
        fields = ("collected_by", "place", "source", "method", "sensitivity", "no_survivor_material")
        form = CollectionForm(
            {**{name: options[name] for name in fields}, "survivors": sorted(found.values())}, case=case
        )
        if not form.is_valid():
            errors = "; ".join(str(message) for messages in form.errors.values() for message in messages)
            raise CommandError(f"--survivor / --no-survivor-material or collection details: {errors}")
        return form.collection()

    def _ingest(self, index: int, count: int, path: Path, case: Case, user: Any, decision: Any, collection: Any) -> Row:
        row = Row(index=index, source=str(path), status="failed")
        try:
            writer = SealedWriter(services.plan_for(case))
            with path.open("rb") as handle:
                while chunk := handle.read(READ_SIZE):
                    writer.write(chunk)
                    self._progress(len(chunk))
            sealed = writer.finish()
            item = services.do_register_item(
                case=case,
                sealed=sealed,
                original_name=path.name,
                collection=collection,
                user=user,
                acting_as=acting_as(decision),
                channel="bulk",
            )
        except StorageUnavailable:
            row.reason = "evidence store unavailable"
        except OSError as exc:
            row.reason = f"cannot read file ({exc.strerror or type(exc).__name__})"
        except sealing.CryptoError as exc:
            row.reason = f"encryption failed ({type(exc).__name__})"
        else:
            row.status, row.item, row.sha256, row.size = "stored", item.display_name, item.sha256, item.size or 0
            row.duplicate_of = item.duplicate_of.display_name if item.duplicate_of else ""
            if row.duplicate_of:
                row.status = "duplicate"
        if row.status == "failed":
            services.do_record_upload_failure(
                case=case, user=user, acting_as=acting_as(decision), request=None, reason=row.reason, channel="bulk"
            )
        self._clear_bar()
        detail = row.reason if row.status == "failed" else f"{row.item} sha256={row.sha256} size={row.size}"
        if row.duplicate_of:
            detail += f" duplicate of {row.duplicate_of}"
        self.stderr.write(f"[{index}/{count}] {row.status.upper()} {detail}")
        return row

    def _progress(self, size: int) -> None:
        self._done += size
        filled = int(BAR_WIDTH * self._done / self._total)
        percent = 100 * self._done / self._total
        self.stderr.write(f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {percent:5.1f}%", ending="")
        self.stderr.flush()

    def _clear_bar(self) -> None:
        self.stderr.write("\r" + " " * (BAR_WIDTH + 10) + "\r", ending="")

    def _write_manifest(self, rows: list[Row], target: str, fmt: str) -> None:
        buffer = io.StringIO()
        if fmt == "json":
            json.dump([asdict(r) for r in rows], buffer, indent=2)
            buffer.write("\n")
        else:
            writer = csv.DictWriter(buffer, fieldnames=list(asdict(rows[0])))
            writer.writeheader()
            writer.writerows(asdict(r) for r in rows)
        if target == "-":
            out: TextIO = self.stdout  # type: ignore[assignment]
            out.write(buffer.getvalue())
            return
        # Created 0600 from the start, and never over an existing file: the manifest names source paths.
        try:
            fd = os.open(Path(target), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError as exc:
            raise CommandError(f"The manifest file already exists: {target}") from exc
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(buffer.getvalue())
