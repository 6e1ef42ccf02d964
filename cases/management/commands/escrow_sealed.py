"""Escrow the sealed identities and MHPSS notes written before escrow recovery keys were configured."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cases.recovery import do_escrow_missing
from vault import crypto


class Command(BaseCommand):
    help = "Store the escrow copy of every sealed identity and MHPSS note key that has none yet."

    def handle(self, *args: Any, **options: Any) -> None:
        if not crypto.escrow_enabled():
            raise CommandError("Escrow is off: set CUSTODY_ESCROW_FINGERPRINTS first.")
        self.stdout.write(f"Escrowed {do_escrow_missing()} sealed value(s).")
