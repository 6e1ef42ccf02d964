"""Checking Bates numbers: continuous ranges matching the stamped pages of every produced PDF."""

from __future__ import annotations

from pathlib import Path

import pikepdf

from evidence.production import bag
from evidence.production.errors import ProductionError
from evidence.production.tables import read_bag_info, read_rows


def page_content(page: pikepdf.Page) -> bytes:
    contents = page.obj.get("/Contents")
    streams = [contents] if isinstance(contents, pikepdf.Stream) else list(contents or [])
    return b"".join(stream.read_bytes() for stream in streams)


def _number(label: str, prefix: str, control: str) -> tuple[int, int]:
    digits = label.removeprefix(prefix)
    if not label.startswith(prefix) or not digits.isdigit():
        raise ProductionError(f"{label!r} is not a Bates number with prefix {prefix!r}", control=control)
    return int(digits), len(digits)


def _stamped(path: Path, labels: list[str], control: str) -> None:
    try:
        with pikepdf.Pdf.open(path) as pdf:
            if len(pdf.pages) != len(labels):
                reason = f"the PDF has {len(pdf.pages)} pages, its Bates range {len(labels)}"
                raise ProductionError(reason, control=control)
            for page, label in zip(pdf.pages, labels, strict=True):
                if f"({label}) Tj".encode("ascii") not in page_content(page):
                    raise ProductionError(f"page {label} does not carry its Bates stamp", control=control)
    except pikepdf.PdfError as exc:
        raise ProductionError(f"the produced PDF cannot be read ({exc})", control=control) from exc


def check_bates(directory: Path) -> str:
    info, rows = read_bag_info(directory), read_rows(directory)
    prefix = info.get("Bates-Prefix", "")
    expected: int | None = None
    width = pages = 0
    for row in rows:
        control = row["CONTROL"]
        (first, first_width), (last, last_width) = (_number(row[k], prefix, control) for k in ("BEGBATES", "ENDBATES"))
        width = width or first_width
        if {first_width, last_width} != {width}:
            raise ProductionError("the Bates numbers do not all have the same width", control=control)
        if expected is not None and first != expected:
            kind = "a gap" if first > expected else "an overlap"
            raise ProductionError(f"{kind} in the Bates numbers before {row['BEGBATES']}", control=control)
        if row["PAGES"] != str(last - first + 1):
            raise ProductionError("the page count does not match the Bates range", control=control)
        labels = [f"{prefix}{str(number).zfill(width)}" for number in range(first, last + 1)]
        image = row["IMAGEPATH"]
        if not image.startswith(bag.DOCUMENTS) or ".." in image:
            raise ProductionError(f"the image path {image!r} is not under {bag.DOCUMENTS}", control=control)
        _stamped(directory / image, labels, control)
        expected, pages = last + 1, pages + len(labels)
    bounds = (rows[0]["BEGBATES"], rows[-1]["ENDBATES"]) if rows else ("", "")
    if bounds != (info.get("Bates-First", ""), info.get("Bates-Last", "")):
        raise ProductionError("bag-info.txt's Bates-First/Bates-Last differ from the load file")
    if not rows:
        return "no documents produced"
    return f"{len(rows)} documents, {pages} pages, {bounds[0]} to {bounds[1]} without gaps, every page stamped"
