"""Bad input to productions answers a clear refusal: country codes, Bates prefixes, command-line values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from cases.models import Case
from evidence.production_models import Production
from evidence.production_services import ProductionRefused, do_create_production
from tests.evidence.production.workflow_helpers import FORUM, ProdWorld, build, pw_fixture  # noqa: F401
from tests.factories import CaseFactory

COMMON = {"recipient": "Cour d'appel de Paris", "forum": FORUM, "purpose": "civil claim in France"}


def test_the_recipients_country_must_be_an_iso_code(pw: ProdWorld) -> None:
    with pytest.raises(ProductionRefused, match="ISO 3166"):
        do_create_production(case=pw.case, user=pw.world.member, recipient_country="XX", **COMMON)
    production = do_create_production(case=pw.case, user=pw.world.member, recipient_country="fr", **COMMON)
    assert production.recipient_country == "FR"


def test_the_form_offers_countries_and_refuses_others(pw: ProdWorld, login: Any) -> None:
    client = login(pw.world.member, Client(headers={"X-Forwarded-Proto": "https"}), sudo=True)
    url = reverse("productions:create", args=[pw.case.pk])
    data = {"p-recipient": "TGI", "p-forum": FORUM, "p-purpose": "criminal complaint filed"}
    client.post(url, {**data, "p-recipient_country": "Paris"})
    assert not Production.objects.exists()
    client.post(url, {**data, "p-recipient_country": "FR"})
    assert Production.objects.get().recipient_country == "FR"


def test_the_second_approver_sees_that_originals_cross_a_border(pw: ProdWorld, login: Any) -> None:
    production = build(pw.production(recipient_country="FR"), pw.world.member)
    assert production.contains_originals
    client = login(pw.world.lead, Client(headers={"X-Forwarded-Proto": "https"}), sudo=True)
    response = client.get(reverse("productions:detail", args=[production.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "France" in page and "The originals leave the case's country: the package goes to France" in page


def test_default_bates_prefixes_differ_between_cases_and_a_prefix_stays_with_its_case(pw: ProdWorld) -> None:
    other = CaseFactory.create(
        organisation=pw.case.organisation, host_jurisdiction=pw.case.host_jurisdiction, teams=[pw.world.team_car]
    )
    Case.objects.filter(pk=other.pk).update(mission="MINUSCA")
    ours = do_create_production(case=pw.case, user=pw.world.member, **COMMON)
    theirs = do_create_production(case=other, user=pw.world.member, **COMMON)
    assert ours.bates_prefix == f"{pw.case.reference}-" and theirs.bates_prefix == f"{other.reference}-"
    with pytest.raises(ProductionRefused, match="Another case"):
        do_create_production(case=other, user=pw.world.member, bates_prefix=ours.bates_prefix, **COMMON)


@pytest.mark.parametrize(
    "arguments",
    [["--production", "CAF-MINUSCA-0042-Pxyz"], ["--production", "nonsense"], ["--case", "X", "--items", "12"]],
)
def test_the_command_answers_malformed_references_with_a_usage_error(
    pw: ProdWorld, tmp_path: Path, arguments: list[str]
) -> None:
    with pytest.raises(CommandError) as refused:
        call_command("build_production", *arguments, "--as", "member", "--out", str(tmp_path))
    assert refused.value.returncode == 2 and "\n" not in str(refused.value)
