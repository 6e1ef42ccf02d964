"""Print or write the public key that signs audit checkpoints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from audit import signing


class Command(BaseCommand):
    help = "Export the ASCII-armored public key of the audit checkpoint signing key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("output", nargs="?", help="file to write (default: standard output)")

    def handle(self, *args: Any, **options: Any) -> None:
        key = signing.public_key()
        if options["output"]:
            Path(options["output"]).write_text(key, encoding="ascii")
            self.stdout.write(f"Wrote the key {signing.fingerprint()} to {options['output']}")
            return
        self.stdout.write(key, ending="")
