"""A separate process appending audit events through its own database connection."""

from __future__ import annotations

import os


def write_events(environment: dict[str, str], writer: int, count: int) -> None:
    """Set up Django from ``environment`` (e.g. DATABASE_URL) and append ``count`` events."""
    os.environ.update(environment)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vault.settings")
    import django

    django.setup()
    from audit.actions import Action
    from audit.services import Target, record

    for index in range(count):
        record(action=Action.LOGIN, username=f"process-{writer}", targets=[Target("writer", f"{writer}-{index}")])
