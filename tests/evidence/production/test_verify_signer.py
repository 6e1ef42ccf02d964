"""A good signature is not enough: the signer must be the one expected before opening the package.

The forgery: alter a custody report, swap the packaged key for the forger's, name the forger's key
in bag-info.txt and README.txt, recompute both manifests and sign the tag manifest with that key.
Every file then agrees with every other; only the signer's identity gives it away.
"""

from __future__ import annotations

import io
import re
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from pytest_django.fixtures import Settings as SettingsWrapper

from audit import signing
from evidence.production.package import write_package
from evidence.production.signer import VaultSigner
from evidence.production.verify import verify_package
from tests.evidence.production.engine_helpers import KeySigner, NonSeekable, info, mixed_documents, shell, withheld
from tests.evidence.production.test_verify_package import BAG, _rehash


@pytest.fixture(scope="module")
def forger() -> KeySigner:
    return KeySigner("Forger")


@pytest.fixture
def genuine(tmp_path: Path) -> Path:
    """A package signed by this vault's key, extracted."""
    sink = NonSeekable()
    write_package(sink, info=info(), documents=mixed_documents()[:2], withheld=withheld(), signer=VaultSigner())
    (tmp_path / "p.zip").write_bytes(sink.getvalue())
    done = shell("unzip -q p.zip", tmp_path)
    assert done.returncode == 0, done.stderr
    return tmp_path / BAG


@pytest.fixture
def forged(genuine: Path, forger: KeySigner) -> Path:
    vault = signing.fingerprint()
    custody = genuine / "data" / "custody" / "DOC-000001.json"
    data = bytearray(custody.read_bytes())
    digit = next(index for index, byte in enumerate(data) if chr(byte).isdigit())
    data[digit] = ord("8") if data[digit] == ord("9") else ord("9")  # same size: Payload-Oxum still holds
    custody.write_bytes(bytes(data))
    (genuine / "signing-key.asc").write_text(forger.public_key())
    for name in ("bag-info.txt", "README.txt"):
        path = genuine / name
        path.write_text(path.read_text(encoding="utf-8").replace(vault, forger.fingerprint()), encoding="utf-8")
    _rehash(genuine)
    manifest = genuine / "tagmanifest-sha256.txt"
    (genuine / "tagmanifest-sha256.txt.asc").write_text(forger.sign(manifest.read_bytes()))
    return genuine


def _command(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("verify_production", *args, stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue() + str(error)
    return 0, out.getvalue()


def test_bag_info_and_readme_name_the_signer(genuine: Path) -> None:
    vault = signing.fingerprint()
    assert f"Signing-Key-Fingerprint: {vault}" in (genuine / "bag-info.txt").read_text(encoding="utf-8")
    readme = (genuine / "README.txt").read_text(encoding="utf-8")
    assert vault in readme and "  gpg --fingerprint\n" in readme


def test_the_forgery_agrees_with_itself(forged: Path, forger: KeySigner) -> None:
    """Checked against its own key only, nothing but the signer's identity is wrong."""
    report = verify_package(forged)
    failed = [check for check in report.checks if not check.ok]
    assert [check.name for check in failed] == ["signer"]
    assert "not established" in failed[0].detail and forger.fingerprint() in failed[0].detail
    assert not report.sound


def test_the_command_refuses_the_forgery_by_default(forged: Path) -> None:
    code, out = _command(str(forged))
    assert code == 1
    assert f"expected signer: this vault's signing key {signing.fingerprint()}" in out
    assert "sound" not in out


def test_the_command_refuses_the_forgery_given_the_vaults_fingerprint(forged: Path, tmp_path: Path) -> None:
    assert _command(str(forged), "--fingerprint", signing.fingerprint())[0] == 1
    key = tmp_path / "vault-key.asc"
    key.write_text(signing.public_key())
    assert _command(str(forged), "--key", str(key))[0] == 1


def test_the_forgery_passes_only_with_the_forgers_own_fingerprint(forged: Path, forger: KeySigner) -> None:
    code, out = _command(str(forged), "--fingerprint", forger.fingerprint())
    assert code == 0 and "is sound" in out


def test_the_genuine_package_is_sound_by_default_inside_the_vault(genuine: Path) -> None:
    code, out = _command(str(genuine))
    assert code == 0 and f"production {BAG} is sound" in out


def test_without_a_vault_key_or_a_named_signer_nothing_is_sound(genuine: Path, settings: SettingsWrapper) -> None:
    vault = signing.fingerprint()
    home = Path(tempfile.mkdtemp(prefix="custody-no-key-"))
    settings.CUSTODY_GNUPG_HOME = home
    try:
        code, out = _command(str(genuine))
        assert signing.known_fingerprints() == []  # verifying created no key
    finally:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], capture_output=True, check=False)
        subprocess.run(["rm", "-rf", str(home)], check=False)
    assert code == 1
    assert "the signature is valid but its signer is not established" in out
    assert f"compare the fingerprint {vault}" in out and "is sound" not in out


def _clerk_sees(bag: Path) -> tuple[bool, set[str]]:
    """The documented clerk steps 5 and 6: whether gpg finds a good signature, and every fingerprint
    the clerk reads (gpg --verify, gpg --fingerprint, bag-info.txt, README.txt)."""
    home = tempfile.mkdtemp(prefix="custody-clerk-")
    env = {"PATH": "/usr/bin:/bin", "GNUPGHOME": home, "LC_ALL": "C.UTF-8"}
    try:
        outputs = [
            shell(step, bag, env)
            for step in (
                "gpg --import signing-key.asc",
                "gpg --verify tagmanifest-sha256.txt.asc tagmanifest-sha256.txt",
                "gpg --fingerprint",
                "grep Signing-Key-Fingerprint bag-info.txt",
            )
        ]
    finally:
        subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], capture_output=True, check=False)
        subprocess.run(["rm", "-rf", home], check=False)
    text = "".join(done.stdout + done.stderr for done in outputs).replace(" ", "")
    readme = (bag / "README.txt").read_text(encoding="utf-8")
    shown = set(re.findall(r"[0-9A-F]{40}", text + readme))
    return outputs[1].returncode == 0 and "Goodsignature" in text, shown


def test_the_clerk_sees_the_vaults_fingerprint_on_a_genuine_package(genuine: Path) -> None:
    good, shown = _clerk_sees(genuine)
    assert good and shown == {signing.fingerprint()}


def test_the_clerk_catches_the_forgery_only_by_comparing_fingerprints(forged: Path, forger: KeySigner) -> None:
    good, shown = _clerk_sees(forged)
    assert good  # the tools alone are satisfied
    assert shown == {forger.fingerprint()} and signing.fingerprint() not in shown


def test_a_vault_home_out_of_reach_counts_as_no_vault_key(genuine: Path, settings: SettingsWrapper) -> None:
    settings.CUSTODY_GNUPG_HOME = "/proc/custody-no-such-home"  # cannot be created, even by root
    code, out = _command(str(genuine))
    assert code == 1 and "no vault signing key to compare with" in out
    assert "signer is not established" in out
