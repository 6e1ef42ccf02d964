"""Check a production package as its receiver would: bag, signature, Bates numbers, load files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from evidence.production.verify import UnusableInput, verify_package


class Command(BaseCommand):
    help = (
        "Verify a production package (its ZIP or the extracted bag directory): the bag is complete and every "
        "checksum matches, the tag manifest's signature is good, Bates numbers run without gaps over stamped "
        "pages, and the load files agree. Exit status 0 sound, 1 broken, 2 unusable input."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="The package ZIP or an extracted bag directory.")
        parser.add_argument("--key", help="An ASCII-armoured public key file to check the signature with.")
        parser.add_argument(
            "--fingerprint", action="append", default=[], help="Require a signature by this key (repeatable)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            key = Path(options["key"]).read_text(encoding="ascii") if options["key"] else None
            report = verify_package(options["path"], key=key, fingerprints=options["fingerprint"])
        except (UnusableInput, OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"unusable input: {exc}", returncode=2) from exc
        for check in report.checks:
            mark = self.style.SUCCESS("ok  ") if check.ok else self.style.ERROR("FAIL")
            self.stdout.write(f"{mark} {check.name}: {check.detail}")
        if report.fingerprint:
            self.stdout.write(f"signing key fingerprint: {report.fingerprint}")
        if not report.sound:
            raise CommandError(f"the production is broken: {report.first_problem}", returncode=1)
        self.stdout.write(self.style.SUCCESS(f"production {report.bag_name} is sound"))
