"""The consent receipt: the survivor's language, the pseudonym by default, the name only as an audited reveal."""

from __future__ import annotations

import subprocess
import tempfile

import pytest

from audit.actions import Action
from audit.models import AuditEvent
from cases.consent_services import do_record_consent, do_withdraw_consent
from cases.receipt import ReceiptContact, do_print_receipt
from cases.survivors import IdentityData, RevealRefused, do_seal_identity
from tests.cases.conftest import CaseWorld, approve_reveal, consent_kwargs

CONTACT = ReceiptContact(organisation="Host Counsel", team="Bangui team", person="Member", details="+236 70 00 00 00")


def _text(pdf: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        out = subprocess.run(["pdftotext", "-layout", f.name, "-"], capture_output=True, check=True)
    return " ".join(out.stdout.decode().split())


@pytest.fixture
def consents(cw: CaseWorld) -> None:
    member = cw.world.member
    do_record_consent(survivor=cw.adult, action="store_evidence", decision="granted", user=member, **consent_kwargs())
    do_record_consent(
        survivor=cw.adult,
        action="proceedings",
        target="Cour pénale spéciale",
        decision="conditional",
        conditions="Anonymised",
        user=member,
        **consent_kwargs(),
    )
    do_record_consent(survivor=cw.adult, action="share_media", decision="refused", user=member, **consent_kwargs())
    do_record_consent(survivor=cw.adult, action="contact", decision="granted", user=member, **consent_kwargs())
    do_withdraw_consent(survivor=cw.adult, action="contact", user=member, method="verbal", language="Sango")


@pytest.mark.parametrize(
    ("language", "title", "agreed", "refused", "withdraw"),
    [
        ("en", "Consent receipt", "Store evidence", "Share with media", "How to withdraw"),
        ("fr", "Reçu de consentement", "Conserver les preuves", "Partager avec les médias", "Comment retirer"),
        ("es", "Recibo de consentimiento", "Conservar las pruebas", "Compartir con los medios", "Cómo retirar"),
    ],
)
def test_receipt_in_the_survivors_language(
    cw: CaseWorld, consents: None, language: str, title: str, agreed: str, refused: str, withdraw: str
) -> None:
    do_seal_identity(survivor=cw.adult, identity=IdentityData(legal_name="Fictional Adult"), user=cw.world.member)
    text = _text(do_print_receipt(survivor=cw.adult, user=cw.world.member, contact=CONTACT, language=language))
    for expected in (
        title,
        agreed,
        refused,
        withdraw,
        "S-CAF-0001",
        "Cour pénale spéciale",
        "Anonymised",
        "Bangui team",
    ):
        assert expected in text
    # Agreed items are listed before the refused and withdrawn ones, which come before how to withdraw.
    assert text.index(agreed) < text.index(refused) < text.rindex(withdraw)
    assert "Fictional Adult" not in text
    assert AuditEvent.objects.filter(action=Action.CONSENT_RECEIPT_PRINTED).latest("seq").details == {
        "language": language,
        "legal_name_printed": False,
    }


def test_the_legal_name_is_printed_only_by_a_custodian_as_a_reveal(cw: CaseWorld, consents: None) -> None:
    do_seal_identity(survivor=cw.adult, identity=IdentityData(legal_name="Fictional Adult"), user=cw.world.member)
    with pytest.raises(RevealRefused):
        do_print_receipt(
            survivor=cw.adult, user=cw.world.investigator, contact=CONTACT, include_name_for_purpose="Handing it over"
        )
    with pytest.raises(RevealRefused):
        do_print_receipt(
            survivor=cw.adult, user=cw.world.member, contact=CONTACT, include_name_for_purpose="Handing it over alone"
        )
    approve_reveal(cw.adult, cw.world.member)
    pdf = do_print_receipt(
        survivor=cw.adult, user=cw.world.member, contact=CONTACT, include_name_for_purpose="Handing it over in person"
    )
    assert "Fictional Adult" in _text(pdf)
    reveal = AuditEvent.objects.filter(action=Action.IDENTITY_REVEALED).get()
    assert reveal.details["channel"] == "receipt"
    assert reveal.purpose == "Handing it over in person"
