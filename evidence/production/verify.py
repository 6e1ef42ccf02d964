"""Checking a production package: the bag, the signature, the Bates numbers and the load files.

Everything is checked against the files themselves, as a receiver would: the bag with the
``bagit`` library (complete, every checksum), the detached signature over the tag manifest with
gpg in a fresh home directory holding only the packaged key (or a key the caller trusts), the
signer (a package is sound only when its signer was named by the caller: the key inside a package
proves nothing about who made it), the Bates ranges against the stamped pages, and the load files
against the manifest and each other.
A ZIP is extracted into the memory scratch first and removed afterwards; one that would not fit there
(with room left for the vault's own work) or that expands like a decompression bomb is refused.
"""

from __future__ import annotations

import logging
import os
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Final

import bagit

from evidence.production import bag
from evidence.production.errors import ProductionError
from evidence.production.signature import check_signature
from evidence.production.stamps import check_bates
from evidence.production.tables import check_load_files, read_bag_info, read_manifest
from evidence.redaction.scratch import scratch_base

logging.getLogger("bagit").setLevel(logging.WARNING)


class UnusableInput(Exception):
    """The path is not something a production can be checked from (missing, encrypted, not a bag)."""


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class VerifyReport:
    path: str
    checks: list[Check] = field(default_factory=list)
    fingerprint: str | None = None
    bag_name: str | None = None

    @property
    def sound(self) -> bool:
        return bool(self.checks) and all(check.ok for check in self.checks)

    @property
    def first_problem(self) -> str | None:
        return next((f"{check.name}: {check.detail}" for check in self.checks if not check.ok), None)


def _looks_like_bag(directory: Path) -> bool:
    # A bag that lost its bagit.txt is still a (broken) bag to report on, not unusable input.
    return any((directory / name).is_file() for name in (bag.BAGIT, bag.BAG_INFO, bag.MANIFEST, bag.TAGMANIFEST))


def _bag_dir(directory: Path) -> Path:
    if _looks_like_bag(directory):
        return directory
    children = [child for child in directory.iterdir() if not child.name.startswith(".")]
    if len(children) == 1 and children[0].is_dir() and _looks_like_bag(children[0]):
        return children[0]
    raise UnusableInput(f"{directory} is neither a bag (no bagit.txt) nor a directory holding exactly one bag")


def _safe_members(archive: zipfile.ZipFile) -> None:
    tops = set()
    for info in archive.infolist():
        parts = PurePosixPath(info.filename).parts
        if info.filename.startswith("/") or ".." in parts or "\\" in info.filename or not parts:
            raise UnusableInput(f"the ZIP holds an unsafe path: {info.filename!r}")
        if (info.external_attr >> 16) & 0o170000 == 0o120000:
            raise UnusableInput(f"the ZIP holds a symbolic link: {info.filename!r}")
        tops.add(parts[0])
    if len(tops) != 1:
        raise UnusableInput("the ZIP must hold exactly one top directory, the bag")


# A production's members are PDFs, images and natives that barely compress; a large member that
# claims to expand more than this is a decompression bomb, not evidence.
MAX_RATIO: Final = 100
RATIO_FLOOR: Final = 1 << 20  # smaller members cannot hurt, whatever their ratio
# A tmpfs's size is a cap, not a reservation: its pages come out of the host's memory. A verification
# may take half of what is both free in the scratch and available in memory; the rest stays for the
# vault's own redactions and builds.
SCRATCH_SHARE: Final = 2


def _extract_here_instead(path: Path, why: str) -> UnusableInput:
    return UnusableInput(
        f"{why}; not extracted into the memory scratch. Extract it to a directory on a disk with room "
        f"(unzip {path.name}) and verify that directory"
    )


def _check_sizes(path: Path, archive: zipfile.ZipFile, target: Path) -> None:
    """Refuse before writing a byte when the declared sizes would fill the scratch (zipfile then holds
    every member to its declared size, so the declared total is a real bound)."""
    for info in archive.infolist():
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            why = f"{info.filename} claims to expand {info.file_size // max(info.compress_size, 1)}-fold"
            raise _extract_here_instead(path, why)
    total = sum(info.file_size for info in archive.infolist())
    allowed = _scratch_room(target) // SCRATCH_SHARE
    if total > allowed:
        why = f"it expands to {total} bytes, over the {allowed} bytes a verification may take in the scratch"
        raise _extract_here_instead(path, why)


def _scratch_room(target: Path) -> int:
    stats = os.statvfs(target)
    room = stats.f_bavail * stats.f_frsize
    try:
        meminfo = Path("/proc/meminfo").read_text(encoding="ascii")
    except OSError:
        return room
    for line in meminfo.splitlines():
        if line.startswith("MemAvailable:"):
            return min(room, int(line.split()[1]) * 1024)
    return room


