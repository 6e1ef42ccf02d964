"""The custody report as a PDF a court can read: same numbers as the JSON, laid out for people.

Built with fixed document metadata (no item or case identifiers, no creation time) and
ReportLab's invariant mode, so the same report always yields the same bytes.
"""

from __future__ import annotations

import io
from typing import Any, Final
from xml.sax.saxutils import escape

import pikepdf
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, Paragraph, Preformatted, SimpleDocTemplate, Spacer, Table, TableStyle

from audit.actions import Action, Outcome
from evidence.custody_models import TransferState
from evidence.models import Kind, State

SANS: Final = "CustodySans"
SANS_BOLD: Final = "CustodySans-Bold"
MONO: Final = "Courier"
GRID: Final = colors.HexColor("#9a9a9a")
SHADE: Final = colors.HexColor("#efefef")


def _fonts() -> None:
    # Vera ships with ReportLab: embedded, so names in any Latin script print the same everywhere.
    if SANS not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(SANS, "Vera.ttf"))
        pdfmetrics.registerFont(TTFont(SANS_BOLD, "VeraBd.ttf"))


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontName=SANS, fontSize=9, leading=12, alignment=TA_LEFT)
    return {
        "title": ParagraphStyle("title", parent=body, fontName=SANS_BOLD, fontSize=16, leading=20, spaceAfter=4),
        "h2": ParagraphStyle(
            "h2", parent=body, fontName=SANS_BOLD, fontSize=11, leading=14, spaceBefore=10, spaceAfter=4, keepWithNext=1
        ),
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5),
        "cell": ParagraphStyle("cell", parent=body, fontSize=8, leading=10),
        "mono": ParagraphStyle("mono", parent=body, fontName=MONO, fontSize=7.5, leading=9.5),
    }


def _p(text: Any, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape("" if text is None else str(text)), style)


STATEMENT_WIDTH: Final = 88


def _wrapped(text: str, width: int) -> str:
    return "\n".join(text[i : i + width] for i in range(0, len(text), width))


def _lines(lines: list[str], style: ParagraphStyle) -> Paragraph:
    return Paragraph("<br/>".join(escape(line) for line in lines), style)


def _when(stamp: str | None) -> str:
    """Seconds are enough for people; the JSON form keeps the exact instant."""
    return f"{stamp[:10]} {stamp[11:19]}" if stamp else "—"


def _label(choices: Any, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _person(person: dict[str, Any] | None) -> str:
    if not person:
        return "—"
    return f"{person['name']} ({person['username']})" if person["name"] != person["username"] else person["username"]


def _grid(rows: list[list[Any]], widths: list[float], header: bool = True) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0, hAlign="LEFT")
    style = [
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), SHADE))
    table.setStyle(TableStyle(style))
    return table


def _item_table(report: dict[str, Any], s: dict[str, ParagraphStyle], width: float) -> Table:
    item = report["item"]
    rows = [
        (_("Item"), item["display_name"]),
        (_("Case"), item["case_reference"]),
        (_("Kind"), _label(Kind, item["kind"])),
        (_("State"), _label(State, item["state"])),
        (_("Current custodian"), _person(item["custodian"])),
        (_("Registered (UTC)"), f"{_when(item['registered_at'])} — {_person(item['registered_by'])}"),
        (_("Collected by"), item["collected_by"] or "—"),
        (_("Collected at (UTC)"), _when(item["collected_at"])),
        (_("Place of collection"), item["collection_place"] or "—"),
    ]
    if item["kind"] == Kind.PHYSICAL:
        rows += [
            (_("Description"), item["description"]),
            (_("Storage location"), item["storage_location"]),
            (_("Seal number"), item["seal_number"]),
        ]
    else:
        rows += [(_("Media type"), item["media_type"] or "—"), (_("Size (bytes)"), item["size"] or "—")]
    data = [[_p(k, s["cell"]), _p(v, s["cell"])] for k, v in rows]
    return _grid(data, [0.28 * width, 0.72 * width], header=False)


