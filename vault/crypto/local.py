"""Key-encryption keys in local files (the embedded profile's provider).

Layout: ``<key_dir>/<kind>_<name>/v000001.kek`` per scope and version; each file holds a magic,
a random 16-byte KEK id and the 32-byte key, mode 0600 in 0700 directories. Files are created
under a temporary name and published with ``link()``, which fails if the name exists, so two
processes starting at once agree on one key and nobody ever reads a half-written file.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from pathlib import Path
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from vault.crypto.errors import AuthenticationError, ConfigurationError, KeyUnavailableError
from vault.crypto.keys import KekRef, KeyProvider, WrappedKey, check_context, check_scope

_FILE_MAGIC: Final = b"CKEK\x01"
_ID_SIZE: Final = 16
_KEY_SIZE: Final = 32
_FILE_SIZE: Final = len(_FILE_MAGIC) + _ID_SIZE + _KEY_SIZE
_VERSION_FILE: Final = re.compile(r"v(\d{6})\.kek")
_WRAP_AAD: Final = b"custody/wrap/v1\0"
_NONCE_SIZE: Final = 12


class LocalKeyProvider(KeyProvider):
    name = "local"

    def __init__(self, key_dir: Path) -> None:
        self.key_dir = Path(key_dir)

    # --- files ------------------------------------------------------------------

    def _root(self) -> Path:
        self.key_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        mode = self.key_dir.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ConfigurationError("The key directory must not be accessible to group or others (chmod 700).")
        return self.key_dir

    def _scope_dir(self, scope: str) -> Path:
        kind, name = check_scope(scope).split(":", 1)
        path = self._root() / f"{kind}_{name}"
        with contextlib.suppress(FileExistsError):
            path.mkdir(mode=0o700)
        return path

    def _versions(self, directory: Path) -> list[int]:
        found = (_VERSION_FILE.fullmatch(entry.name) for entry in directory.iterdir())
        return sorted(int(match.group(1)) for match in found if match)

    def _create(self, directory: Path, version: int) -> bool:
        """Publish a new KEK file for ``version``; False if another process published it first."""
        final = directory / f"v{version:06d}.kek"
        temp = directory / f".tmp-{os.urandom(8).hex()}"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(_FILE_MAGIC + os.urandom(_ID_SIZE) + os.urandom(_KEY_SIZE))
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(temp, final)
            except FileExistsError:
                return False
        finally:
            temp.unlink(missing_ok=True)
        _fsync_dir(directory)
        return True

    def _read(self, scope: str, version: int) -> tuple[str, bytes]:
        kind, name = check_scope(scope).split(":", 1)
        path = self.key_dir / f"{kind}_{name}" / f"v{version:06d}.kek"
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            raise KeyUnavailableError("The key-encryption key for this scope and version does not exist.") from None
        with os.fdopen(fd, "rb") as handle:
            raw = handle.read(_FILE_SIZE + 1)
        if len(raw) != _FILE_SIZE or not raw.startswith(_FILE_MAGIC):
            raise KeyUnavailableError("A key-encryption key file is damaged.")
        start = len(_FILE_MAGIC)
        return raw[start : start + _ID_SIZE].hex(), raw[start + _ID_SIZE :]

    # --- KeyProvider ---------------------------------------------------------------

    def current(self, scope: str) -> KekRef:
        directory = self._scope_dir(scope)
        versions = self._versions(directory)
        if not versions:
            self._create(directory, 1)
            versions = self._versions(directory)
        version = versions[-1]
        kek_id, _ = self._read(scope, version)
        return KekRef(provider=self.name, scope=scope, kek_id=kek_id, version=version)

    def rotate(self, scope: str) -> KekRef:
        directory = self._scope_dir(scope)
        while True:
            versions = self._versions(directory)
            version = (versions[-1] if versions else 0) + 1
            if self._create(directory, version):
                kek_id, _ = self._read(scope, version)
                return KekRef(provider=self.name, scope=scope, kek_id=kek_id, version=version)

    def wrap(self, data_key: bytes, *, scope: str, context: str) -> WrappedKey:
        ref = self.current(scope)
        _, kek = self._read(scope, ref.version)
        shell = WrappedKey(provider=self.name, scope=scope, kek_id=ref.kek_id, kek_version=ref.version, payload=b"")
        nonce = os.urandom(_NONCE_SIZE)
        sealed = AESGCM(kek).encrypt(nonce, data_key, _WRAP_AAD + shell.prefix() + check_context(context))
        return WrappedKey(
            provider=self.name, scope=scope, kek_id=ref.kek_id, kek_version=ref.version, payload=nonce + sealed
        )

    def unwrap(self, wrapped: WrappedKey, *, context: str) -> bytes:
        kek_id, kek = self._read(wrapped.scope, wrapped.kek_version)
        if kek_id != wrapped.kek_id:
            raise KeyUnavailableError("The key-encryption key this data key was wrapped with has been destroyed.")
        nonce, sealed = wrapped.payload[:_NONCE_SIZE], wrapped.payload[_NONCE_SIZE:]
        try:
            return AESGCM(kek).decrypt(nonce, sealed, _WRAP_AAD + wrapped.prefix() + check_context(context))
        except InvalidTag:
            raise AuthenticationError("The wrapped key does not open: wrong context or modified.") from None

    # --- shredding ------------------------------------------------------------------

    def destroy_scope(self, scope: str) -> int:
        """Delete every KEK version of a scope: all data keys wrapped under it become unrecoverable
        (except through escrow). Returns the number of versions destroyed.

        Files are overwritten before unlinking, which helps on plain disks; on SSDs, copy-on-write
        filesystems or backed-up volumes old blocks may survive, so keep the key directory off backups
        or encrypt the volume (docs/encryption.md).
        """
        kind, name = check_scope(scope).split(":", 1)
        directory = self._root() / f"{kind}_{name}"
        if not directory.exists():
            return 0
        graveyard = self._root() / f".destroyed-{os.urandom(8).hex()}"
        directory.rename(graveyard)
        count = 0
        for entry in graveyard.iterdir():
            if _VERSION_FILE.fullmatch(entry.name):
                count += 1
                _overwrite(entry)
            entry.unlink()
        graveyard.rmdir()
        _fsync_dir(self._root())
        return count


def _overwrite(path: Path) -> None:
    size = path.stat().st_size
    fd = os.open(path, os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "wb") as handle:
        handle.write(os.urandom(size))
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
