"""Texts about a production stored as a message and its parameters, shown in each reader's language.

A build runs in a worker whose language is nobody's, and one production page is read by people of
several languages: a build's failure and each item's reason are stored as an English message id
with plain parameters (``Stored``), beside the English text the audit log and older rows keep, and
translated when a page shows them. Parameters that are codes (a consent action, a consent state) are
shown by their label; a parameter that is itself a stored text (an engine error inside a failure) is
rendered the same way. Message ids are marked with ``gettext_noop`` where they are written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cases.consent import State
from cases.models import ConsentAction

Stored = dict[str, Any]

# The labels the case pages show for a consent state (cases/templates/cases/_state.html).
CONSENT_STATES: Final[Mapping[str, Any]] = {
    State.NONE: _("none"),
    State.GRANTED: _("granted"),
    State.CONDITIONAL: _("granted with conditions"),
    State.REFUSED: _("refused"),
    State.EXPIRED: _("expired"),
    State.WITHDRAWN: _("withdrawn"),
    State.INCOMPLETE: _("incomplete: guardian consent and child assent needed"),
}


def _label(choices: Mapping[str, Any]) -> Callable[[Any], str]:
    return lambda value: str(choices.get(value, value))


SHOWN_AS: Final[Mapping[str, Callable[[Any], str]]] = {
    "action": _label(dict(ConsentAction.choices)),
    "state": _label(CONSENT_STATES),
}


def deferred(msgid: str, **params: Any) -> Stored:
    """A text to translate when read: ``msgid`` (marked with gettext_noop) and JSON-safe parameters."""
    return {"msgid": msgid, "params": params}


def render(stored: Mapping[str, Any] | None, *, fallback: str) -> str:
    """The text in the active language; ``fallback`` (the stored English) when there is none or it does not fit."""
    if not stored or not isinstance(stored.get("msgid"), str):
        return fallback
    params = stored.get("params") or {}
    shown = {name: _shown(name, value) for name, value in params.items()}
    try:
        return gettext(stored["msgid"]) % shown if shown else gettext(stored["msgid"])
    except (KeyError, TypeError, ValueError):
        return fallback


def _shown(name: str, value: Any) -> Any:
    if isinstance(value, Mapping) and "msgid" in value:
        return render(value, fallback=str(value.get("msgid")))
    return SHOWN_AS[name](value) if name in SHOWN_AS else value


def english(stored: Stored) -> str:
    """The text as the audit log and the ``failure``/``reason`` columns keep it: English."""
    with translation.override("en"):
        return render(stored, fallback=str(stored.get("msgid", "")))
