"""Labels for case codes held outside a model field's choices (lists, audit details, dependency kinds)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from django import template
from django.utils.translation import pgettext_lazy

from cases.models import ConsentAction, GrantRight

register = template.Library()

# Dependency kinds are registered by the apps that rest on a consent (cases never imports them).
DEPENDENCY_KINDS: Final = {
    "sharing.grant": pgettext_lazy("consent dependency", "Grant"),
    "evidence.production": pgettext_lazy("consent dependency", "Court production"),
}


@register.filter
def grant_rights(rights: Iterable[str] | None) -> str:
    """A grant's rights by name, in the reader's language, comma-separated."""
    labels = dict(GrantRight.choices)
    return ", ".join(str(labels.get(right, right)) for right in rights or ())


@register.filter
def consent_action(value: Any) -> str:
    return str(dict(ConsentAction.choices).get(value, value or ""))


@register.filter
def dependency_kind(value: Any) -> str:
    return str(DEPENDENCY_KINDS.get(value, value or ""))
