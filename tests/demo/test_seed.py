from __future__ import annotations

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from audit.models import AuditEvent
from demo import seed
from teams.models import Membership, Organisation, Role, Team

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def demo(*args: str) -> str:
    """Run a demo command; the production-profile test run is a throwaway installation, hence --force."""
    return run(*args, *(["--force"] if settings.PRODUCTION else []))


def test_seed_creates_every_role_in_both_countries_and_is_idempotent() -> None:
    output = demo("seed_demo")
    counts = (User.objects.count(), Membership.objects.count(), Team.objects.count(), AuditEvent.objects.count())
    demo("seed_demo")
    assert counts == (
        User.objects.count(),
        Membership.objects.count(),
        Team.objects.count(),
        AuditEvent.objects.count(),
    )
    assert set(Membership.objects.values_list("role", flat=True)) == set(Role)
    countries = {str(c) for c in Organisation.objects.values_list("jurisdiction__country", flat=True)}
    assert {seed.HOST_COUNTRY, seed.TCC_COUNTRY} <= countries
    assert seed.DEMO_PASSWORD in output and "demo_totp" in output
    assert TOTPDevice.objects.filter(confirmed=True).count() == len(seed.PEOPLE)


def test_demo_account_signs_in_with_the_printed_code(client: Client) -> None:
    demo("seed_demo")
    client.post(reverse("accounts:login"), {"username": "demo-lawyer", "password": seed.DEMO_PASSWORD})
    code = demo("demo_totp", "demo-lawyer").strip()
    assert len(code) == 6
    response = client.post(reverse("accounts:otp"), {"code": code})
    assert response["Location"] == reverse("teams:dashboard")
    assert "Bangui litigation team" in client.get(reverse("teams:dashboard")).content.decode()


def test_demo_totp_refuses_other_accounts() -> None:
    demo("seed_demo")
    User.objects.create_user(username="real-person", password="x" * 20)
    with pytest.raises(CommandError, match="not a demonstration account"):
        demo("demo_totp", "real-person")


@override_settings(PRODUCTION=True)
def test_refused_in_production_without_force() -> None:
    with pytest.raises(CommandError, match="production"):
        run("seed_demo")
    with pytest.raises(CommandError, match="production"):
        run("demo_totp", "demo-lead")
    assert not User.objects.exists()
    run("seed_demo", "--force")
    assert User.objects.filter(username="demo-admin").exists()


def test_the_demo_case_has_a_built_production_of_redacted_copies_only() -> None:
    from evidence.production_models import Production, ProductionState

    demo("seed_demo")
    production = Production.objects.get(case__reference=seed.DEMO_CASE)
    assert production.state == ProductionState.BUILT, production.failure
    assert not production.contains_originals
    assert list(production.rows.values_list("form", flat=True)) == ["redacted"]
    demo("seed_demo")
    assert Production.objects.count() == 1
