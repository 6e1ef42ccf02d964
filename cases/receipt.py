"""The consent receipt: a printable PDF for the survivor, in their language.

It names the survivor by pseudonym code. The legal name appears only when an
identity custodian chose to print it, and that choice is recorded as a reveal.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from audit.actions import Action
from audit.services import ActingAs, UserLike, record
from cases.consent import survivor_target
from cases.models import ConsentAction, ReceiptLanguage, Survivor
from cases.selectors import MatrixRow, receipt_rows
from cases.survivors import authorise_reveal, do_reveal_identity


@dataclass(frozen=True, slots=True)
class ReceiptContact:
    """Who the survivor turns to: the team and person on the case, never the survivor's own details."""

    organisation: str
    team: str
    person: str
    details: str = ""


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _action_text(action: str) -> str:
    """A consent action's name on the receipt, which speaks to the survivor."""
    if action == ConsentAction.CONTACT:
        return pgettext("consent receipt, addressed to the survivor", "Contact the survivor")
    return str(ConsentAction(action).label)


def _row_text(row: MatrixRow) -> str:
    text = _action_text(row.action)
    if row.target:
        text += f" — {row.target}"
    return text


def _agreed_table(rows: list[MatrixRow], style: ParagraphStyle) -> Flowable | Paragraph:
    if not rows:
        return Paragraph(_esc(_("Nothing.")), style)
    data = [[_("What"), _("Conditions"), _("Valid until")]]
    for row in rows:
        assert row.current is not None
        until = row.current.expires_on.isoformat() if row.current.expires_on else _("until you withdraw it")
        data.append([_row_text(row), row.current.conditions or "—", until])
    cells = [[Paragraph(_esc(str(c)), style) for c in line] for line in data]
    table = Table(cells, colWidths=[80 * mm, 55 * mm, 35 * mm])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _refused_list(rows: list[MatrixRow], style: ParagraphStyle) -> list[Flowable]:
    if not rows:
        return [Paragraph(_esc(_("Nothing.")), style)]
    return [Paragraph("• " + _esc(_row_text(r)), style) for r in rows]


def render_receipt(
    *,
    survivor: Survivor,
    language: str,
    contact: ReceiptContact,
    printed_on: datetime.date,
    legal_name: str = "",
) -> bytes:
    """The receipt as PDF bytes, written in ``language`` (en, fr or es)."""
    agreed, refused = receipt_rows(survivor)
    buffer = io.BytesIO()
    with translation.override(language):
        styles = getSampleStyleSheet()
        body, heading = styles["BodyText"], styles["Heading2"]
        title = _("Consent receipt")
        doc = SimpleDocTemplate(
            buffer, pagesize=A4, title=title, author=contact.organisation, subject=survivor.code, creator="Custody"
        )
        who = legal_name or survivor.code
        story: list[Flowable] = [
            Paragraph(_esc(title), styles["Title"]),
            Paragraph(_esc(_("For: %(who)s") % {"who": who}), body),
            Paragraph(_esc(_("Printed on %(date)s") % {"date": printed_on.isoformat()}), body),
            Spacer(1, 4 * mm),
            Paragraph(_esc(_("You agreed to")), heading),
            _agreed_table(agreed, body),
            Paragraph(_esc(_("You did not agree to, or withdrew")), heading),
            *_refused_list(refused, body),
            Paragraph(_esc(_("How to withdraw")), heading),
            Paragraph(
                _esc(
                    _(
                        "You can withdraw any of these consents at any time, without giving a reason, by telling "
                        "the team below, in person or through someone you trust. Withdrawal takes effect at once: "
                        "nothing more will be shared on the basis of that consent."
                    )
                ),
                body,
            ),
            Paragraph(_esc(_("Who to contact")), heading),
            Paragraph(_esc(f"{contact.person} — {contact.team} — {contact.organisation}"), body),
        ]
        if contact.details:
            story.append(Paragraph(_esc(contact.details), body))
        story.append(Spacer(1, 6 * mm))
        story.append(Paragraph(_esc(_("Keep this receipt somewhere safe.")), body))
        doc.build(story)
    return buffer.getvalue()


def do_print_receipt(
    *,
    survivor: Survivor,
    user: UserLike,
    contact: ReceiptContact,
    language: str = "",
    include_name_for_purpose: str = "",
    acting_as: ActingAs | None = None,
    request: HttpRequest | None = None,
) -> bytes:
    """Render and record the printing of a receipt.

    With ``include_name_for_purpose`` the legal name is printed: only for an identity
    custodian, and recorded as a reveal with that purpose.
    """
    language = language or survivor.preferred_language
    if language not in ReceiptLanguage.values:
        language = ReceiptLanguage.EN
    legal_name = ""
    with transaction.atomic():
        if include_name_for_purpose:
            authorisation = authorise_reveal(survivor=survivor, user=user, purpose=include_name_for_purpose)
            identity = do_reveal_identity(
                survivor=survivor,
                authorisation=authorisation,
                user=user,
                acting_as=acting_as,
                request=request,
                channel="receipt",
            )
            legal_name = identity.legal_name
        record(
            action=Action.CONSENT_RECEIPT_PRINTED,
            user=user,
            acting_as=acting_as,
            request=request,
            case_id=survivor.case_id,
            targets=[survivor_target(survivor.pk)],
            details={"language": language, "legal_name_printed": bool(legal_name)},
        )
        return render_receipt(
            survivor=survivor,
            language=language,
            contact=contact,
            printed_on=timezone.localdate(),
            legal_name=legal_name,
        )
