"""Bulk intake links the survivors named with --survivor (or marks 'concerns no survivor'), as the form does.

The last test runs ``manage.py vault_ingest`` from a shell, in a separate process of the embedded profile
with its own database file, as an operator would.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from audit.models import AuditEvent
from cases.models import Case
from cases.survivors import do_create_survivor
from evidence.models import EvidenceItem

pytestmark = pytest.mark.django_db


def _drive(tmp_path: Path) -> Path:
    drive = tmp_path / "drive"
    drive.mkdir()
    (drive / "statement.txt").write_bytes(b"first statement")
    (drive / "photo.bin").write_bytes(os.urandom(2000))
    return drive


def test_survivors_named_on_the_command_line_are_linked(world: Any, case: Case, tmp_path: Path) -> None:
    first = do_create_survivor(case=case, user=world.member)
    second = do_create_survivor(case=case, user=world.member)
    out = io.StringIO()
    call_command(
        "vault_ingest", str(_drive(tmp_path)), case=case.reference, username="member", format="json",
        survivors=[first.code, second.code.lower()], stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    assert [row["status"] for row in json.loads(out.getvalue())] == ["stored", "stored"]
    for item in EvidenceItem.objects.filter(case=case):
        assert set(item.survivors.all()) == {first, second} and not item.no_survivor_material
    events = AuditEvent.objects.filter(action="evidence.uploaded", details__channel="bulk")
    assert all(e.details["survivor_ids"] == sorted([first.pk, second.pk]) for e in events) and events.count() == 2


def test_no_survivor_material_flag(world: Any, case: Case, tmp_path: Path) -> None:
    call_command(
        "vault_ingest", str(_drive(tmp_path)), case=case.reference, username="member", no_survivor_material=True,
        stdout=io.StringIO(), stderr=io.StringIO(),
    )  # fmt: skip
    assert all(item.no_survivor_material for item in EvidenceItem.objects.filter(case=case))


@pytest.mark.parametrize("problem", ["unknown", "other_case", "both"])
def test_bad_survivor_choice_stores_nothing(world: Any, case: Case, tmp_path: Path, problem: str) -> None:
    own = do_create_survivor(case=case, user=world.member)
    other = Case.objects.create(
        reference="CAF-MINUSCA-0998", organisation=case.organisation, host_jurisdiction=case.host_jurisdiction
    )
    foreign = do_create_survivor(case=other, user=world.member)
    choices: dict[str, dict[str, Any]] = {
        "unknown": {"survivors": ["S-CAF-9999"]},
        "other_case": {"survivors": [foreign.code]},
        "both": {"survivors": [own.code], "no_survivor_material": True},
    }
    options = choices[problem]
    with pytest.raises(CommandError, match="survivor"):
        call_command(
            "vault_ingest", str(_drive(tmp_path)), case=case.reference, username="member",
            stdout=io.StringIO(), stderr=io.StringIO(), **options,
        )  # fmt: skip
    assert not EvidenceItem.objects.exists()


def test_refused_user_learns_nothing_about_survivors(world: Any, case: Case, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="unknown case or user"):
        call_command(
            "vault_ingest", str(_drive(tmp_path)), case=case.reference, username="outsider",
            survivors=["S-CAF-9999"], stdout=io.StringIO(), stderr=io.StringIO(),
        )  # fmt: skip


SETUP = r"""
import django
django.setup()
from django.core.management import call_command
from accounts.models import User
from cases.models import Case
from cases.survivors import do_create_survivor
from teams.models import Jurisdiction, Membership, Organisation, Role, Team
call_command("migrate", verbosity=0)
car = Jurisdiction.objects.create(country="CF")
org = Organisation.objects.create(name="Host Counsel", slug="host-counsel", jurisdiction=car)
team = Team.objects.create(organisation=org, jurisdiction=car, name="Bangui", slug="bangui")
user = User.objects.create_user(username="member", password="correct horse battery staple 42")
Membership.objects.create(user=user, team=team, role=Role.LAWYER)
case = Case.objects.create(reference="CAF-MINUSCA-0001", organisation=org, host_jurisdiction=car)
case.teams.set([team])
print(" ".join(do_create_survivor(case=case, user=user).code for _ in range(2)))
"""

REPORT = r"""
import json
import django
django.setup()
from evidence.models import EvidenceItem
print(json.dumps({i.display_name: sorted(s.code for s in i.survivors.all()) for i in EvidenceItem.objects.all()}))
"""


@pytest.mark.skipif(settings.PRODUCTION, reason="runs the embedded profile in a separate process")
def test_vault_ingest_from_a_shell(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("CUSTODY_", "DATABASE_", "CELERY_"))}
    env.update(CUSTODY_VAR_DIR=str(tmp_path / "var"), DJANGO_SETTINGS_MODULE="vault.settings")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *args], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=300
        )

    setup = run("-c", SETUP)
    assert setup.returncode == 0, setup.stderr[-2000:]
    first, second = setup.stdout.split()
    drive = _drive(tmp_path)
    base = ["manage.py", "vault_ingest", "--case", "CAF-MINUSCA-0001", "--as", "member", "--format", "json"]
    refused = run(*base, "--survivor", first, "--survivor", "S-CAF-0999", str(drive))
    assert refused.returncode == 1
    assert "not a survivor of case CAF-MINUSCA-0001: S-CAF-0999" in refused.stderr
    both = run(*base, "--survivor", first, "--no-survivor-material", str(drive))
    assert both.returncode == 1 and "--no-survivor-material" in both.stderr
    assert json.loads(run("-c", REPORT).stdout) == {}
    done = run(*base, "--survivor", first, "--survivor", second, str(drive))
    assert done.returncode == 0, done.stderr[-2000:]
    assert [row["status"] for row in json.loads(done.stdout)] == ["stored", "stored"]
    assert "2 stored, 0 failed" in done.stderr
    linked = json.loads(run("-c", REPORT).stdout)
    assert sorted(linked) == ["CAF-MINUSCA-0001/E0001", "CAF-MINUSCA-0001/E0002"]
    assert all(codes == sorted([first, second]) for codes in linked.values())
