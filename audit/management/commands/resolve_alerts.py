"""Close the open integrity alerts of one kind once the cause has been investigated."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from audit.actions import Action
from audit.alerts import resolve_alerts
from audit.services import record


class Command(BaseCommand):
    help = "Resolve the open integrity alerts of a kind (e.g. audit.chain), recording who and why."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", help="alert kind, e.g. audit.chain")
        parser.add_argument("--by", required=True, help="operator name, recorded in the audit log")
        parser.add_argument("--reason", required=True, help="what was found and done")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["reason"].strip():
            raise CommandError("A reason is required.")
        with transaction.atomic():
            count = resolve_alerts(kind=options["kind"])
            record(
                action=Action.ALERT_RESOLVED,
                username=options["by"],
                purpose=options["reason"],
                details={"kind": options["kind"], "resolved": count},
            )
        self.stdout.write(f"Resolved {count} open alert(s) of kind {options['kind']}.")
