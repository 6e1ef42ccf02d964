"""Recover a sealed survivor identity or MHPSS note with a coalition recovery key (offline).

Needs the database (or a restored backup) and a GnuPG home holding a recovery private key; the
server's key-encryption keys are not used. The plaintext goes to a new file readable by its owner
only (JSON for an identity, text for a note), never to the terminal.
"""

from __future__ import annotations

import getpass
import json
import os
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cases.recovery import RecoveryRefused, do_recover_identity, do_recover_note


class Command(BaseCommand):
    help = "Open a sealed survivor identity or MHPSS note with its escrow copy and a recovery private key."

    def add_arguments(self, parser: ArgumentParser) -> None:
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--identity", type=int, metavar="SURVIVOR_ID", help="The survivor whose identity to open.")
        target.add_argument("--note", type=int, metavar="NOTE_ID", help="The MHPSS note to open.")
        parser.add_argument("--gnupg-home", required=True, type=Path, help="GnuPG home with a recovery private key.")
        parser.add_argument("--out", required=True, type=Path, help="Where to write the plaintext (must not exist).")
        parser.add_argument("--reason", required=True, help="Why the value is recovered (written to the audit log).")
        parser.add_argument("--ask-passphrase", action="store_true", help="Prompt for the recovery key's passphrase.")

    def handle(self, *args: Any, **options: Any) -> None:
        out: Path = options["out"]
        if not options["reason"].strip():
            raise CommandError("A reason is required.")
        passphrase = getpass.getpass("Recovery key passphrase: ") if options["ask_passphrase"] else None
        common = {"gnupg_home": options["gnupg_home"], "reason": options["reason"].strip(), "passphrase": passphrase}
        try:
            if options["identity"] is not None:
                text = json.dumps(do_recover_identity(survivor_id=options["identity"], **common), ensure_ascii=False)
            else:
                text = do_recover_note(note_id=options["note"], **common)
        except RecoveryRefused as error:
            raise CommandError(f"Recovery failed, nothing written: {error}") from None
        try:
            fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise CommandError(f"{out} exists; choose a new file.") from None
        except OSError as error:
            raise CommandError(str(error)) from None
        with os.fdopen(fd, "w", encoding="utf-8") as destination:
            destination.write(text)
        self.stdout.write(f"Recovered into {out} (readable by its owner only).")
