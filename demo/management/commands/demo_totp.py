from __future__ import annotations

import base64
import time
from binascii import unhexlify
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from demo import seed


class Command(BaseCommand):
    help = "Print the current two-factor code of a demonstration account."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--force", action="store_true", help="Allow running in the production profile.")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION and not options["force"]:
            raise CommandError("Demonstration codes are not available in the production profile.")
        device = TOTPDevice.objects.filter(
            user__username=options["username"], name=seed.DEMO_DEVICE_NAME, confirmed=True
        ).first()
        if device is None:
            raise CommandError(f"{options['username']} is not a demonstration account (run seed_demo first).")
        totp = TOTP(unhexlify(device.key), device.step, device.t0, device.digits, device.drift)
        now = time.time()
        totp.time = now
        remaining = int(device.step - (now - device.t0) % device.step)
        self.stdout.write(f"{totp.token():0{device.digits}d}")
        secret = base64.b32encode(unhexlify(device.key)).decode("ascii")
        self.stderr.write(f"valid for {remaining} more seconds; authenticator secret: {secret}")
