"""Walk the audit chain and its signed checkpoints; exit 0 when sound, 1 at the first break."""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from audit.integrity import VerificationFailed, do_verify_chain


class Command(BaseCommand):
    help = "Verify the audit chain and its signed checkpoints; report the first broken event."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--workers", type=int, default=1, help="processes walking ranges of the chain in parallel (default 1)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        try:
            report = do_verify_chain(username="verify_audit", workers=max(1, options["workers"]))
        except VerificationFailed as error:
            self.stderr.write(f"NOT VERIFIED: {error}")
            sys.exit(1)
        elapsed = time.perf_counter() - started
        finding = report.finding
        if finding is None:
            self.stdout.write(
                f"OK: {report.events} events (head #{report.head_seq}), "
                f"{report.checkpoints} signed checkpoints verified in {elapsed:.1f} s ({report.walk} walk)."
            )
            return
        where = f" at event #{finding.seq}" if finding.seq else ""
        self.stderr.write(f"BROKEN ({finding.kind.value}){where}: {finding.message}")
        sys.exit(1)
