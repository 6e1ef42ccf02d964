"""A production verifies both ways, and any change to any file makes both ways fail.

"Both ways": ``verify_package`` (the ``verify_production`` command) and the documented steps with
standard tools only, run from a real shell: unzip, bagit.py --validate, sha256sum -c on both
manifests, gpg --import of the packaged key into a fresh GNUPGHOME and gpg --verify.
"""

from __future__ import annotations

import hashlib
import shutil
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from evidence.production.package import write_package
from evidence.production.verify import UnusableInput, verify_package
from tests.evidence.production.engine_helpers import (
    KeySigner,
    NonSeekable,
    clerk_steps,
    info,
    mixed_documents,
    shell,
    signer,
    withheld,
)

BAG = "CAF-2026-0007-P003"
MANAGE = Path(__file__).resolve().parents[3] / "manage.py"
TAG_FILES = [
    "bagit.txt",
    "bag-info.txt",
    "manifest-sha256.txt",
    "tagmanifest-sha256.txt",
    "tagmanifest-sha256.txt.asc",
    "signing-key.asc",
    "README.txt",
]
PAYLOAD = [
    *(f"data/documents/CAF-MINUSCA-{n:06d}.pdf" for n in (1, 2, 6, 7, 9)),
    "data/natives/CAF-MINUSCA-000006.csv",
    "data/natives/CAF-MINUSCA-000009.png",
    *(f"data/custody/DOC-00000{n}.json" for n in range(1, 6)),
    "data/redaction/DOC-000004.json",
    "data/loadfile.csv",
    "data/loadfile.dat",
    "data/withholding-log.csv",
]
EVERY_FILE = TAG_FILES + PAYLOAD


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sink = NonSeekable()
    write_package(sink, info=info(), documents=mixed_documents(), withheld=withheld(), signer=signer())
    path = tmp_path_factory.mktemp("production") / f"{BAG}.zip"
    path.write_bytes(sink.getvalue())
    return path


@pytest.fixture
def bag(package: Path, tmp_path: Path) -> Path:
    done = shell(f"unzip -q {package}", tmp_path)
    assert done.returncode == 0, done.stderr
    return tmp_path / BAG


def _clerk_fails(bag: Path) -> bool:
    return any(code != 0 for _step, code, _output in clerk_steps(bag))


def test_every_file_of_the_bag_is_covered_here(bag: Path) -> None:
    found = sorted(str(path.relative_to(bag)) for path in bag.rglob("*") if path.is_file())
    assert found == sorted(EVERY_FILE)


def test_sound_package_verifies_with_the_command(package: Path, bag: Path) -> None:
    for target in (package, bag, bag.parent):
        report = verify_package(target, fingerprints=[signer().fingerprint()])
        assert report.sound, report.first_problem
        names = [check.name for check in report.checks if check.name != "ZIP"]
        assert names == ["bag", "tag files", "signature", "signer", "Bates numbers", "load files"]
        assert report.fingerprint == signer().fingerprint()
        assert report.bag_name == BAG


def test_sound_package_verifies_with_standard_tools(bag: Path) -> None:
    for step, code, output in clerk_steps(bag):
        assert code == 0, (step, output)
    gpg_output = clerk_steps(bag)[-1][2]
    assert "Good signature" in gpg_output and signer().fingerprint() in gpg_output.replace(" ", "")


@pytest.mark.parametrize("name", EVERY_FILE)
def test_flipping_a_byte_in_any_file_fails_both_ways(bag: Path, name: str) -> None:
    target = bag / name
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    report = verify_package(bag)
    assert not report.sound
    assert _clerk_fails(bag)


@pytest.mark.parametrize("name", EVERY_FILE)
def test_removing_any_file_fails_both_ways(bag: Path, name: str) -> None:
    (bag / name).unlink()
    assert not verify_package(bag).sound
    assert _clerk_fails(bag)


def test_a_damaged_zip_member_fails_both_ways(package: Path, tmp_path: Path) -> None:
    data = bytearray(package.read_bytes())
    with zipfile.ZipFile(package) as archive:
        member = archive.getinfo(f"{BAG}/data/natives/CAF-MINUSCA-000009.png")
    name_length, extra_length = struct.unpack_from("<HH", data, member.header_offset + 26)
    data[member.header_offset + 30 + name_length + extra_length + 50] ^= 0x01  # inside the stored PNG
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(bytes(data))
    report = verify_package(damaged)
    assert not report.sound
    assert report.first_problem is not None and report.first_problem.startswith("ZIP: damaged members")
    assert "bag" in {check.name for check in report.checks if not check.ok}
    assert shell(f"unzip -q {damaged}", tmp_path).returncode != 0


def test_an_added_file_fails_both_ways(bag: Path) -> None:
    (bag / "data" / "documents" / "extra.pdf").write_bytes(b"%PDF-1.4 planted")
    assert not verify_package(bag).sound
    assert _clerk_fails(bag)


def _edit_loadfile(bag: Path) -> None:
    loadfile = bag / "data" / "loadfile.csv"
    loadfile.write_bytes(loadfile.read_bytes().replace(b"Exhibit DOC-000002", b"Exhibit DOC-000099"))


