"""TOTP codes for tests: real devices with known secrets, codes computed as an authenticator app would."""

from __future__ import annotations

import time
from binascii import unhexlify

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User

KNOWN_KEY = "3132333435363738393031323334353637383930"  # RFC 6238 test secret


def ensure_totp_device(user: User, key: str = KNOWN_KEY) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", key=key, confirmed=True)
    return device


def code_for(key: str, *, at: float | None = None, step_offset: int = 0) -> str:
    totp = TOTP(unhexlify(key), step=30, t0=0, digits=6)
    totp.time = (time.time() if at is None else at) + step_offset * 30
    return f"{totp.token():06d}"


def fresh_code(device: TOTPDevice) -> str:
    """A code the device has not accepted yet: the current one, or the next step if the current one was used."""
    device.refresh_from_db()
    now_t = int(time.time() // 30)
    offset = 1 if device.last_t >= now_t else 0
    return code_for(device.key, step_offset=offset)