def _digest(value: str, absent: str, s: dict[str, ParagraphStyle]) -> Paragraph:
    return _p(value, s["mono"]) if value else _p(absent, s["cell"])


def _hash_table(report: dict[str, Any], s: dict[str, ParagraphStyle], width: float) -> Table:
    absent = _("none: no digital content") if report["item"]["kind"] == Kind.PHYSICAL else _("not recorded")
    hashes = report["hashes"]
    rows = [
        [_p(_("SHA-256 of the content"), s["cell"]), _digest(hashes["sha256"], absent, s)],
        [
            _p(_("SHA-256 of the stored (encrypted) object"), s["cell"]),
            _digest(hashes["ciphertext_sha256"], absent, s),
        ],
    ]
    return _grid(rows, [0.28 * width, 0.72 * width], header=False)


def _transfer_table(report: dict[str, Any], s: dict[str, ParagraphStyle], width: float) -> Table | Paragraph:
    if not report["transfers"]:
        return _p(_("No transfer: the item has stayed with the person who registered it."), s["body"])
    head = [_("No."), _("Proposed (UTC)"), _("From, to"), _("Reason"), _("Outcome"), _("Location and seal")]
    rows: list[list[Any]] = [[_p(h, s["cell"]) for h in head]]
    for t in report["transfers"]:
        outcome = _label(TransferState, t["state"])
        if t["decided_at"]:
            outcome = f"{outcome}\n{_when(t['decided_at'])}"
        if t["decision_note"]:
            outcome = f"{outcome}\n{t['decision_note']}"
        where = ""
        if t["to_location"]:
            where = "\n".join(
                [
                    f"{_('from')}: {t['from_location']}",
                    f"{_('to')}: {t['to_location']}",
                    f"{_('seal before')}: {t['old_seal_number']}",
                    f"{_('seal after')}: {t['new_seal_number']}",
                ]
            )
        rows.append(
            [
                _p(t["id"], s["cell"]),
                _p(_when(t["proposed_at"]), s["small"]),
                _lines([f"{_('from')}: {_person(t['from'])}", f"{_('to')}: {_person(t['to'])}"], s["cell"]),
                _p(t["reason"], s["cell"]),
                Paragraph(escape(outcome).replace("\n", "<br/>"), s["small"]),
                Paragraph(escape(where).replace("\n", "<br/>"), s["small"]),
            ]
        )
    fractions = [0.05, 0.13, 0.22, 0.22, 0.18, 0.20]
    return _grid(rows, [f * width for f in fractions])


def _event_table(report: dict[str, Any], s: dict[str, ParagraphStyle], width: float) -> Table:
    head = [_("Seq."), _("Time (UTC)"), _("Action"), _("Outcome"), _("By (acting as)")]
    rows: list[list[Any]] = [[_p(h, s["cell"]) for h in head]]
    spans = []
    for event in report["events"]:
        actor = f"{event['actor'] or '—'} ({event['role']})" if event["role"] else event["actor"] or "—"
        rows.append(
            [
                _p(event["seq"], s["cell"]),
                _p(event["at"], s["small"]),
                _p(_label(Action, event["action"]), s["cell"]),
                _p(_label(Outcome, event["outcome"]), s["cell"]),
                _p(actor, s["cell"]),
            ]
        )
        digest = Preformatted(f"hash {event['hash']}\nprev {event['prev_hash']}", s["mono"])
        rows.append([digest, "", "", "", ""])
        row = len(rows) - 1
        spans.append(("SPAN", (0, row), (-1, row)))
    table = _grid(rows, [w * width for w in (0.08, 0.27, 0.28, 0.12, 0.25)])
    table.setStyle(TableStyle(spans))
    return table


