"""Labels for team codes stored as plain values (e.g. the role copied into an audit event)."""

from __future__ import annotations

from typing import Any

from django import template

from teams.models import Role

register = template.Library()


@register.filter
def role_label(value: Any) -> str:
    """A role's name in the reader's language; an unknown or empty value as it is."""
    return str(dict(Role.choices).get(value, value or ""))
