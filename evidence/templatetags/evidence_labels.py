"""Labels for evidence codes stored as plain strings (redaction categories, integrity failure reasons)."""

from __future__ import annotations

from typing import Any, Final

from django import template
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from audit.alert_messages import LABELS

register = template.Library()

# Categories of identifiers (cases.identifiers, manage.py redact), of patterns the engine looks for,
# and of the checks that stop a release. Unknown ones (an engine error's name) are shown as they are.
REDACTION_CATEGORIES: Final = {
    "legal_name": _("legal name"),
    "alias": _("alias"),
    "contact": pgettext_lazy("identifier category", "contact details"),
    "address": _("address"),
    "id_number": _("ID number"),
    "relative": _("relative"),
    "date_of_birth": _("date of birth"),
    "place": _("place"),
    "identifier": _("identifier"),
    "manual": _("added by hand"),
    "phone": _("phone number"),
    "email": _("e-mail address"),
    "gps": _("GPS coordinates"),
    "date": _("date"),
    "id_like": _("ID-like number"),
    "metadata": _("file metadata"),
    "structure": _("document structure"),
    "unverified": _("content that could not be verified"),
    "proposal_changed": _("the proposal changed after approval"),
    # Why a job failed without a leak: refusals judged when the release ran, and engine errors by name.
    "approver_not_allowed": _("the approver may no longer approve"),
    "consent": _("a survivor's consent is missing"),
    "ManualReviewRequired": _("a page needs review by hand (OCR not available)"),
    "UnsupportedFormat": _("file format not supported"),
    "RedactionError": _("the document could not be redacted"),
    "LeakDetected": _("an identifier was still found in the copy"),
    "IntegrityFailure": _("the original failed its integrity check"),
    "IdentifiersRefused": _("the survivors' identifiers could not be opened"),
    "SealedValueUnavailable": _("a term added by hand could not be opened"),
}


@register.filter
def redaction_category(value: Any) -> str:
    return str(REDACTION_CATEGORIES.get(value, value or ""))


@register.filter
def redaction_detail(value: Any) -> str:
    """A failure's detail, stored as the task wrote it (English): shown in the reader's language when it
    is one of the product's fixed messages (a refusal's reason, an engine error), else as it is."""
    return gettext(str(value)) if value else ""


@register.filter
def integrity_reason(value: Any) -> str:
    return str(LABELS["reason"].get(value, value or ""))