def _checkpoint_block(report: dict[str, Any], s: dict[str, ParagraphStyle], width: float) -> list[Any]:
    checkpoint = report["checkpoint"]
    if checkpoint is None:
        text = _(
            "No signed checkpoint covers these events yet. The next periodic checkpoint will; "
            "generate the report again after it to include its signature."
        )
        return [_p(text, s["body"])]
    rows = [
        [_p(_("Covers events up to"), s["cell"]), _p(checkpoint["seq"], s["cell"])],
        [_p(_("Head hash"), s["cell"]), _p(checkpoint["head_hash"], s["mono"])],
        [_p(_("Signed at (UTC)"), s["cell"]), _p(checkpoint["signed_at"], s["cell"])],
        [_p(_("Audit key fingerprint"), s["cell"]), _p(checkpoint["key_fingerprint"], s["mono"])],
    ]
    return [
        _grid(rows, [0.28 * width, 0.72 * width], header=False),
        Spacer(1, 4),
        _p(_("Signed statement (wrapped for display; the signed bytes are the JSON form's 'statement')"), s["cell"]),
        Preformatted(_wrapped(checkpoint["statement"], STATEMENT_WIDTH), s["mono"]),
        _p(_("Detached signature"), s["cell"]),
        Preformatted(checkpoint["signature"], s["mono"]),
    ]


MARGIN: Final = 18 * mm


def _canvas_with_footer(report: dict[str, Any]) -> type[Canvas]:
    """A canvas that holds its pages until the end, so each footer can say "page N of M"."""
    text = _("Chain of custody report — %(item)s — as of audit event %(seq)s") % {
        "item": report["item"]["display_name"],
        "seq": report["as_of_seq"],
    }

    class FooterCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._held: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._held.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._held)
            for state in self._held:
                self.__dict__.update(state)
                self.setFont(SANS, 7.5)
                self.drawString(MARGIN, 10 * mm, text)
                page = _("Page %(n)s of %(total)s") % {"n": self._pageNumber, "total": total}
                self.drawRightString(A4[0] - MARGIN, 10 * mm, page)
                super().showPage()
            super().save()

    return FooterCanvas


def _story(report: dict[str, Any], width: float) -> list[Any]:
    s = _styles()
    intro = _(
        "Prepared by the evidence vault from its audit log as it stood after event %(seq)s, "
        "on %(at)s (UTC), at the request of %(by)s. Every number below can be checked against the log."
    ) % {"seq": report["as_of_seq"], "at": report["generated_at"], "by": report["generated_by"] or "—"}
    story: list[Any] = [
        _p(_("Chain of custody report"), s["title"]),
        _p(_("Evidence item %(item)s") % {"item": report["item"]["display_name"]}, s["h2"]),
        _p(intro, s["body"]),
        _p(_("1. The item"), s["h2"]),
        _item_table(report, s, width),
        _p(_("2. Integrity"), s["h2"]),
        _hash_table(report, s, width),
        _p(_("3. Custody transfers"), s["h2"]),
        _transfer_table(report, s, width),
        _p(_("4. Audit events naming this item"), s["h2"]),
        _event_table(report, s, width),
        _p(_("5. Signed checkpoint of the audit log"), s["h2"]),
        *_checkpoint_block(report, s, width),
    ]
    steps = [_p(f"{n}. {step}", s["body"]) for n, step in enumerate(report["verification"], start=1)]
    story.append(KeepTogether([_p(_("6. How to verify this report"), s["h2"]), *steps]))
    return story


def render_pdf(report: dict[str, Any]) -> bytes:
    _fonts()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=_("Chain of custody report"),
        author="",
        subject="",
        keywords="",
        creator="Custody",
        producer="Custody",
        invariant=True,
    )
    doc.build(_story(report, doc.width), canvasmaker=_canvas_with_footer(report))
    return _without_dates(buffer.getvalue())


def _without_dates(content: bytes) -> bytes:
    """Invariant mode stamps a fixed date in 2000; a reader would show it as the creation date, so drop it."""
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(content)) as pdf:
        for key in ("/CreationDate", "/ModDate"):
            if key in pdf.docinfo:
                del pdf.docinfo[key]
        pdf.save(out, deterministic_id=True)
    return out.getvalue()
