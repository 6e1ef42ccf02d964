"""A subject key's escrow copy does not depend on the server's KEK versions: it survives rotation and loss."""

from __future__ import annotations

import pytest

from tests.vault.test_crypto_escrow import Recovery, escrow_on, recovery  # noqa: F401 - fixtures
from vault import crypto
from vault.crypto import KeyUnavailableError


def test_escrow_copy_opens_fields_after_rotation_and_loss_of_every_kek_version(
    escrow_on: Recovery,  # noqa: F811
) -> None:
    context = "survivor:41:identity"
    key = crypto.FieldKey.create(scope="jur:CF", context=context)
    escrowed = key.escrow()
    assert escrowed is not None
    token = key.encrypt(b'{"legal_name": "Fictional Person"}', field="value")
    crypto.rotate_kek("jur:CF")
    rewrapped = crypto.rewrap(key.wrapped, context=context)
    crypto.destroy_local_scope("jur:CF")
    for wrapped in (key.wrapped, rewrapped):
        with pytest.raises(KeyUnavailableError):
            crypto.FieldKey.open(wrapped, context=context)
    recovered = crypto.FieldKey.from_escrow(escrowed, context=context, gnupg_home=escrow_on.recovery_home)
    assert recovered.decrypt(token, field="value") == b'{"legal_name": "Fictional Person"}'
    with pytest.raises(crypto.AuthenticationError):
        recovered.decrypt(token, field="mhpss_note:1")
