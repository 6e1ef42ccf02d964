"""What the navigation offers: links only to pages the policy lets the person open."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.services import is_verified
from teams.access import request_actor
from teams.policy import Perm, decide


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    verified = bool(user is not None and user.is_authenticated and is_verified(user))
    return {
        "nav_verified": verified,
        "nav_manage_accounts": verified and bool(decide(request_actor(request), Perm.ACCOUNTS_MANAGE)),
    }
