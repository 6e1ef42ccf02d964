"""What in-app notices say, as message codes translated when a person reads them.

Notices are mostly written by background tasks (deadline reminders) or on someone else's request
(a withdrawal), where the reader's language is unknown: a notice stores a code and plain
parameters, and the page renders it in the reader's language. Parameters that are codes (a consent
action, a decision) are shown by their label, dates in the reader's format.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from typing import Any, Final

from django.utils import formats, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cases.models import ConsentAction, Decision

DEADLINE_REMINDER: Final = "deadline.reminder"
CONSENT_ENDED: Final = "consent.ended"
GRANT_SUSPENDED: Final = "grant.suspended"
GRANT_CONSENT_MISSING: Final = "grant.consent_missing"
GRANT_CONSENT_MISSING_ADDED: Final = "grant.consent_missing_added"
GRANT_CONSENT_WITHDRAWN: Final = "grant.consent_withdrawn"
GRANT_ACCESS_SUSPENDED: Final = "grant.access_suspended"
GRANT_EXPIRING: Final = "grant.expiring"
PRODUCTION_SUSPENDED: Final = "production.suspended"

MESSAGES: Final[Mapping[str, Promise]] = {
    DEADLINE_REMINDER: _("%(case)s: limitation deadline in %(days)d days (%(due)s): %(what)s"),
    CONSENT_ENDED: _("%(survivor)s: consent to “%(action)s” ended (%(decision)s); %(count)d use(s) suspended."),
    # No longer written; kept so that notices stored with this code still read in the reader's language.
    GRANT_SUSPENDED: _("A grant on this case was suspended: a survivor withdrew the consent it relied on."),
    GRANT_CONSENT_MISSING: _(
        "%(case)s: the grant to %(team)s for “%(purpose)s” was suspended: %(survivor)s, now linked to an item it "
        "covers, has not consented to “%(action)s”."
    ),
    GRANT_CONSENT_MISSING_ADDED: _(
        "%(case)s: the grant to %(team)s for “%(purpose)s” was suspended: %(survivor)s, added to the case since, has "
        "not consented to “%(action)s”. Make a new grant once the consent is recorded."
    ),
    GRANT_CONSENT_WITHDRAWN: _(
        "%(case)s: the grant to %(team)s for “%(purpose)s” was suspended: %(survivor)s no longer consents to "
        "“%(action)s”."
    ),
    # For the grantees: which survivor, and what they did not consent to, stays with the owning organisation.
    GRANT_ACCESS_SUSPENDED: _(
        "Your access to case %(case)s for “%(purpose)s” was suspended; the organisation that owns the case has "
        "been told why."
    ),
    GRANT_EXPIRING: _("Access to case %(case)s granted for “%(purpose)s” ends on %(date)s."),
    PRODUCTION_SUSPENDED: _(
        "%(case)s: downloads of court production %(production)s were stopped: %(survivor)s, now linked to an item "
        "it holds, has not consented to “%(action)s”. A coalition lead can resume them once the consent is recorded."
    ),
}


def _date(value: Any) -> str:
    try:
        return str(formats.date_format(datetime.date.fromisoformat(str(value)), "DATE_FORMAT"))
    except ValueError:
        return str(value)


def _choice(choices: Any) -> Callable[[Any], str]:
    labels = dict(choices.choices)
    return lambda value: str(labels.get(value, value))


SHOWN_AS: Final[Mapping[str, Callable[[Any], str]]] = {
    "due": _date,
    "date": _date,
    "action": _choice(ConsentAction),
    "decision": _choice(Decision),
}


def notice_text(code: str, params: Mapping[str, Any], *, fallback: str) -> str:
    """The notice ``code`` in the active language; ``fallback`` for no code, an unknown one or bad parameters."""
    template = MESSAGES.get(code)
    if template is None:
        return fallback
    shown = {name: SHOWN_AS[name](value) if name in SHOWN_AS else value for name, value in params.items()}
    try:
        return str(template) % shown
    except (KeyError, TypeError, ValueError):
        return fallback


def english_text(code: str, params: Mapping[str, Any]) -> str:
    """The notice as stored in ``Notification.message``: English, whatever the writer's language."""
    with translation.override("en"):
        return notice_text(code, params, fallback=code)
