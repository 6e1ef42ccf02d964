"""The redaction corpus: PDFs from several producers, each carrying the same survivor identifiers.

Generated at test time (nothing binary is committed); producers missing on a machine are
skipped by the tests that need them.
"""

from __future__ import annotations

import html
import io
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import pikepdf
from PIL import Image, ImageDraw, ImageFont

from evidence.redaction.detection import Term

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
IDENTIFIERS = [
    Term("legal_name", "Aïcha Koné"),
    Term("relative", "Moussa Koné"),
    Term("contact", "+236 72 12 34 56"),
    Term("place", "Boy-Rabé"),
]
LINES = [
    "Déclaration de Aïcha Koné recueillie à Bangui le 3 mars 2024.",
    "Le témoin AICHA KONE indique que son frère Moussa Koné vit au quartier Boy-Rabé.",
    "Téléphone du témoin : 72 12 34 56. Les faits concernent le contingent stationné près du marché.",
    "The investigator recorded the statement in the presence of an interpreter and a psychologist.",
    "No further details were given about the vehicles, the camp or the officers involved.",
    "The witness asked that the statement be shared only with the legal team and the court.",
]
ASCII_LINES = [
    "Statement of Aicha Kone taken in Bangui on 3 March 2024.",
    "The witness AICHA KONE says her brother Moussa Kone lives in Boy-Rabe.",
    "Phone of the witness: 72 12 34 56. The events concern the contingent stationed near the market.",
    *LINES[3:],
]

Producer = Callable[[Path], Path]


def reportlab_standard(out: Path) -> Path:
    from reportlab.pdfgen import canvas

    path = out / "reportlab-helvetica.pdf"
    c = canvas.Canvas(str(path))
    c.setTitle("Statement of Aïcha Koné")
    c.setAuthor("Moussa Koné")
    for i, line in enumerate(LINES):
        c.drawString(60, 760 - 18 * i, line)
    c.showPage()
    c.drawString(60, 760, "Second page: the interpreter confirmed the account given by Aïcha Koné.")
    c.drawString(60, 740, "The legal team will review the medical report next week.")
    c.showPage()
    c.save()
    return path


def reportlab_truetype(out: Path) -> Path:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("DejaVuCorpus", str(DEJAVU)))
    path = out / "reportlab-truetype.pdf"
    c = canvas.Canvas(str(path))
    c.setFont("DejaVuCorpus", 10)
    text = c.beginText(50, 760)
    for line in LINES:
        text.textLine(line)
    c.drawText(text)
    c.showPage()
    c.save()
    return path


def fpdf_truetype(out: Path) -> Path:
    from fpdf import FPDF

    path = out / "fpdf2-dejavu.pdf"
    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("DejaVu", "", str(DEJAVU))
    pdf.set_font("DejaVu", size=10)
    for line in LINES:
        pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    pdf.set_title("Statement of Aïcha Koné")
    pdf.output(str(path))
    return path


def chromium(out: Path) -> Path:
    source = out / "statement.html"
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in LINES)
    source.write_text(
        "<!doctype html><html lang=fr><head><meta charset=utf-8><title>Aïcha Koné</title>"
        "<style>body{font-family:'DejaVu Sans';font-size:11pt} b{font-weight:bold}</style></head>"
        f"<body><h1>Statement</h1>{paragraphs}<p>Signed: <b>Aïcha Koné</b></p></body></html>",
        encoding="utf-8",
    )
    path = out / "chromium.pdf"
    _run(
        [
            shutil.which("chromium") or "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--user-data-dir={out / 'chromium-profile'}",
            f"--print-to-pdf={path}",
            source.as_uri(),
        ]
    )
    return path


def libreoffice(out: Path) -> Path:
    source = out / "libreoffice.txt"
    source.write_text("\n\n".join(LINES) + "\n", encoding="utf-8")
    _run(
        [
            shutil.which("soffice") or "soffice",
            f"-env:UserInstallation={(out / 'lo-profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(source),
        ]
    )
    return out / "libreoffice.pdf"


def _gs(source: Path, path: Path) -> Path:
    gs = shutil.which("gs") or "gs"
    _run([gs, "-q", "-dNOPAUSE", "-dBATCH", "-sDEVICE=pdfwrite", f"-sOutputFile={path}", str(source)])
    return path


def ghostscript(out: Path) -> Path:
    return _gs(reportlab_standard(out), out / "ghostscript.pdf")


def no_unicode_font(out: Path) -> Path:
    """Ghostscript re-embedding a TrueType subset as a symbolic font with neither encoding nor ToUnicode."""
    return _gs(reportlab_truetype(out), out / "no-unicode-font.pdf")


def ps2pdf(out: Path) -> Path:
    source = out / "statement.ps"
    body = "\n".join(
        f"72 {740 - 16 * i} moveto ({line.replace('(', '[').replace(')', ']')}) show"
        for i, line in enumerate(ASCII_LINES)
    )
    source.write_text(f"%!PS\n/Helvetica findfont 10 scalefont setfont\n{body}\nshowpage\n", encoding="ascii")
    path = out / "ps2pdf.pdf"
    _run([shutil.which("ps2pdf") or "ps2pdf", str(source), str(path)])
    return path


def object_streams(out: Path) -> Path:
    source = fpdf_truetype(out)
    path = out / "qpdf-object-streams.pdf"
    _run([shutil.which("qpdf") or "qpdf", "--object-streams=generate", str(source), str(path)])
    return path


