"""The command line builds what the pages build: saved search, extraction, encryption to the recipient."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import Any

import gnupg
from django.core.management import call_command

from audit.models import AuditEvent
from evidence.production_models import Production, ProductionState
from evidence.production_package import package_chunks, package_filename
from evidence.production_selectors import ItemFilter
from evidence.production_services import do_save_search
from teams.models import Organisation
from tests.evidence.production.workflow_helpers import FORUM, ProdWorld, build, pw_fixture  # noqa: F401


def test_a_saved_search_built_extracted_and_verified(pw: ProdWorld, upload: Any, tmp_path: Path) -> None:
    # Originals stay home and the court sits abroad: only redacted copies leave, no second approval needed.
    Organisation.objects.filter(pk=pw.case.organisation_id).update(originals_stay_in_jurisdiction=True)
    copy = pw.redacted_copy(upload)
    do_save_search(case=pw.case, name="statements", wanted=ItemFilter(media_type="application/pdf"), user=pw.world.lead)
    call_command(
        "build_production",
        *["--case", pw.case.reference, "--as", "member", "--forum", FORUM, "--recipient", "Cour d'appel de Paris"],
        *["--purpose", "civil claim", "--recipient-country", "FR", "--saved-search", "statements"],
        *["--out", str(tmp_path), "--extract"],
    )
    production = Production.objects.get()
    assert production.state == ProductionState.RELEASED
    assert list(production.rows.values_list("produced_id", flat=True)) == [copy.pk]
    bag = tmp_path / production.package_name
    assert (bag / "bagit.txt").exists() and not list(tmp_path.glob("*.zip"))
    call_command("verify_production", str(bag))
    checked = subprocess.run(["sha256sum", "-c", "manifest-sha256.txt"], cwd=bag, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout
    assert AuditEvent.objects.filter(action="production.items_selected", details__source="statements").exists()


def _recipient_key(home: Path) -> tuple[gnupg.GPG, str]:
    gpg = gnupg.GPG(gnupghome=str(home))
    spec = gpg.gen_key_input(
        key_type="EDDSA",
        key_curve="ed25519",
        subkey_type="ECDH",
        subkey_curve="cv25519",
        name_email="clerk@court.invalid",
        no_protection=True,
        expire_date=0,
    )
    key = gpg.gen_key(spec)
    return gpg, str(gpg.export_keys(str(key.fingerprint)))


def test_a_package_encrypted_to_the_recipient_opens_with_their_key_only(pw: ProdWorld, tmp_path: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="recipient-gpg-") as home:
        Path(home).chmod(0o700)
        gpg, public = _recipient_key(Path(home))
        production = build(pw.production(recipient_key=public), pw.world.member)
        assert production.state == ProductionState.BUILT, production.failure
        assert package_filename(production).endswith(".zip.gpg")
        sealed = b"".join(package_chunks(production))
        assert not sealed.startswith(b"PK")
        opened = gpg.decrypt(sealed)
        # The agent key generation and decryption started must not outlive the test.
        subprocess.run(["gpgconf", "--homedir", home, "--kill", "gpg-agent"], capture_output=True, check=False)
        assert opened.ok and opened.data.startswith(b"PK")
