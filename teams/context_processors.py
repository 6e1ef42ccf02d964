"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.services import is_verified
from audit.selectors import open_alerts
from teams.access import request_actor
from teams.policy import Perm, decide

MAX_SHOWN = 5


def integrity_alerts(request: HttpRequest) -> dict[str, Any]:
    """Open integrity alerts (broken audit chain, failed evidence sweep) for the people who must act."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if not decide(request_actor(request), Perm.AUDIT_ALERTS_VIEW):
        return {}
    return {"integrity_alerts": list(open_alerts()[:MAX_SHOWN])}


def navigation(request: HttpRequest) -> dict[str, Any]:
    """What the navigation offers: links only to pages the policy lets the person open."""
    user = getattr(request, "user", None)
    verified = bool(user is not None and user.is_authenticated and is_verified(user))
    return {
        "nav_verified": verified,
        "nav_manage_accounts": verified and bool(decide(request_actor(request), Perm.ACCOUNTS_MANAGE)),
    }
