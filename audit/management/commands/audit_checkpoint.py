"""Sign a checkpoint of the audit chain's current head now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from audit.checkpoints import do_make_checkpoint


class Command(BaseCommand):
    help = "Sign the audit chain's current head with the audit key and store the checkpoint."

    def handle(self, *args: Any, **options: Any) -> None:
        checkpoint = do_make_checkpoint()
        if checkpoint is None:
            self.stdout.write("The audit log is empty: nothing to sign.")
            return
        self.stdout.write(
            f"Checkpoint #{checkpoint.seq} head {checkpoint.head_hash} key {checkpoint.key_fingerprint} "
            f"stored as {checkpoint.statement_key}"
        )
