"""System checks for the evidence app's host requirements."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

from evidence.redaction.scratch import SHM, memory_scratch


@register(Tags.security)
def check_memory_scratch(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Redaction, previews and productions decrypt evidence into the memory scratch; without one
    they refuse to run, so a production host without it cannot do its work."""
    if not settings.PRODUCTION or memory_scratch() is not None:
        return []
    return [
        Error(
            f"No memory scratch directory: {SHM} is missing or not writable and CUSTODY_SCRATCH_DIR is not set.",
            hint="Mount a tmpfs and point CUSTODY_SCRATCH_DIR at it; decrypted evidence must never reach a disk.",
            id="custody.E004",
        )
    ]
