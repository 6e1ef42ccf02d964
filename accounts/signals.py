"""Session bookkeeping on sign-in and sign-out (audit events are written by the views)."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest

from accounts import services

SESSION_STARTED: str = "_custody_started"
SESSION_SEEN: str = "_custody_seen"


@receiver(user_logged_in, dispatch_uid="custody-session-started")
def _session_started(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    now = time.time()
    request.session[SESSION_STARTED] = now
    request.session[SESSION_SEEN] = now
    if request.session.session_key is None:
        request.session.save()
    services.remember_session(user=user, session_key=str(request.session.session_key))


@receiver(user_logged_out, dispatch_uid="custody-session-ended")
def _session_ended(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None:
        services.forget_session(session_key=request.session.session_key)
