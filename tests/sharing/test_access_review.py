"""The access review: each grant's last use, read from the audit log in a fixed number of queries.

A case's grants page lists the same grants, also in a fixed number of queries.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from cases.models import Grant
from cases.sharing import default_expiry
from cases.sharing_selectors import access_review
from teams.models import Role
from tests.factories import CaseFactory, MembershipFactory, UserFactory
from tests.sharing.conftest import ShareWorld

pytestmark = pytest.mark.django_db
HTTPS = {"X-Forwarded-Proto": "https"}  # as the suite's own client: the production profile redirects plain HTTP


def _last_used(grant: Grant) -> Any:
    return next(row.last_used for row in access_review({grant.case.organisation_id}) if row.grant.pk == grant.pk)


def test_last_use_is_the_last_audited_action_on_the_case_by_someone_the_grant_covers(
    sw: ShareWorld, login: Any
) -> None:
    sw.consent_to_foreign_team()
    colleague = UserFactory(username="foreign-colleague")
    MembershipFactory(user=colleague, team=sw.world.team_tcc, role=Role.LAWYER)
    team_wide = sw.grant()
    for_them = sw.grant(grantee_user=sw.world.other_member)
    for_colleague = sw.grant(grantee_user=colleague)
    assert [_last_used(g) for g in (team_wide, for_them, for_colleague)] == [None, None, None]
    login(sw.world.other_member).get(reverse("cases:detail", args=[sw.case.pk]))
    read = AuditEvent.objects.filter(action="case.viewed", actor_id=sw.world.other_member.pk).latest("seq")
    assert _last_used(team_wide) == read.occurred_at
    assert _last_used(for_them) == read.occurred_at
    assert _last_used(for_colleague) is None  # a grant to one person is used by that person only
    # The case's own team acting on the case is not a use of the grant, nor the grantee acting elsewhere.
    login(sw.world.member).get(reverse("cases:detail", args=[sw.case.pk]))
    assert _last_used(team_wide) == read.occurred_at


def test_actions_before_the_grant_was_made_are_not_its_use(sw: ShareWorld, login: Any) -> None:
    sw.consent_to_foreign_team()
    first = sw.grant()
    login(sw.world.other_member).get(reverse("cases:detail", args=[sw.case.pk]))
    later = sw.grant(grantee_user=sw.world.other_member)
    assert _last_used(first) is not None and _last_used(later) is None


def _add_grants(sw: ShareWorld, cases: list[Any], count: int) -> None:
    """``count`` more grants across ``cases``, team-wide and to one person."""
    start = Grant.objects.count()
    for number in range(start, start + count):
        Grant.objects.create(
            case=cases[number % len(cases)],
            grantee_team=sw.world.team_tcc,
            grantee_user=sw.world.other_member if number % 3 == 1 else None,
            level="metadata",
            rights=["view"],
            purpose=f"review {number}",
            expires_at=default_expiry(),
            granted_by=sw.world.lead,
        )


def _ok(response: Any) -> None:
    assert response.status_code == 200 and b"review " in response.content


def _queries(action: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured.captured_queries)


def test_the_review_costs_the_same_queries_for_one_grant_as_for_several(sw: ShareWorld, login: Any) -> None:
    other = CaseFactory.create(
        organisation=sw.world.org_car, host_jurisdiction=sw.world.team_car.jurisdiction, teams=[sw.world.team_car]
    )
    organisations = {sw.world.org_car.pk}
    lead = login(sw.world.lead, Client(headers=HTTPS), sudo=True)
    grantee = login(sw.world.other_member, Client(headers=HTTPS))

    def cost() -> tuple[int, int, int]:
        for case_id in set(Grant.objects.values_list("case_id", flat=True)):
            assert grantee.get(reverse("cases:detail", args=[case_id])).status_code == 200
        rows = access_review(organisations)  # every grant used: the subquery found an event for each
        assert rows and all(row.last_used is not None for row in rows)
        page = lambda: _ok(lead.get(reverse("sharing:review")))  # noqa: E731
        export = lambda: _ok(lead.get(reverse("sharing:review"), {"format": "csv"}))  # noqa: E731
        return _queries(lambda: access_review(organisations)), _queries(page), _queries(export)

    _add_grants(sw, [sw.case], 1)
    one = cost()
    _add_grants(sw, [sw.case, other], 7)
    assert len(access_review(organisations)) == 8
    assert cost() == one
    # The grants with their case, team (named with its organisation), person and grantor, then the items' prefetch.
    assert one[0] == 2


def test_a_cases_grants_page_costs_the_same_queries_for_one_grant_as_for_several(sw: ShareWorld, login: Any) -> None:
    lead = login(sw.world.lead, Client(headers=HTTPS))
    url = reverse("sharing:grants", args=[sw.case.pk])
    _add_grants(sw, [sw.case], 1)
    one = _queries(lambda: _ok(lead.get(url)))
    _add_grants(sw, [sw.case], 6)
    assert _queries(lambda: _ok(lead.get(url))) == one
