"""The engine's interface: what a production is made of and what writing one gives back."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol


class Signer(Protocol):
    def sign(self, data: bytes) -> str:
        """An ASCII-armoured detached OpenPGP signature over ``data``."""
        ...

    def fingerprint(self) -> str: ...

    def public_key(self) -> str:
        """The ASCII-armoured public key that checks the signatures."""
        ...


@dataclass(frozen=True)
class ProducedDocument:
    control: str  # stable id inside the production (e.g. DOC-000001): letters, digits, . _ -
    item_ref: str  # the vault item's uid, never a file name
    form: str  # "original" or "redacted"
    media_type: str  # of the produced bytes; application/pdf is stamped, anything else gets a slip sheet
    display_name: str  # neutral; never the original file name, which can name a survivor
    source_sha256: str  # of the produced object's plaintext as recorded by the vault; checked while reading
    custodian: str
    collected_at: str | None  # ISO 8601 UTC
    open_plaintext: Callable[[], Iterator[bytes]]  # verified plaintext chunks, raising on integrity failure
    custody_report: bytes  # JSON of the item's custody report
    redaction_log: bytes | None  # JSON of the derivative's redaction log; required when form is "redacted"


@dataclass(frozen=True)
class WithheldEntry:
    item_ref: str
    display_name: str
    reason_code: str
    reason: str  # in words: privilege, consent missing for <forum>, grant level, residency...


@dataclass(frozen=True)
class PackageInfo:
    production_ref: str
    case_ref: str
    recipient: str
    forum: str
    purpose: str
    prepared_by: str
    organisation: str
    bates_prefix: str
    bates_start: int  # first number to use; PackageResult.next_number is the first one left unused
    created_at: str
    bates_width: int = 6


@dataclass(frozen=True)
class DocumentResult:
    control: str
    bates_first: str
    bates_last: str
    pages: int
    path: str
    sha256: str
    size: int
    slip_sheet: bool


@dataclass(frozen=True)
class PackageResult:
    bag_name: str
    documents: tuple[DocumentResult, ...]
    bates_first: str | None
    bates_last: str | None
    next_number: int
    tagmanifest_sha256: str
    signature_fingerprint: str
    payload_oxum: str
    package_sha256: str
    package_size: int
