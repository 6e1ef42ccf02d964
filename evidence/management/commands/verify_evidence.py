"""Re-check every stored evidence object against its recorded hashes."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from evidence.integrity import do_sweep, do_verify_item
from evidence.models import EvidenceItem


class Command(BaseCommand):
    help = "Verify stored evidence: every segment, the content SHA-256 and the stored object's SHA-256."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--item", type=int, action="append", help="Only these item ids (repeatable).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["item"]:
            failed = [pk for pk in options["item"] if not self._one(pk)]
            checked = len(options["item"])
        else:
            result = do_sweep()
            failed, checked = result.failed, result.checked
        self.stdout.write(f"checked {checked}, failed {len(failed)}")
        if failed:
            raise CommandError(f"integrity failure on item(s): {', '.join(map(str, failed))}")

    def _one(self, pk: int) -> bool:
        item = EvidenceItem.objects.select_related("case", "duplicate_of").filter(pk=pk).first()
        if item is None:
            raise CommandError(f"no item {pk}")
        return do_verify_item(item=item, channel="command")
