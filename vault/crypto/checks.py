"""System checks for the key providers and escrow: fail at start-up, not at the first upload."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import gnupg
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register


@register(Tags.security)
def check_key_directory(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if settings.CUSTODY_KEY_PROVIDER != "local":
        return []
    directory = Path(settings.CUSTODY_KEY_DIR)
    if directory.exists() and stat.S_IMODE(directory.stat().st_mode) & (stat.S_IRWXG | stat.S_IRWXO):
        return [
            Error(
                f"The key directory {directory} is accessible to group or others.",
                hint=f"chmod 700 {directory}",
                id="custody.crypto.E001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_production_provider(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if settings.PRODUCTION and settings.CUSTODY_KEY_PROVIDER == "local":
        return [
            Warning(
                "The production profile keeps key-encryption keys in local files.",
                hint="Set CUSTODY_KEY_PROVIDER=kms, or keep CUSTODY_KEY_DIR on its own encrypted volume, "
                "out of the backups of the database and objects.",
                id="custody.crypto.W001",
            )
        ]
    return []


@register(Tags.security)
def check_escrow_keys(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    fingerprints = settings.CUSTODY_ESCROW_FINGERPRINTS
    if not fingerprints:
        return []
    home = Path(settings.CUSTODY_GNUPG_HOME)
    if not home.is_dir():
        return [
            Error(
                f"CUSTODY_GNUPG_HOME {home} does not exist; escrow needs the recovery keys.", id="custody.crypto.E002"
            )
        ]
    known = {key["fingerprint"].upper() for key in gnupg.GPG(gnupghome=str(home)).list_keys()}
    messages: list[CheckMessage] = []
    for fingerprint in fingerprints:
        if len(fingerprint) not in (40, 64) or fingerprint not in known:
            messages.append(
                Error(
                    f"Escrow recovery key {fingerprint} is not a full fingerprint of a public key in {home}.",
                    hint="Import the coalition's recovery public keys with gpg --homedir ... --import.",
                    id="custody.crypto.E003",
                )
            )
    return messages
