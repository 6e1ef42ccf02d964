"""The vault's signer for productions: the GnuPG signing key of audit checkpoints (audit/signing.py)."""

from __future__ import annotations

from audit import signing


class VaultSigner:
    """Signs with the vault's key; one key signs audit checkpoints and productions alike."""

    def sign(self, data: bytes) -> str:
        signature, _fingerprint = signing.sign(data)
        return signature

    def fingerprint(self) -> str:
        return signing.fingerprint()

    def public_key(self) -> str:
        return signing.public_key()
