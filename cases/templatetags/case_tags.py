"""The cases panel of the dashboard: ``{% load case_tags %}{% cases_panel %}``."""

from __future__ import annotations

from typing import Any

from django import template

from cases import selectors
from cases.access import listed_cases
from cases.models import Notification

register = template.Library()


@register.inclusion_tag("cases/_dashboard_panel.html", takes_context=True)
def cases_panel(context: dict[str, Any]) -> dict[str, Any]:
    request = context["request"]
    cases = listed_cases(request, limit=50)
    unread = Notification.objects.filter(user_id=int(request.user.pk or 0))[:5]
    return {"cases": [(c, selectors.current_status(c)) for c in cases], "notifications": unread}
