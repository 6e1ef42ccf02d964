"""Reading a bag's manifests, bag-info and load files, and checking the load files against them."""

from __future__ import annotations

from pathlib import Path

from evidence.production import bag
from evidence.production.errors import ProductionError
from evidence.production.loadfile import BOM, FIELDS, WITHHELD_FIELDS, parse_csv, parse_dat

FORMS = ("original", "redacted")
PATH_FIELDS = ("IMAGEPATH", "NATIVEPATH", "CUSTODYPATH", "REDACTIONLOGPATH")


def read_manifest(directory: Path, name: str) -> dict[str, str]:
    entries: dict[str, str] = {}
    for number, line in enumerate((directory / name).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        digest, _, path = line.strip().partition(" ")
        if not digest or not path.strip():
            raise ProductionError(f"line {number} of {name} is malformed")
        entries[path.strip()] = digest.lower()
    return entries


def read_bag_info(directory: Path) -> dict[str, str]:
    info: dict[str, str] = {}
    last = None
    for line in (directory / bag.BAG_INFO).read_text(encoding="utf-8").splitlines():
        if line[:1].isspace() and last:
            info[last] += " " + line.strip()
            continue
        label, sep, value = line.partition(":")
        if sep:
            last = label.strip()
            info.setdefault(last, value.strip())
    return info


def read_rows(directory: Path) -> list[dict[str, str]]:
    """The CSV load file's rows as dicts; raises unless its header is the expected one."""
    rows = parse_csv((directory / bag.LOADFILE_CSV).read_text(encoding="utf-8"))
    if not rows or tuple(rows[0]) != FIELDS:
        raise ProductionError(f"{bag.LOADFILE_CSV} does not start with the expected header")
    if any(len(row) != len(FIELDS) for row in rows[1:]):
        raise ProductionError(f"{bag.LOADFILE_CSV} has a row with the wrong number of fields")
    return [dict(zip(FIELDS, row, strict=True)) for row in rows[1:]]


def _dat_agrees(directory: Path) -> None:
    text = (directory / bag.LOADFILE_DAT).read_bytes().decode("utf-8")
    if not text.startswith(BOM):
        raise ProductionError(f"{bag.LOADFILE_DAT} lacks its UTF-8 byte order mark")
    dat = parse_dat(text)
    csv_rows = parse_csv((directory / bag.LOADFILE_CSV).read_text(encoding="utf-8"))
    if len(dat) != len(csv_rows):
        raise ProductionError(f"{bag.LOADFILE_DAT} has {len(dat) - 1} rows, {bag.LOADFILE_CSV} {len(csv_rows) - 1}")
    for number, (left, right) in enumerate(zip(dat, csv_rows, strict=True)):
        if left != right:
            raise ProductionError(f"row {number} of {bag.LOADFILE_DAT} differs from {bag.LOADFILE_CSV}")


def _row_agrees(row: dict[str, str], manifest: dict[str, str]) -> set[str]:
    control = row["CONTROL"]
    if row["FORM"] not in FORMS or (row["FORM"] == "redacted" and not row["REDACTIONLOGPATH"]):
        raise ProductionError("the form or its redaction log is wrong", control=control)
    paths = {row[name] for name in PATH_FIELDS if row[name]}
    missing = sorted(path for path in paths if path not in manifest)
    if missing or not row["IMAGEPATH"]:
        raise ProductionError(f"the load file names files not in the manifest: {', '.join(missing)}", control=control)
    if manifest[row["IMAGEPATH"]] != row["SHA256"].lower():
        raise ProductionError("the load file's SHA256 differs from the manifest's", control=control)
    if row["NATIVEPATH"] and manifest[row["NATIVEPATH"]] != row["SOURCESHA256"].lower():
        raise ProductionError("the native file's SHA-256 differs from the vault's recorded one", control=control)
    return paths


def check_load_files(directory: Path) -> str:
    _dat_agrees(directory)
    rows = read_rows(directory)
    manifest = read_manifest(directory, bag.MANIFEST)
    controls = [row["CONTROL"] for row in rows]
    if len(set(controls)) != len(controls):
        raise ProductionError("a control appears twice in the load file")
    referenced = {bag.LOADFILE_CSV, bag.LOADFILE_DAT, bag.WITHHOLDING_LOG}
    for row in rows:
        referenced |= _row_agrees(row, manifest)
    unlisted = sorted(set(manifest) - referenced)
    if unlisted:
        raise ProductionError(f"payload files no load-file row refers to: {', '.join(unlisted[:5])}")
    withheld = parse_csv((directory / bag.WITHHOLDING_LOG).read_text(encoding="utf-8"))
    if not withheld or tuple(withheld[0]) != WITHHELD_FIELDS:
        raise ProductionError(f"{bag.WITHHOLDING_LOG} does not start with the expected header")
    declared = read_bag_info(directory).get("Production-Documents")
    if declared != str(len(rows)):
        raise ProductionError(f"bag-info.txt declares {declared} documents, the load file lists {len(rows)}")
    return f"{len(rows)} documents, {len(withheld) - 1} withheld; CSV and DAT agree with each other and the manifest"
