"""Recover one stored object with a coalition recovery key, without the server's key-encryption keys.

Runs offline: it needs the object's escrow message (exported from the item's record), the encrypted
object itself, the item's binding/context, and a GnuPG home holding a recovery private key.
"""

from __future__ import annotations

import getpass
import os
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from vault.crypto import CryptoError, recover_content


class Command(BaseCommand):
    help = "Decrypt and verify a stored object with an escrowed data key and a recovery private key."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--escrow", required=True, type=Path, help="File with the binary escrow message.")
        parser.add_argument("--object", required=True, type=Path, help="The encrypted object as stored.")
        parser.add_argument("--binding", required=True, help="The object's binding, e.g. evidence:<uuid>.")
        parser.add_argument("--context", help="The escrow context (defaults to the binding).")
        parser.add_argument("--gnupg-home", required=True, type=Path, help="GnuPG home with a recovery private key.")
        parser.add_argument("--out", required=True, type=Path, help="Where to write the plaintext (must not exist).")
        parser.add_argument("--sha256", help="Expected plaintext SHA-256 (hex), as recorded for the item.")
        parser.add_argument("--ask-passphrase", action="store_true", help="Prompt for the recovery key's passphrase.")

    def handle(self, *args: Any, **options: Any) -> None:
        out: Path = options["out"]
        passphrase = getpass.getpass("Recovery key passphrase: ") if options["ask_passphrase"] else None
        try:
            escrowed = options["escrow"].read_bytes()
            fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise CommandError(f"{out} exists; choose a new file.") from None
        except OSError as error:
            raise CommandError(str(error)) from None
        try:
            with os.fdopen(fd, "wb") as destination, options["object"].open("rb") as source:
                digests = recover_content(
                    escrowed,
                    source,
                    destination,
                    context=options["context"] or options["binding"],
                    binding=options["binding"],
                    gnupg_home=options["gnupg_home"],
                    passphrase=passphrase,
                )
        except (CryptoError, OSError) as error:
            out.unlink(missing_ok=True)
            raise CommandError(f"Recovery failed, nothing kept: {type(error).__name__}: {error}") from None
        expected = options["sha256"]
        if expected and expected.lower() != digests.plaintext_sha256:
            out.unlink(missing_ok=True)
            raise CommandError("The recovered content does not match the recorded SHA-256; nothing kept.")
        self.stdout.write(f"Recovered {digests.plaintext_size} bytes, SHA-256 {digests.plaintext_sha256}")
