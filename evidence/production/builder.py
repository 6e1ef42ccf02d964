"""The archive being written: payload members as documents arrive, then logs, tag files and signature."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from django.utils.translation import gettext_noop

from evidence.production import bag, naming, slipsheet
from evidence.production.bates import stamp_pdf
from evidence.production.errors import ProductionError
from evidence.production.loadfile import WITHHELD_FIELDS, LoadFileWriter, clean_row, csv_line
from evidence.production.records import DocumentResult, PackageInfo, ProducedDocument, Signer, WithheldEntry
from evidence.production.stream import Writable, add_member, file_chunks, open_zip

FORMS = ("original", "redacted")


@dataclass(frozen=True)
class Outcome:
    tagmanifest: bytes
    fingerprint: str
    oxum: str


def _verified(document: ProducedDocument) -> Iterator[bytes]:
    """The plaintext chunks; raises once the stream ends if they do not match the recorded SHA-256."""
    digest = hashlib.sha256()
    try:
        for chunk in document.open_plaintext():
            digest.update(chunk)
            yield chunk
    except ProductionError:
        raise
    except Exception as exc:
        raise ProductionError(
            gettext_noop("the stored object could not be read (%(error)s)"), control=document.control, error=str(exc)
        ) from exc
    if digest.hexdigest() != document.source_sha256.lower():
        raise ProductionError(
            gettext_noop("the plaintext does not match its recorded SHA-256"), control=document.control
        )


def _is_pdf(media_type: str) -> bool:
    return media_type.split(";")[0].strip().lower() == "application/pdf"


class Builder:
    def __init__(self, sink: Writable, *, info: PackageInfo, bag_name: str, created: datetime, tmp: Path) -> None:
        self.info, self.root, self.tmp = info, bag_name + "/", tmp
        self.created = created
        self.date_time = created.timetuple()[:6]
        self.archive = open_zip(sink)
        self.next_number = info.bates_start
        self.bates_first: str | None = None
        self.bates_last: str | None = None
        self.results: list[DocumentResult] = []
        self.controls: set[str] = set()
        self.oxum_bytes = self.oxum_files = 0
        self.manifest: IO[str] = (tmp / "manifest").open("w+", encoding="utf-8", newline="")
        self.csv: IO[str] = (tmp / "loadfile.csv").open("w+", encoding="utf-8", newline="")
        self.dat: IO[str] = (tmp / "loadfile.dat").open("w+", encoding="utf-8", newline="")
        self.loadfile = LoadFileWriter(self.csv, self.dat)

    def _label(self, number: int) -> str:
        return naming.bates_label(self.info.bates_prefix, number, self.info.bates_width)

    def _payload(self, path: str, chunks: Iterable[bytes], *, compress: bool, size: int | None = None) -> str:
        sha256, written = add_member(
            self.archive, self.root + path, chunks, date_time=self.date_time, compress=compress, size=size
        )
        self.manifest.write(bag.manifest_line(sha256, path))
        self.oxum_bytes += written
        self.oxum_files += 1
        return sha256

    def _payload_file(self, path: str, source: Path) -> tuple[str, int]:
        size = source.stat().st_size
        return self._payload(path, file_chunks(source), compress=False, size=size), size

    def _check(self, document: ProducedDocument) -> None:
        control = naming.check_control(document.control)
        if control in self.controls:
            raise ProductionError(gettext_noop("the control is used twice in this production"), control=control)
        if document.form not in FORMS:
            raise ProductionError(gettext_noop("unknown form %(form)r"), control=control, form=document.form)
        if document.form == "redacted" and document.redaction_log is None:
            raise ProductionError(gettext_noop("a redacted document needs its redaction log"), control=control)
        self.controls.add(control)

    def _stamp(self, source: Path, control: str) -> tuple[Path, int]:
        target = self.tmp / "stamped.pdf"
        first = self.next_number
        pages = stamp_pdf(source, target, label_for=lambda index: self._label(first + index), control=control)
        return target, pages

    def _add_pdf(self, document: ProducedDocument) -> tuple[str, str, int, int]:
        plain = self.tmp / "plain.pdf"
        with plain.open("wb") as handle:
            for chunk in _verified(document):
                handle.write(chunk)
        return self._add_stamped(plain, document.control, self._label(self.next_number))

    def _add_stamped(self, source: Path, control: str, label: str) -> tuple[str, str, int, int]:
        """Stamp ``source`` (removed afterwards) and add it as the document page(s) of ``label``."""
        try:
            stamped, pages = self._stamp(source, control)
        finally:
            source.unlink()
        path = f"{bag.DOCUMENTS}{label}.pdf"
        try:
            sha256, size = self._payload_file(path, stamped)
        finally:
            stamped.unlink()
        return path, sha256, size, pages

    def _add_native(self, document: ProducedDocument) -> tuple[str, str, int, str]:
        label = self._label(self.next_number)
        native = f"{bag.NATIVES}{label}{naming.native_extension(document.media_type)}"
        counted = [0]

        def chunks() -> Iterator[bytes]:
            for chunk in _verified(document):
                counted[0] += len(chunk)
                yield chunk

        native_sha = self._payload(native, chunks(), compress=False)
        sheet = slipsheet.SlipSheet(
            label, document.control, document.display_name, document.media_type, native, native_sha, counted[0]
        )
        source = self.tmp / "slip.pdf"
        source.write_bytes(slipsheet.render(sheet))
        path, sha256, size, _pages = self._add_stamped(source, document.control, label)
        return path, sha256, size, native

    def add(self, document: ProducedDocument) -> None:
        self._check(document)
        native = ""
        if _is_pdf(document.media_type):
            path, sha256, size, pages = self._add_pdf(document)
        else:
            (path, sha256, size, native), pages = self._add_native(document), 1
        first, last = self._label(self.next_number), self._label(self.next_number + pages - 1)
        custody = f"{bag.CUSTODY}{document.control}.json"
        self._payload(custody, [document.custody_report], compress=True)
        redaction = ""
        if document.redaction_log is not None:
            redaction = f"{bag.REDACTION}{document.control}.json"
            self._payload(redaction, [document.redaction_log], compress=True)
        self.loadfile.add(
            [
                *(first, last, str(pages), document.control, document.item_ref, document.form, document.media_type),
                *(document.display_name, document.custodian, document.collected_at or "", sha256),
                *(document.source_sha256.lower(), path, native, custody, redaction),
            ]
        )
        self.results.append(DocumentResult(document.control, first, last, pages, path, sha256, size, bool(native)))
        self.bates_first = self.bates_first or first
        self.bates_last = last
        self.next_number += pages

    def _spooled(self, spool: IO[str], path: str) -> None:
        spool.flush()
        spool.seek(0)
        self._payload(path, (chunk.encode("utf-8") for chunk in iter(lambda: spool.read(65536), "")), compress=True)
        spool.close()

    def _withheld(self, withheld: Sequence[WithheldEntry]) -> Iterator[bytes]:
        yield csv_line(WITHHELD_FIELDS).encode("utf-8")
        for entry in withheld:
            row = clean_row([entry.item_ref, entry.display_name, entry.reason_code, entry.reason])
            yield csv_line(row).encode("utf-8")

    def _bag_info(self, fingerprint: str) -> bytes:
        info = self.info
        return bag.bag_info(
            [
                ("Source-Organization", info.organisation),
                ("Contact-Name", info.prepared_by),
                ("External-Identifier", info.production_ref),
                ("External-Description", info.purpose),
                ("Bagging-Date", self.created.date().isoformat()),
                ("Bag-Software-Agent", "Custody evidence vault"),
                ("Payload-Oxum", f"{self.oxum_bytes}.{self.oxum_files}"),
                ("Production-Case", info.case_ref),
                ("Production-Recipient", info.recipient),
                ("Production-Forum", info.forum),
                ("Production-Created", self.created.isoformat().replace("+00:00", "Z")),
                ("Production-Documents", str(len(self.results))),
                ("Bates-Prefix", info.bates_prefix),
                ("Bates-First", self.bates_first or ""),
                ("Bates-Last", self.bates_last or ""),
                ("Signing-Key-Fingerprint", fingerprint),
            ]
        )

    def _tag(self, name: str, data: bytes | Iterable[bytes], lines: list[str]) -> None:
        chunks = [data] if isinstance(data, bytes) else data
        sha256, _size = add_member(self.archive, self.root + name, chunks, date_time=self.date_time, compress=True)
        lines.append(bag.manifest_line(sha256, name))

    def discard(self) -> None:
        """Give up: nothing more reaches the sink (not even the ZIP directory when the archive is collected)."""
        for spool in (self.manifest, self.csv, self.dat):
            spool.close()
        self.archive.fp = None

    def finish(self, withheld: Sequence[WithheldEntry], signer: Signer) -> Outcome:
        self._spooled(self.csv, bag.LOADFILE_CSV)
        self._spooled(self.dat, bag.LOADFILE_DAT)
        self._payload(bag.WITHHOLDING_LOG, self._withheld(withheld), compress=True)
        fingerprint = signer.fingerprint()
        lines: list[str] = []
        self.manifest.flush()
        self.manifest.seek(0)
        self._tag(bag.MANIFEST, (chunk.encode("utf-8") for chunk in iter(lambda: self.manifest.read(65536), "")), lines)
        self.manifest.close()
        self._tag(bag.BAGIT, bag.BAGIT_TXT, lines)
        self._tag(bag.BAG_INFO, self._bag_info(fingerprint), lines)
        self._tag(bag.PUBLIC_KEY, signer.public_key().encode("ascii"), lines)
        self._tag(bag.README, bag.readme(production_ref=self.info.production_ref, fingerprint=fingerprint), lines)
        tagmanifest = "".join(lines).encode("utf-8")
        signature = signer.sign(tagmanifest)
        self._tag(bag.TAGMANIFEST, tagmanifest, [])
        self._tag(bag.SIGNATURE, signature.encode("ascii"), [])
        self.archive.close()
        return Outcome(tagmanifest, fingerprint, f"{self.oxum_bytes}.{self.oxum_files}")
