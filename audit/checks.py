"""System checks for the audit app."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import connections

from audit import walker


@register(Tags.database)
def check_compiled_walker(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """verify_audit walks a million events in seconds with the compiled walker and several times slower
    without it; a vault told to require it (CUSTODY_AUDIT_WALKER=compiled) must have it."""
    if settings.CUSTODY_AUDIT_WALKER == "python":
        return []
    reason = walker.unavailable_reason(connections["default"].vendor)
    if reason is None:
        return []
    message = f"The compiled audit chain walker cannot run: {reason}."
    hint = "Install it with `pip install ./native/chainwalk` (needs a C compiler and the Python headers)."
    if settings.CUSTODY_AUDIT_WALKER == "compiled":
        return [Error(message, hint=hint, id="custody.E005")]
    return [Warning(message, hint=f"{hint} Until then verify_audit uses the slower Python walk.", id="custody.W002")]


@register(Tags.database)
def check_audit_time_zone(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The walks read SQLite's stored times as UTC, which is what Django writes only with USE_TZ and
    no other database time zone: otherwise a time moved by the offset would read like the original."""
    zones = {alias: config.get("TIME_ZONE") for alias, config in settings.DATABASES.items()}
    if settings.USE_TZ and all(zone in (None, "UTC") for zone in zones.values()):
        return []
    return [
        Error(
            "The audit chain needs times stored in UTC: USE_TZ must be on and no database may set TIME_ZONE.",
            id="custody.E006",
        )
    ]
