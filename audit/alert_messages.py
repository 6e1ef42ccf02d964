"""What integrity alerts say, as message codes translated when a person reads them.

Alerts are raised by background work (the nightly sweeps), where no reader's language is known:
they store a code and plain parameters, and the banner renders them in the reader's language.
Like ``audit.actions``, this is one closed vocabulary for every app, since ``audit`` imports none.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

EVIDENCE_INTEGRITY: Final = "evidence.integrity_failed"
AUDIT_CHAIN_BROKEN: Final = "audit.chain_broken"
AUDIT_TABLE_ALTERED: Final = "audit.table_altered"
AUDIT_UNVERIFIED: Final = "audit.unverified"

MESSAGES: Final[Mapping[str, Promise]] = {
    EVIDENCE_INTEGRITY: _("Evidence item %(item)s failed an integrity check (%(reason)s)."),
    AUDIT_CHAIN_BROKEN: _("The audit chain is broken at event #%(seq)s (%(kind)s). Run verify_audit for details."),
    AUDIT_TABLE_ALTERED: _("The audit table's definition was altered. Run verify_audit for details."),
    AUDIT_UNVERIFIED: _("The audit chain could not be verified (%(error)s). Run verify_audit for details."),
}

# Parameters that are themselves codes: shown by their label, or as they are when unknown.
LABELS: Final[Mapping[str, Mapping[str, Promise]]] = {
    "reason": {
        "content hash mismatch": _("the content does not match its recorded hash"),
        "no stored object": _("the stored object is missing"),
        "object unreadable": _("the stored object cannot be read"),
        "no data key": _("its data key is missing"),
        "data key cannot be unwrapped": _("its data key cannot be unwrapped"),
        "FormatError": _("the stored object is not in the vault's encrypted format"),
        "TamperedHeaderError": _("the encrypted header was altered"),
        "TamperedSegmentError": _("the encrypted content was altered"),
        "TruncatedError": _("the encrypted content is cut short"),
        "TrailingDataError": _("data follows the end of the encrypted content"),
        "WrongKeyError": _("the data key does not open it"),
    },
    "kind": {
        "edited": _("an event was edited"),
        "deleted": _("an event was deleted"),
        "inserted": _("an event was inserted"),
        "reordered": _("events were reordered"),
        "checkpoint": _("a signed checkpoint does not match"),
        "altered": _("the audit table's definition was altered"),
    },
}


def alert_text(code: str, params: Mapping[str, Any], *, fallback: str) -> str:
    """The message of ``code`` in the active language; ``fallback`` for no code, an unknown one or bad parameters."""
    template = MESSAGES.get(code)
    if template is None:
        return fallback
    shown = {name: str(LABELS.get(name, {}).get(str(value), value)) for name, value in params.items()}
    try:
        return str(template) % shown
    except (KeyError, TypeError, ValueError):
        return fallback
