"""Encrypting the package to the recipient's OpenPGP key while it is written.

gpg runs as a child process in a throw-away home directory (in the memory scratch) holding only
the recipient's public key. The ZIP goes into gpg's standard input and the ciphertext comes back
on its standard output; both pipes are served from the calling thread with ``select`` so the
caller's sink is only ever written from that thread and at most a pipe's worth of bytes waits.
Compression is off: the payload is mostly PDFs and already-compressed natives.
"""

from __future__ import annotations

import fcntl
import os
import select
import subprocess
import tempfile
from pathlib import Path

import gnupg
from django.utils.translation import gettext_noop

from evidence.production.errors import ProductionError
from evidence.production.stream import Writable

FAILED = gettext_noop("encryption to the recipient key failed: %(messages)s")

PIPE_CHUNK = 64 * 1024


def import_recipient(recipient_key: str, home: Path) -> tuple[gnupg.GPG, str]:
    """Import the key into ``home``; the gpg handle and the fingerprint of the key to encrypt to."""
    home.mkdir(mode=0o700, exist_ok=True)
    # No agent: encrypting to a public key needs no secret key, and an agent would outlive the home.
    gpg = gnupg.GPG(gnupghome=str(home), options=["--no-autostart"])
    imported = gpg.import_keys(recipient_key)
    fingerprints = sorted(set(imported.fingerprints or []))
    if len(fingerprints) != 1:
        raise ProductionError(gettext_noop("the recipient key must be exactly one OpenPGP public key"))
    keys = [key for key in gpg.list_keys() if key["fingerprint"] == fingerprints[0]]
    if not keys or "E" not in str(keys[0].get("cap", "")):
        raise ProductionError(
            gettext_noop("the recipient key cannot encrypt (no valid encryption subkey; expired or revoked?)")
        )
    return gpg, fingerprints[0]


def _nonblocking(fd: int) -> None:
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)


class EncryptingSink:
    """A write-only stream: bytes written are encrypted to the recipient and passed on to ``sink``."""

    def __init__(self, sink: Writable, recipient_key: str, home: Path) -> None:
        gpg, self.fingerprint = import_recipient(recipient_key, home)
        self.sink = sink
        self.errors = tempfile.TemporaryFile(dir=home)  # noqa: SIM115 (gpg's messages only; closed by close/abort)
        command = [gpg.gpgbinary, "--homedir", str(home), "--batch", "--no-tty", "--no-autostart", "--quiet"]
        command += ["--trust-model", "always"]
        command += ["--compress-algo", "none", "--recipient", self.fingerprint, "--output", "-", "--encrypt"]
        self.process = subprocess.Popen(  # noqa: S603 (fixed arguments, no shell)
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errors
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.stdin, self.stdout = self.process.stdin.fileno(), self.process.stdout.fileno()
        _nonblocking(self.stdin)
        _nonblocking(self.stdout)

    def _drain(self) -> bool:
        try:
            chunk = os.read(self.stdout, PIPE_CHUNK * 4)
        except BlockingIOError:
            return True
        if chunk:
            self.sink.write(chunk)
        return bool(chunk)

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        while view:
            readable, writable, _ = select.select([self.stdout], [self.stdin], [])
            if readable:
                self._drain()
            if writable:
                try:
                    view = view[os.write(self.stdin, view[:PIPE_CHUNK]) :]
                except BlockingIOError:
                    continue
                except BrokenPipeError as exc:
                    raise ProductionError(FAILED, messages=self._messages()) from exc
        return len(data)

    def flush(self) -> None:
        return None

    def close(self) -> None:
        """Finish the encryption and pass the last ciphertext on; raises if gpg failed."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        while True:
            select.select([self.stdout], [], [])
            if not self._drain():
                break
        if self.process.wait() != 0:
            raise ProductionError(FAILED, messages=self._messages())
        self._close_pipes()

    def abort(self) -> None:
        self.process.kill()
        self.process.wait()
        self._close_pipes()

    def _close_pipes(self) -> None:
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None and not pipe.closed:
                pipe.close()
        self.errors.close()

    def _messages(self) -> str:
        self.errors.seek(0)
        return self.errors.read(2000).decode("utf-8", "replace").strip() or "gpg gave no reason"
