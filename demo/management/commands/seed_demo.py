from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo import seed


class Command(BaseCommand):
    help = "Create the fictional demonstration organisations, teams and accounts (safe to run repeatedly)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="Allow running in the production profile.")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION and not options["force"]:
            raise CommandError(
                "Refusing to create demonstration accounts with a published password in the production profile "
                "(use --force on a throwaway installation)."
            )
        seed.seed_all()
        self.stdout.write(self.style.SUCCESS("Demonstration data is in place."))
        self.stdout.write(f"Sign in with one of these usernames and the password: {seed.DEMO_PASSWORD}")
        for person in seed.PEOPLE:
            self.stdout.write(f"  {person.username:<20} {person.role.label}")
        self.stdout.write(
            "Then enter the two-factor code printed by:  python manage.py demo_totp USERNAME\n"
            "(each code works once; wait for the next one, every 30 seconds, to sign in again)."
        )
