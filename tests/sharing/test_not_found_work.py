"""A missing object costs the same database work as a hidden one: its timing tells nothing either."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.sharing.conftest import ShareWorld
from tests.sharing.test_access_matrix import shared  # noqa: F401  (the shared case and its objects)
from tests.sharing.test_not_found_alike import MISSING, PROBES


def _queries(client: Any, method: str, url_name: str, args: list[int]) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(reverse(url_name, args=args), headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 404
    # The statements' shapes, ids, values and savepoint names aside: the same tables read in the same
    # order. (A hidden object's refusal may name more audit targets, inserted in the same one statement.)
    cut = r" WHERE | VALUES | SET | SELECT \* FROM UNNEST"
    return [re.sub(r"\d+", "N", re.split(cut, q["sql"])[0]) for q in captured.captured_queries]


@pytest.mark.parametrize(("name", "method", "url_name", "keys"), PROBES, ids=[p[0] for p in PROBES])
def test_a_missing_object_is_judged_with_the_same_queries_as_a_hidden_one(
    sw: ShareWorld,
    shared: dict[str, Any],  # noqa: F811
    login: Any,
    name: str,
    method: str,
    url_name: str,
    keys: tuple[str, ...],
) -> None:
    client = login(sw.world.outsider)
    real = [shared[k] for k in keys]
    _queries(client, method, url_name, real)  # warm the caches a first request fills (session, actor)
    hidden = _queries(client, method, url_name, real)
    missing = _queries(client, method, url_name, [MISSING] * len(real))
    assert missing == hidden, name


@pytest.mark.parametrize("url_name", ["teams:team", "audit:person"])
def test_a_missing_team_or_person_is_judged_like_a_hidden_one(sw: ShareWorld, login: Any, url_name: str) -> None:
    client = login(sw.world.outsider)
    real = [sw.world.team_car.pk if url_name == "teams:team" else sw.world.member.pk]
    _queries(client, "get", url_name, real)
    hidden = _queries(client, "get", url_name, real)
    missing = _queries(client, "get", url_name, [MISSING])
    assert missing == hidden
    answers = [client.get(reverse(url_name, args=ids)).content for ids in (real, [MISSING])]
    assert answers[0] == answers[1]