def _extract(path: Path, target: Path) -> tuple[Path, list[str]]:
    """Extract the ZIP member by member; the bag directory and the members that failed their CRC."""
    damaged = []
    try:
        with zipfile.ZipFile(path) as archive:
            _safe_members(archive)
            _check_sizes(path, archive, target)
            for info in archive.infolist():
                try:
                    archive.extract(info, target)
                except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
                    damaged.append(f"{info.filename} ({exc})")
                    (target / info.filename).unlink(missing_ok=True)
    except zipfile.BadZipFile as exc:
        raise UnusableInput(f"{path} is not a readable ZIP file ({exc})") from exc
    return _bag_dir(target), damaged


def _kind(path: Path) -> str:
    if not path.exists():
        raise UnusableInput(f"{path} does not exist")
    if path.is_dir():
        return "dir"
    with path.open("rb") as handle:
        head = handle.read(4)
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if path.suffix.lower() in (".gpg", ".pgp") or (head and head[0] & 0x80):
        raise UnusableInput(
            f"{path} is encrypted (OpenPGP): decrypt it first with the recipient's key, "
            f"e.g. gpg --output package.zip --decrypt {path.name}, then verify the ZIP"
        )
    raise UnusableInput(f"{path} is not a ZIP file or a bag directory")


def _bag_check(directory: Path) -> str:
    try:
        bagit.Bag(str(directory)).validate(processes=1)
    except bagit.BagValidationError as exc:
        details = "; ".join(str(detail) for detail in exc.details[:3])
        raise ProductionError(f"{exc.message}{': ' + details if details else ''}") from exc
    except (bagit.BagError, OSError) as exc:
        raise ProductionError(str(exc)) from exc
    return "complete; every file matches manifest-sha256.txt and tagmanifest-sha256.txt"


def _tag_files_check(directory: Path) -> str:
    listed = set(read_manifest(directory, bag.TAGMANIFEST))
    expected = set(bag.TAG_FILES)
    if listed != expected:
        raise ProductionError(f"the tag manifest must list exactly {', '.join(sorted(expected))}")
    allowed = expected | {bag.TAGMANIFEST, bag.SIGNATURE, "data"}
    extra = sorted(child.name for child in directory.iterdir() if child.name not in allowed)
    if extra:
        raise ProductionError(f"files outside the signed manifests: {', '.join(extra)}")
    return "the signed tag manifest covers every tag file"


def _signer_check(found: str, *, key: str | None, fingerprints: Sequence[str]) -> str:
    # Anyone can re-sign an altered bag with a key of their own and ship that key inside it: a good
    # signature proves an origin only when the key was expected before looking at the package.
    if key is None and not fingerprints:
        raise ProductionError(
            f"the signature is valid but its signer is not established: compare the fingerprint {found} "
            "with the one the producing organisation published, then verify with --fingerprint"
        )
    return f"{found} is the expected signer"


def _run(report: VerifyReport, name: str, check: Callable[[], str]) -> None:
    try:
        report.checks.append(Check(name, True, check()))
    except ProductionError as exc:
        report.checks.append(Check(name, False, str(exc)))
    except (OSError, ValueError, KeyError, UnicodeDecodeError) as exc:
        report.checks.append(Check(name, False, f"{exc.__class__.__name__}: {exc}"))


def _verify_bag(directory: Path, report: VerifyReport, *, key: str | None, fingerprints: Sequence[str]) -> None:
    report.bag_name = directory.name
    _run(report, "bag", lambda: _bag_check(directory))
    _run(report, "tag files", lambda: _tag_files_check(directory))

    def signature() -> str:
        found = check_signature(directory, key=key, fingerprints=fingerprints)
        report.fingerprint = found
        expected = read_bag_info(directory).get("Signing-Key-Fingerprint", "")
        if expected.upper() != found.upper():
            raise ProductionError(f"signed by {found}, but bag-info.txt names {expected or 'no key'}")
        return f"good signature over {bag.TAGMANIFEST} by key {found}"

    _run(report, "signature", signature)
    if report.checks[-1].ok:
        _run(report, "signer", lambda: _signer_check(report.fingerprint or "", key=key, fingerprints=fingerprints))
    _run(report, "Bates numbers", lambda: check_bates(directory))
    _run(report, "load files", lambda: check_load_files(directory))


def verify_package(path: str | Path, *, key: str | None = None, fingerprints: Sequence[str] = ()) -> VerifyReport:
    """Check a production (an extracted bag directory or the ZIP). ``key``: an ASCII-armoured public
    key to check the signature with instead of the packaged one; ``fingerprints``: the signature
    must be by one of these keys. Without either, the "signer" check fails even for a good signature.
    Raises UnusableInput when there is nothing to check."""
    source = Path(path)
    report = VerifyReport(path=str(source))
    if _kind(source) == "dir":
        _verify_bag(_bag_dir(source), report, key=key, fingerprints=fingerprints)
        return report
    with tempfile.TemporaryDirectory(prefix="custody-verify-", dir=scratch_base()) as tmp:
        directory, damaged = _extract(source, Path(tmp))
        detail = f"damaged members: {', '.join(damaged[:3])}" if damaged else "every member read back intact"
        report.checks.append(Check("ZIP", not damaged, detail))
        _verify_bag(directory, report, key=key, fingerprints=fingerprints)
    return report
