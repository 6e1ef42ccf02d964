"""What a package tells its recipient: no survivor's pseudonym or consent decision, no staff network details."""

from __future__ import annotations

import json

from django.utils import timezone

from evidence.custody_report import build_report
from tests.evidence.production.workflow_helpers import ProdWorld, build, package_zip, pw_fixture  # noqa: F401

CONSENT_WORDS = ("withdrawn", "withdrew", "declined", "consent missing", "no effective consent", "proceedings")


def _package_text(pw: ProdWorld) -> dict[str, str]:
    pw.withdraw_proceedings()
    production = build(pw.production(), pw.world.member)
    row = production.rows.get(item=pw.statement)
    # The vault keeps the detailed reason for the people preparing the production.
    assert row.reason_code == "consent" and pw.survivor.code in row.reason
    package = package_zip(production)
    return {name: package.read(name).decode("utf-8", errors="replace") for name in package.namelist()}


def test_no_file_of_the_package_names_the_survivor_or_their_consent(pw: ProdWorld) -> None:
    files = _package_text(pw)
    for name, text in files.items():
        assert pw.survivor.code not in text, name
        for word in CONSENT_WORDS:
            assert word not in text.lower(), (name, word)
    log = next(text for name, text in files.items() if name.endswith("withholding-log.csv"))
    assert str(pw.statement.uid) in log and "withheld to protect a survivor" in log


def test_custody_reports_in_the_package_carry_no_ip_address_or_user_agent(pw: ProdWorld) -> None:
    regular = build_report(pw.photo_log.pk, as_of_seq=10**9, generated_at=timezone.now(), generated_by="x")
    assert any("ip" in event["canonical"] for event in regular["events"])  # the regular report keeps them
    ips = {event["canonical"]["ip"] for event in regular["events"] if event["canonical"].get("ip")}
    assert ips
    files = _package_text(pw)
    reports = {name: text for name, text in files.items() if "custody" in name and name.endswith(".json")}
    assert reports
    for text in reports.values():
        report = json.loads(text)
        assert report["format"] == "custody-report/1+production"
        assert "Network addresses omitted" in report["network_addresses"]
        assert all(set(event) >= {"seq", "hash", "actor", "action", "at"} for event in report["events"])
        assert all("canonical" not in event and "ip" not in event for event in report["events"])
    for name, text in files.items():
        assert not any(ip in text for ip in ips), name
