"""Write views refuse on a production where the step is possible; a missing production costs what a hidden one does."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from cases.models import ConsentAction, GrantLevel
from cases.sharing import do_grant
from evidence.production_models import Production, ProductionItem, ProductionState
from evidence.production_services import do_decide_originals_approval, do_release, do_request_originals_approval
from tests.evidence.production.test_views_productions import _write_calls
from tests.evidence.production.workflow_helpers import ProdWorld, build, pw_fixture  # noqa: F401
from tests.factories import MembershipFactory, UserFactory


def _client(login: Any, user: Any) -> Client:
    return login(user, Client(headers={"X-Forwarded-Proto": "https"}), sudo=True)


def _approved(pw: ProdWorld) -> Production:
    from teams.models import Role

    production = build(pw.production(), pw.world.member)
    second = UserFactory(username="second-lead")
    MembershipFactory(user=second, team=pw.world.team_car, role=Role.COALITION_LEAD)
    do_request_originals_approval(production=production, user=pw.world.member, purpose="the court asked for them")
    do_decide_originals_approval(production=production, user=second, approve=True)
    return production


@pytest.mark.parametrize("who", ["mhpss", "investigator", "auditor", "outsider", "other_member"])
def test_the_release_of_a_built_approved_production_is_refused_to_others(pw: ProdWorld, login: Any, who: str) -> None:
    production = _approved(pw)
    client = _client(login, getattr(pw.world, who))
    assert client.post(reverse("productions:release", args=[production.pk])).status_code == 404
    production.refresh_from_db()
    assert production.state == ProductionState.BUILT
    # The same request by the lawyer who asked for the approval does release it: the refusal was the role's.
    _client(login, pw.world.member).post(reverse("productions:release", args=[production.pk]))
    production.refresh_from_db()
    assert production.state == ProductionState.RELEASED


def test_the_recipient_team_may_download_but_change_nothing(pw: ProdWorld, login: Any) -> None:
    pw.consent(ConsentAction.SHARE_TEAM, str(pw.world.team_tcc.pk))
    pw.consent(ConsentAction.SHARE_JURISDICTION, "BD")
    do_grant(
        case=pw.case,
        grantee_team=pw.world.team_tcc,
        level=GrantLevel.REDACTED,
        rights=["view", "export"],
        purpose="joint complaint before the national court",
        user=pw.world.lead,
    )
    production = do_release(
        production=build(pw.production(recipient_team=pw.world.team_tcc), pw.world.member), user=pw.world.member
    )
    client = _client(login, pw.world.other_member)
    assert client.get(reverse("productions:detail", args=[production.pk])).status_code == 200
    before = (Production.objects.count(), list(ProductionItem.objects.values_list("pk", "form", "privileged")))
    for url, data in _write_calls(pw, production):
        assert client.post(url, data).status_code == 404, url
    production.refresh_from_db()
    assert production.state == ProductionState.RELEASED
    assert (Production.objects.count(), list(ProductionItem.objects.values_list("pk", "form", "privileged"))) == before
    assert AuditEvent.objects.filter(action="access.denied", actor_username=pw.world.other_member.username).exists()


@pytest.mark.parametrize("name", ["productions:detail", "productions:progress", "productions:download"])
def test_a_missing_production_is_judged_like_a_hidden_one(pw: ProdWorld, login: Any, name: str) -> None:
    production = build(pw.production(), pw.world.member)
    client = _client(login, pw.world.outsider)
    client.get(reverse(name, args=[production.pk]))  # warm caches (session, sudo) before counting
    with CaptureQueriesContext(connection) as hidden_queries:
        hidden = client.get(reverse(name, args=[production.pk]))
    with CaptureQueriesContext(connection) as missing_queries:
        missing = client.get(reverse(name, args=[production.pk + 1000]))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    assert len(hidden_queries) == len(missing_queries)
