"""System checks for misconfigurations that settings parsing alone cannot catch."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import connections


@register(Tags.database)
def check_database(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    config = connections["default"].settings_dict
    if config["ENGINE"] == "django.db.backends.sqlite3":
        if settings.PRODUCTION:
            messages.append(Error("The production profile cannot run on SQLite.", id="custody.E001"))
        if config.get("OPTIONS", {}).get("transaction_mode") != "IMMEDIATE":
            messages.append(
                Warning(
                    "SQLite without transaction_mode=IMMEDIATE: concurrent audit writers may fail with "
                    "'database is locked'.",
                    id="custody.W001",
                )
            )
    return messages


@register(Tags.security, deploy=True)
def check_production_services(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    if not settings.PRODUCTION:
        return messages
    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        messages.append(Error("Celery runs tasks in the web process in production.", id="custody.E002"))
    for name in ("default", "evidence", "audit"):
        backend = settings.STORAGES[name]["BACKEND"]
        if not backend.startswith("storages.backends.s3"):
            messages.append(Error(f"Storage '{name}' must be S3 in production (found {backend}).", id="custody.E003"))
    return messages
