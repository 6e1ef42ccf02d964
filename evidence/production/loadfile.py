"""Load files: one row per produced document, as CSV and as a Concordance DAT.

Both hold the same cells in the same order. The DAT quotes every field with þ (U+00FE),
separates fields with U+0014, ends lines with CRLF and starts with a UTF-8 byte order mark, as
review platforms expect. Cells are single-line; a cell a spreadsheet would run as a formula
gets a leading apostrophe in both files, so the two never disagree.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Final, TextIO

from evidence.production.naming import one_line

FIELDS: Final = (
    "BEGBATES",
    "ENDBATES",
    "PAGES",
    "CONTROL",
    "ITEMREF",
    "FORM",
    "MEDIATYPE",
    "DOCNAME",
    "CUSTODIAN",
    "COLLECTED",
    "SHA256",
    "SOURCESHA256",
    "IMAGEPATH",
    "NATIVEPATH",
    "CUSTODYPATH",
    "REDACTIONLOGPATH",
)
WITHHELD_FIELDS: Final = ("ITEMREF", "DOCNAME", "REASONCODE", "REASON")
QUOTE: Final = "\u00fe"
SEPARATOR: Final = "\u0014"
BOM: Final = "\ufeff"


def cell(value: str) -> str:
    text = one_line(value).replace(QUOTE, " ")
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def clean_row(values: Sequence[str]) -> list[str]:
    return [cell(value) for value in values]


def csv_line(values: Iterable[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(list(values))
    return buffer.getvalue()


def dat_line(values: Iterable[str]) -> str:
    return SEPARATOR.join(f"{QUOTE}{value}{QUOTE}" for value in values) + "\r\n"


class LoadFileWriter:
    """Appends rows to the CSV and DAT spools as documents are written."""

    def __init__(self, csv_out: TextIO, dat_out: TextIO) -> None:
        self.csv_out, self.dat_out = csv_out, dat_out
        csv_out.write(csv_line(FIELDS))
        dat_out.write(BOM + dat_line(FIELDS))

    def add(self, values: Sequence[str]) -> None:
        row = clean_row(values)
        self.csv_out.write(csv_line(row))
        self.dat_out.write(dat_line(row))


def parse_dat(text: str) -> list[list[str]]:
    """The rows of a DAT load file (header included); raises ValueError on a malformed line."""
    rows = []
    for number, line in enumerate(text.removeprefix(BOM).split("\r\n"), start=1):
        if not line:
            continue
        fields = line.split(SEPARATOR)
        if any(len(f) < 2 or not (f.startswith(QUOTE) and f.endswith(QUOTE)) for f in fields):
            raise ValueError(f"line {number} of the DAT load file is not þ-quoted")
        rows.append([f[1:-1] for f in fields])
    return rows


def parse_csv(text: str) -> list[list[str]]:
    return [row for row in csv.reader(io.StringIO(text, newline="")) if row]