def _rehash(bag: Path) -> None:
    """Recompute both manifests as a forger would (the signature cannot be recomputed without the key)."""
    for manifest, base in (("manifest-sha256.txt", bag), ("tagmanifest-sha256.txt", bag)):
        lines = []
        for line in (bag / manifest).read_text(encoding="utf-8").splitlines():
            _digest, name = line.split("  ", 1)
            lines.append(f"{hashlib.sha256((base / name).read_bytes()).hexdigest()}  {name}\n")
        (bag / manifest).write_text("".join(lines), encoding="utf-8")


def test_editing_the_load_file_fails_both_ways(bag: Path) -> None:
    _edit_loadfile(bag)
    report = verify_package(bag)
    assert not report.sound and "bag" in (report.first_problem or "")
    assert _clerk_fails(bag)


def test_edited_load_file_with_recomputed_manifests_fails_on_the_signature(bag: Path) -> None:
    _edit_loadfile(bag)
    _rehash(bag)
    report = verify_package(bag)
    failed = {check.name for check in report.checks if not check.ok}
    assert failed == {"signature", "load files"}
    steps = {step: code for step, code, _output in clerk_steps(bag)}
    assert steps["gpg --verify tagmanifest-sha256.txt.asc tagmanifest-sha256.txt"] != 0
    assert steps["bagit.py --validate ."] == 0


def test_signature_over_a_modified_tag_manifest_fails(bag: Path) -> None:
    manifest = bag / "tagmanifest-sha256.txt"
    manifest.write_bytes(manifest.read_bytes() + b"\n")
    report = verify_package(bag)
    assert [check.name for check in report.checks if not check.ok] == ["signature"]
    assert _clerk_fails(bag)


def test_a_package_signed_by_another_key_is_refused_when_a_key_is_required(package: Path, bag: Path) -> None:
    other = KeySigner("Someone else")
    (bag / "tagmanifest-sha256.txt.asc").write_text(other.sign((bag / "tagmanifest-sha256.txt").read_bytes()))
    assert not verify_package(bag).sound
    assert not verify_package(package, key=other.public_key()).sound
    assert not verify_package(package, fingerprints=[other.fingerprint()]).sound
    assert verify_package(package, key=signer().public_key(), fingerprints=[signer().fingerprint()]).sound


def test_a_resigned_gap_in_the_bates_numbers_is_found(bag: Path) -> None:
    """Even a package signed after tampering is checked for continuity and stamps."""
    loadfile = bag / "data" / "loadfile.csv"
    six, seven = b"CAF-MINUSCA-000006", b"CAF-MINUSCA-000007"
    loadfile.write_bytes(loadfile.read_bytes().replace(six + b"," + six, seven + b"," + seven))
    _rehash(bag)
    (bag / "tagmanifest-sha256.txt.asc").write_text(signer().sign((bag / "tagmanifest-sha256.txt").read_bytes()))
    report = verify_package(bag)
    failed = {check.name: check.detail for check in report.checks if not check.ok}
    assert "a gap" in failed["Bates numbers"] and "DOC-000003" in failed["Bates numbers"]
    assert "load files" in failed


def test_encrypted_or_missing_input_is_unusable(tmp_path: Path) -> None:
    encrypted = tmp_path / "package.zip.gpg"
    encrypted.write_bytes(b"\x85\x01\x0c\x03" + bytes(64))
    with pytest.raises(UnusableInput, match="decrypt it first"):
        verify_package(encrypted)
    with pytest.raises(UnusableInput, match="does not exist"):
        verify_package(tmp_path / "nothing.zip")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UnusableInput, match=r"no bagit\.txt"):
        verify_package(tmp_path / "empty")


def test_zip_with_an_unsafe_path_is_unusable(tmp_path: Path) -> None:
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("../outside.txt", b"x")
    with pytest.raises(UnusableInput, match="unsafe path"):
        verify_package(evil)
    assert not (tmp_path.parent / "outside.txt").exists()


def test_the_command_prints_each_check_and_exits_by_outcome(
    package: Path, bag: Path, capsys: pytest.CaptureFixture
) -> None:
    call_command("verify_production", str(package), "--fingerprint", signer().fingerprint())
    out = capsys.readouterr().out
    assert out.count("ok  ") == 7 and f"production {BAG} is sound" in out
    shutil.copy(package, bag.parent / "copy.zip")
    (bag / "data" / "loadfile.dat").unlink()
    with pytest.raises(CommandError) as broken:
        call_command("verify_production", str(bag))
    assert broken.value.returncode == 1 and "the production is broken" in str(broken.value)
    with pytest.raises(CommandError) as unusable:
        call_command("verify_production", str(bag.parent / "missing.zip"))
    assert unusable.value.returncode == 2


def test_the_command_exit_status_from_a_shell(package: Path, bag: Path) -> None:
    def run(*args: str) -> int:
        command = [sys.executable, str(MANAGE), "verify_production", *args]
        return subprocess.run(command, capture_output=True, check=False).returncode

    assert run(str(package), "--fingerprint", signer().fingerprint()) == 0
    (bag / "README.txt").write_text("changed")
    assert run(str(bag)) == 1
    assert run(str(bag / "README.txt")) == 2