def incremental_update(out: Path) -> Path:
    """An earlier revision keeps the name in its text; the update only changes the title."""
    base = reportlab_standard(out).read_bytes()
    with pikepdf.open(io.BytesIO(base)) as pdf:
        size = int(pdf.trailer.Size)
        root = pdf.trailer.Root.objgen[0]
        startxref = base.rindex(b"startxref")
        previous = int(base[startxref:].split()[1])
    info_number = size
    obj = f"{info_number} 0 obj\n<< /Title (Revised statement of Moussa Kone) /Producer (editor) >>\nendobj\n".encode()
    offset = len(base)
    xref_at = offset + len(obj)
    xref = f"xref\n0 1\n0000000000 65535 f \n{info_number} 1\n{offset:010d} 00000 n \n".encode()
    trailer = (
        f"trailer\n<< /Size {size + 1} /Root {root} 0 R /Info {info_number} 0 R /Prev {previous} >>\n"
        f"startxref\n{xref_at}\n%%EOF\n"
    ).encode()
    path = out / "incremental-update.pdf"
    path.write_bytes(base + obj + xref + trailer)
    return path


def rich_objects(out: Path) -> Path:
    """Annotations, a filled form field, an outline, XMP, an attachment and marked content."""
    base = reportlab_standard(out)
    path = out / "annotations-form-outline-xmp-attachment.pdf"
    with pikepdf.open(base) as pdf:
        page = pdf.pages[0]
        note = pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Annot,
                Subtype=pikepdf.Name.Text,
                Rect=[400, 700, 420, 720],
                Contents=pikepdf.String("Call Aïcha Koné back"),
                T=pikepdf.String("Moussa Koné"),
            )
        )
        field = pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Annot,
                Subtype=pikepdf.Name.Widget,
                FT=pikepdf.Name.Tx,
                T=pikepdf.String("witness"),
                V=pikepdf.String("Aicha Kone"),
                DA=pikepdf.String("/Helv 10 Tf 0 g"),
                Rect=[60, 600, 300, 620],
                P=page.obj,
            )
        )
        page.obj.Annots = pdf.make_indirect(pikepdf.Array([note, field]))
        helv = pdf.make_indirect(
            pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica)
        )
        pdf.Root.AcroForm = pikepdf.Dictionary(
            Fields=[field],
            DA=pikepdf.String("/Helv 10 Tf 0 g"),
            DR=pikepdf.Dictionary(Font=pikepdf.Dictionary(Helv=helv)),
        )
        with pdf.open_outline() as outline:
            outline.root.append(pikepdf.OutlineItem("Statement of Aïcha Koné", 0))
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["dc:creator"] = ["Aïcha Koné"]
            meta["dc:description"] = "Interview with Moussa Koné"
        attached = pikepdf.AttachedFileSpec(
            pdf, "Contact: Aïcha Koné, +236 72 12 34 56".encode(), mime_type="text/plain"
        )
        pdf.attachments["aicha-kone.txt"] = attached
        pdf.save(path)
    return path


def scanned(out: Path) -> Path:
    dpi = 200
    image = Image.new("L", (int(8.27 * dpi), int(11.69 * dpi)), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(DEJAVU), 34)
    for i, line in enumerate(LINES):
        draw.text((120, 160 + 70 * i), line[:70], fill=0, font=font)
    path = out / "scanned.pdf"
    image.save(path, "PDF", resolution=dpi)
    return path


def _run(args: list[str]) -> None:
    with tempfile.TemporaryDirectory() as home:
        subprocess.run(args, check=True, capture_output=True, timeout=180, env={"HOME": home, "PATH": "/usr/bin:/bin"})


PRODUCERS: dict[str, tuple[Producer, str | None]] = {
    "reportlab-helvetica": (reportlab_standard, None),
    "reportlab-truetype": (reportlab_truetype, None),
    "fpdf2-dejavu": (fpdf_truetype, None),
    "chromium": (chromium, "chromium"),
    "libreoffice": (libreoffice, "soffice"),
    "ghostscript": (ghostscript, "gs"),
    "ps2pdf": (ps2pdf, "ps2pdf"),
    "no-unicode-font": (no_unicode_font, "gs"),
    "qpdf-object-streams": (object_streams, "qpdf"),
    "incremental-update": (incremental_update, None),
    "annotations-form-outline-xmp-attachment": (rich_objects, None),
    "scanned": (scanned, "tesseract"),
}


def image_in_text_page(out: Path) -> Path:
    """A typed page with a pasted picture of a document that shows the name (e.g. an ID card)."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    picture = Image.new("RGB", (1200, 260), "white")
    draw = ImageDraw.Draw(picture)
    font = ImageFont.truetype(str(DEJAVU), 64)
    draw.text((30, 40), "CARTE: Aïcha Koné", fill="black", font=font)
    draw.text((30, 150), "Bangui 2019", fill="black", font=font)
    path = out / "image-in-text-page.pdf"
    c = canvas.Canvas(str(path))
    for i, line in enumerate(LINES[3:]):
        c.drawString(60, 760 - 18 * i, line)
    c.drawImage(ImageReader(picture), 60, 500, width=360, height=78)
    c.showPage()
    c.save()
    return path


PRODUCERS["image-in-text-page"] = (image_in_text_page, "tesseract")
