"""Periodic work for cases."""

from __future__ import annotations

from django.utils import timezone

from cases.services import do_send_deadline_reminders
from cases.sharing import do_expire_grants, do_warn_expiring_grants
from vault.tasks import vault_task


@vault_task("cases.send_deadline_reminders", time_limit=300)
def send_deadline_reminders() -> int:
    """Daily: notify case teams of limitation deadlines inside their reminder window (once per day each)."""
    return do_send_deadline_reminders(today=timezone.localdate())


@vault_task("sharing.expire_grants", time_limit=300)
def expire_grants() -> dict[str, int]:
    """Daily: end grants past their expiry and warn of those ending within a week (each once)."""
    return {"expired": do_expire_grants(), "warned": do_warn_expiring_grants()}
