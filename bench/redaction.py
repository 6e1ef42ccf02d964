"""Redaction throughput and leaks on the test corpus, against PyMuPDF's apply_redactions, in one run.

    .venv/bin/pip install -r bench/requirements.txt
    .venv/bin/python bench/redaction.py [--repeat 2]

custody        = evidence.redaction.engine.redact_bytes (detect, remove, clean, verify with three
                 readers and a byte scan): what the product releases.
custody-noverify = the same without the verification pass (evidence.redaction.pdf.redact_pdf).
pymupdf        = page.search_for() on every literal form of the identifiers that the corpus contains,
                 add_redact_annot + apply_redactions, doc.scrub(), save(garbage=4, deflate=True).
Leaks are counted by the same independent readers as the tests: poppler's pdftotext, pdfminer,
a byte scan of `qpdf --qdf --object-streams=disable`, and tesseract on every page rendered at 200 dpi
(each (file, reader) pair that still shows an identifier counts once).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vault.settings")

import django

django.setup()

import pikepdf  # noqa: E402
from pdfminer.high_level import extract_text  # noqa: E402

from evidence.redaction.detection import Policy  # noqa: E402
from evidence.redaction.engine import redact_bytes  # noqa: E402
from evidence.redaction.pdf import redact_pdf  # noqa: E402
from tests.evidence.redaction.corpus import IDENTIFIERS, PRODUCERS  # noqa: E402
from tests.evidence.redaction.test_corpus import leaked  # noqa: E402

LITERALS = [
    "Aïcha Koné",
    "AICHA KONE",
    "Aicha Kone",
    "Moussa Koné",
    "Moussa Kone",
    "72 12 34 56",
    "Boy-Rabé",
    "Boy-Rabe",
]


def build_corpus(root: Path) -> dict[str, Path]:
    made = {}
    for name, (producer, _tool) in PRODUCERS.items():
        out = root / name
        out.mkdir(parents=True)
        try:
            made[name] = producer(out)
        except (OSError, subprocess.CalledProcessError) as exc:
            print(f"skipped {name}: {type(exc).__name__}")
    return made


def pymupdf_redact(data: bytes) -> bytes:
    import pymupdf

    doc = pymupdf.open(stream=data, filetype="pdf")
    for page in doc:
        for literal in LITERALS:
            for rect in page.search_for(literal):
                page.add_redact_annot(rect, fill=(0, 0, 0))
        page.apply_redactions()
    doc.scrub()
    out = doc.tobytes(garbage=4, deflate=True)
    doc.close()
    return out


def custody(data: bytes) -> bytes:
    return redact_bytes(data, "x.pdf", IDENTIFIERS).data


def custody_noverify(data: bytes) -> bytes:
    return redact_pdf(data, IDENTIFIERS, Policy()).data


def leaks(path: Path) -> int:
    count = 0
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=False).stdout
    count += bool(leaked(text.decode("utf-8", "replace")))
    try:
        count += bool(leaked(extract_text(str(path))))
    except Exception:
        count += 1
    qdf = path.with_suffix(".qdf")
    subprocess.run(["qpdf", "--qdf", "--object-streams=disable", str(path), str(qdf)], capture_output=True, check=False)
    raw = qdf.read_bytes() if qdf.exists() else path.read_bytes()
    decoded = raw.decode("latin-1") + raw.decode("utf-16-be", "ignore") + raw[1:].decode("utf-16-be", "ignore")
    count += bool(leaked(decoded))
    return count + rendered_leaks(path)


def rendered_leaks(path: Path) -> int:
    """OCR of every rendered page: names left in pixels (scans, pasted pictures)."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["pdftoppm", "-r", "200", "-png", str(path), f"{tmp}/p"], capture_output=True, check=False)
        text = ""
        for image in sorted(Path(tmp).glob("p*.png")):
            ocr = subprocess.run(["tesseract", str(image), "stdout", "-l", "fra+eng"], capture_output=True, check=False)
            text += ocr.stdout.decode("utf-8", "replace")
    return int(bool(leaked(text)))


def pages(data: bytes) -> int:
    import io

    with pikepdf.open(io.BytesIO(data)) as pdf:
        return len(pdf.pages)


def run(name: str, engine: Callable[[bytes], bytes], corpus: dict[str, Path], out: Path, repeat: int) -> dict:
    best = float("inf")
    total_leaks = 0
    failed = []
    doc_seconds: dict[str, float] = {}
    outputs: dict[str, bytes] = {}
    for _ in range(repeat):
        start = time.perf_counter()
        for doc, path in corpus.items():
            doc_start = time.perf_counter()
            try:
                outputs[doc] = engine(path.read_bytes())
            except Exception as exc:
                failed.append(f"{doc}: {type(exc).__name__}")
            elapsed = time.perf_counter() - doc_start
            doc_seconds[doc] = min(doc_seconds.get(doc, elapsed), elapsed)
        best = min(best, time.perf_counter() - start)
    per_doc = {}
    for doc, data in outputs.items():
        target = out / f"{name}-{doc}.pdf"
        target.write_bytes(data)
        per_doc[doc] = leaks(target)
        total_leaks += per_doc[doc]
    n_pages = sum(pages(p.read_bytes()) for p in corpus.values())
    return {
        "name": name,
        "seconds": best,
        "pages": n_pages,
        "leaks": total_leaks,
        "per_doc": per_doc,
        "failed": failed,
        "doc_seconds": doc_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    import pymupdf  # noqa: F401 - imported before timing: its import is not part of a redaction

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        corpus = build_corpus(root / "corpus")
        out = root / "out"
        out.mkdir()
        engines: list[tuple[str, Callable[[bytes], bytes]]] = [
            ("custody", custody),
            ("custody-noverify", custody_noverify),
            ("pymupdf", pymupdf_redact),
        ]
        results = [run(name, engine, corpus, out, args.repeat) for name, engine in engines]
    cpu = platform.processor() or platform.machine()
    print(f"machine: {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"corpus: {len(corpus)} documents, {results[0]['pages']} pages")
    print("| engine | seconds | pages/s | leaking (file, reader) pairs | failed |")
    print("|---|---|---|---|---|")
    for r in results:
        rate = r["pages"] / r["seconds"]
        print(f"| {r['name']} | {r['seconds']:.2f} | {rate:.2f} | {r['leaks']} | {len(r['failed'])} |")
    print()
    print("| document | " + " | ".join(f"{r['name']} s" for r in results) + " |")
    print("|---|" + "---|" * len(results))
    for doc in corpus:
        print(f"| {doc} | " + " | ".join(f"{r['doc_seconds'].get(doc, 0):.2f}" for r in results) + " |")
    for r in results:
        leaking = {doc: n for doc, n in r["per_doc"].items() if n}
        print(f"{r['name']} leaks by document: {leaking or 'none'}; failures: {r['failed'] or 'none'}")


if __name__ == "__main__":
    main()
