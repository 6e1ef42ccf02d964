"""Glyph removal on hand-written content streams: layout, operators, Form XObjects."""

from __future__ import annotations

import io

import pikepdf
from pdfminer.high_level import extract_pages, extract_text
from pdfminer.layout import LTChar, LTTextContainer

from evidence.redaction.detection import Policy, Term
from evidence.redaction.pdf import redact_pdf
from tests.evidence.redaction.test_corpus import leaked

TERMS = [Term("legal_name", "Aïcha Koné")]


def _pdf(content: bytes, form: bytes | None = None) -> bytes:
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.Type1,
            BaseFont=pikepdf.Name.Helvetica,
            Encoding=pikepdf.Name.WinAnsiEncoding,
        )
    )
    resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    if form is not None:
        xobject = pdf.make_stream(form)
        xobject.Type = pikepdf.Name.XObject
        xobject.Subtype = pikepdf.Name.Form
        xobject.BBox = [0, 0, 600, 800]
        xobject.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
        resources.XObject = pikepdf.Dictionary(Fm1=xobject)
    for _ in range(2):
        page = pdf.add_blank_page(page_size=(600, 800))
        page.obj.Resources = resources
        page.obj.Contents = pdf.make_stream(content)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _chars(data: bytes, page: int = 0) -> list[tuple[str, float, float]]:
    layout = list(extract_pages(io.BytesIO(data)))[page]
    found = []
    for element in layout:
        if isinstance(element, LTTextContainer):
            for line in element:
                for char in line:
                    if isinstance(char, LTChar):
                        found.append((char.get_text(), round(char.x0, 2), round(char.y0, 2)))
    return found


def _text(data: bytes, page: int | None = None) -> str:
    return extract_text(io.BytesIO(data), page_numbers=None if page is None else [page])


NAME = "A\xefcha Kon\xe9".encode("cp1252")


def test_following_text_keeps_its_position_with_spacing_operators() -> None:
    content = (
        b"BT /F1 12 Tf 1.5 Tc 3 Tw 90 Tz 50 700 Td [(Statement of ) -120 ("
        + NAME[:3]
        + b") 30 ("
        + NAME[3:]
        + b") (, signed.)] TJ ET"
    )
    original = _pdf(content)
    redacted = redact_pdf(original, TERMS, Policy()).data
    before, after = _chars(original)[-7:], _chars(redacted)[-7:]
    assert "".join(c for c, _x, _y in after) == "signed."
    assert before == after
    assert leaked(_text(redacted)) == []
    assert "Statementof,signed." in "".join(_text(redacted).split())


def test_quote_operators_and_form_xobjects() -> None:
    content = (
        b"BT /F1 11 Tf 14 TL 50 700 Td (First line) Tj (Witness " + NAME + b" here) ' "
        b"2 1 (" + NAME + b' again) " ET q 1 0 0 1 0 -200 cm /Fm1 Do Q'
    )
    form = b"BT /F1 10 Tf 60 600 Td (In the form: " + NAME + b".) Tj ET"
    original = _pdf(content, form)
    assert leaked(_text(original))
    outcome = redact_pdf(original, TERMS, Policy())
    for page in range(2):
        text = _text(outcome.data, page)
        assert leaked(text) == []
        assert "Firstline" in text.replace(" ", "")
        assert "Intheform:" in text.replace(" ", "")
        assert "here" in text
    assert outcome.report.removed[("legal_name", 1)] == 3
    assert outcome.report.removed[("legal_name", 2)] == 3
