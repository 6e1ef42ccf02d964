"""Write the custody report of one item: ``manage.py custody_report ITEM_ID OUT.pdf [--json OUT.json]``."""

from __future__ import annotations

import os
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.checkpoints import do_make_checkpoint
from evidence.custody_report import do_generate_report, render_json
from evidence.models import EvidenceItem

# Command-line reports are recorded under this name: there is no signed-in user at a shell.
OPERATOR: str = "manage.py custody_report"


def _write_private(path: Path, content: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)


class Command(BaseCommand):
    help = "Write the custody report (PDF, and optionally JSON) of one evidence item. The generation is audited."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("item_id", type=int)
        parser.add_argument("out_pdf", type=Path)
        parser.add_argument("--json", dest="out_json", type=Path, default=None)
        parser.add_argument(
            "--checkpoint",
            action="store_true",
            help="Sign a checkpoint of the audit log first, so the report cites one covering every event before it.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        item_id: int = options["item_id"]
        if not EvidenceItem.objects.filter(pk=item_id).exists():
            raise CommandError(f"No evidence item {item_id}.")
        if options["checkpoint"]:
            do_make_checkpoint()
        payload = do_generate_report(item_id=item_id, username=OPERATOR, fmt="pdf")
        _write_private(options["out_pdf"], payload.content)
        if options["out_json"] is not None:
            _write_private(options["out_json"], render_json(payload.report))
        self.stdout.write(f"Custody report of item {item_id} as of audit event {payload.as_of_seq} written.")
