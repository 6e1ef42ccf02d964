"""No gpg-agent started by the vault outlives the operation that needed it.

gpg 2.2 starts an agent for every use of a secret key (and for listing secret keys); left alone it
daemonises, stays behind the worker and keeps the unlocked key in memory. Counted by process, for
the GnuPG home in question, with real gpg.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import gnupg
import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from audit import signing
from vault.crypto.escrow import escrow_data_key, recover_data_key


def _count(home: Path) -> int:
    found = subprocess.run(["pgrep", "-fc", f"gpg-agent --homedir {home}"], capture_output=True, text=True)
    return int(found.stdout.strip() or 0)


def _agents(home: Path, *, within: float = 5.0) -> int:
    # An agent told to stop (gpgconf --kill) exits on its own a moment later: count again until
    # none is left or the time is up, so a busy machine does not fail a stopped agent.
    deadline = time.monotonic() + within
    count = _count(home)
    while count and time.monotonic() < deadline:
        time.sleep(0.05)
        count = _count(home)
    return count


def _stop(home: Path) -> None:
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], capture_output=True, check=False)


@pytest.fixture
def home() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="custody-agents-"))
    path.chmod(0o700)
    try:
        yield path
    finally:
        _stop(path)
        subprocess.run(["rm", "-rf", str(path)], check=False)


def test_audit_signing_leaves_no_agent(home: Path, settings: SettingsWrapper) -> None:
    settings.CUSTODY_GNUPG_HOME = home
    created = signing.fingerprint()  # creates the key: a secret-key operation
    assert _agents(home) == 0
    signature, by = signing.sign(b"statement")
    assert by == created
    assert _agents(home) == 0
    assert signing.verify(b"statement", signature) == created
    assert signing.fingerprint() == created
    assert "BEGIN PGP PUBLIC KEY BLOCK" in signing.public_key()
    assert _agents(home) == 0


def _recovery_key(recovery: Path, server: Path) -> str:
    offline = gnupg.GPG(gnupghome=str(recovery))
    spec = offline.gen_key_input(
        key_type="EDDSA",
        key_curve="ed25519",
        subkey_type="ECDH",
        subkey_curve="cv25519",
        name_email="recovery@coalition.test",
        no_protection=True,
    )
    fingerprint = str(offline.gen_key(spec).fingerprint)
    assert gnupg.GPG(gnupghome=str(server)).import_keys(offline.export_keys(fingerprint)).count == 1
    # Setting up the keys is the operator's work, not the vault's: their agents go before counting.
    _stop(recovery)
    _stop(server)
    return fingerprint


def _escrowed(home: Path) -> tuple[Path, Path, bytes]:
    """A server home holding a recovery public key, the recovery home, and a data key escrowed to it."""
    server, recovery = home / "server", home / "recovery"
    for path in (server, recovery):
        path.mkdir(mode=0o700)
    fingerprint = _recovery_key(recovery, server)
    message = escrow_data_key(
        b"k" * 32, scope="local:test", context="item:1", fingerprints=[fingerprint], gnupg_home=server
    )
    assert message is not None
    return server, recovery, message


def test_escrow_leaves_no_agent(home: Path) -> None:
    server, recovery, message = _escrowed(home)
    assert _agents(server) == 0
    assert recover_data_key(message, context="item:1", gnupg_home=recovery) == b"k" * 32
    assert _agents(recovery) == 0


def test_recovery_keeps_an_agent_it_did_not_start(home: Path) -> None:
    _server, recovery, message = _escrowed(home)
    subprocess.run(["gpg-connect-agent", "--homedir", str(recovery), "/bye"], capture_output=True, check=True)
    assert _count(recovery) == 1
    assert recover_data_key(message, context="item:1", gnupg_home=recovery) == b"k" * 32
    assert _count(recovery) == 1


def test_audit_signing_keeps_an_agent_the_operator_runs(home: Path, settings: SettingsWrapper) -> None:
    settings.CUSTODY_GNUPG_HOME = home
    signing.fingerprint()
    subprocess.run(["gpg-connect-agent", "--homedir", str(home), "/bye"], capture_output=True, check=True)
    assert _count(home) == 1
    signing.sign(b"statement")
    assert _count(home) == 1
