"""Rotate a key-encryption key: new KEK version, then re-wrap every data key of the scope."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from evidence import sealing
from evidence.services import do_rotate_scope


class Command(BaseCommand):
    help = "Make a new version of a KEK current and re-wrap its data keys (content is not re-encrypted)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scope", required=True, help="Key scope, e.g. org:host-counsel-cf")
        parser.add_argument("--rewrap-only", action="store_true", help="Do not create a new version first.")

    def handle(self, *args: Any, **options: Any) -> None:
        scope = options["scope"]
        try:
            if not options["rewrap_only"]:
                sealing.rotate(scope)
            count = do_rotate_scope(kek_scope=scope)
        except sealing.CryptoError as exc:
            raise CommandError(f"rotation failed: {type(exc).__name__}") from exc
        self.stdout.write(f"re-wrapped {count} data key(s) of {scope}")
