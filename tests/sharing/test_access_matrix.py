"""Every endpoint by persona, generated from the URL configuration and the API schema.

Object-bound endpoints are filled with the objects of one shared case; a foreign lawyer holds a
grant at each level (or an expired or revoked one). Nobody outside the case reaches anything
beyond what the grant allows; an endpoint the schema lists but the matrix does not visit fails.
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from cases.models import Grant, GrantLevel
from cases.sharing import do_revoke_grant
from evidence.models import DerivativeKind, EvidenceItem
from teams.models import Membership
from tests.sharing.conftest import ShareWorld, approve_originals_abroad

_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")

# What a foreign lawyer may reach through a whole-case grant, by level.
GRANTED_METADATA = {
    "cases:detail",
    "evidence:list",
    "evidence:item",
    "annotations:list",
    "api-case",
    "api-evidence-case-items",
    "api-evidence-item",
}
GRANTED = {
    "metadata": GRANTED_METADATA,
    "redacted": GRANTED_METADATA,
    "originals": GRANTED_METADATA,
}
# Pages about the caller themself or with no object: anyone signed in may open them.
PERSONAL = {
    "accounts:login",
    "accounts:otp",
    "accounts:enrol",
    "accounts:logout",
    "accounts:sudo",
    "accounts:settings",
    "accounts:password",
    "accounts:recovery-codes",
    "accounts:token-create",
    "accounts:token-revoke",
    "teams:dashboard",
    "cases:list",
    "cases:create",
    "cases:notifications",
    "api-cases",
    "api-me",
    "api-token",
    "api-sudo",
    "audit:key",
    "api-schema",
    "set_language",
}


def _walk(patterns: list[Any], prefix: str = "", ns: str = "") -> Iterator[tuple[str, str]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            inner = f"{ns}:{p.namespace}".strip(":") if p.namespace else ns
            yield from _walk(p.url_patterns, prefix + str(p.pattern), inner)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), f"{ns}:{p.name}".strip(":") if ns else str(p.name)


def routes() -> list[tuple[str, str]]:
    return [(route, name) for route, name in _walk(get_resolver().url_patterns) if not route.startswith("^")]


def _fill(route: str, ids: dict[str, Any]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(2)
        assert name in ids, f"the access matrix does not know how to fill <{name}> in {route}"
        return str(ids[name])

    return "/" + _PARAM.sub(one, route)


@pytest.fixture
def shared(sw: ShareWorld, upload: Any) -> dict[str, Any]:
    original = EvidenceItem.objects.get(pk=upload(sw.world.member, sw.case, b"original").json()["id"])
    redacted = EvidenceItem.objects.get(pk=upload(sw.world.member, sw.case, b"redacted", name="r.txt").json()["id"])
    EvidenceItem.objects.filter(pk=redacted.pk).update(derivative_of=original, derivative_kind=DerivativeKind.REDACTED)
    sw.concerns(original)
    sw.consent_to_foreign_team()
    grant = sw.grant(level=GrantLevel.METADATA)
    return {
        "case_id": sw.case.pk,
        "item_id": original.pk,
        "survivor_id": sw.survivor.pk,
        "note_id": 999_999,
        "transfer_id": 999_999,
        "grant_id": grant.pk,
        "approval_id": 999_999,
        # Objects the shared case does not have: every persona must get the not-found answer.
        "job_id": 999_999,
        "production_id": 999_999,
        "mark_id": 999_999,
        "user_id": sw.world.member.pk,
        "team_id": sw.world.team_car.pk,
        "membership_id": Membership.objects.get(user=sw.world.member).pk,
        "upload_id": uuid.uuid4(),
        "part": "status",
    }


def _answers(client: Client, ids: dict[str, Any]) -> dict[str, int]:
    return {name: client.get(_fill(route, ids)).status_code for route, name in routes()}


def _assert_confined(answers: dict[str, int], allowed: set[str]) -> None:
    leaks = {n: s for n, s in answers.items() if 200 <= s < 300 and n not in allowed | PERSONAL}
    assert not leaks, leaks
    errors = {n: s for n, s in answers.items() if s >= 500}
    assert not errors, errors


def test_the_schema_lists_no_endpoint_the_matrix_misses() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    known = {"/" + _PARAM.sub(lambda m: "{" + m.group(2) + "}", route) for route, _name in routes()}
    missing = set(schema["paths"]) - known
    assert not missing, missing


@pytest.mark.parametrize("level", ["metadata", "redacted", "originals"])
def test_granted_foreign_lawyer_reaches_only_what_the_level_allows(
    sw: ShareWorld, shared: dict[str, Any], login: Any, level: str
) -> None:
    Grant.objects.all().update(state="revoked")
    if level == "originals":
        approve_originals_abroad(sw)
    sw.grant(level=level, rights=("view", "download", "annotate"))
    answers = _answers(login(sw.world.other_member), shared)
    _assert_confined(answers, GRANTED[level])
    for name in GRANTED[level]:
        assert answers[name] == 200, (name, answers[name])
    if level != "originals":
        assert answers["evidence:content"] == 404


@pytest.mark.parametrize("ended", ["expired", "revoked"])
def test_ended_grant_gives_what_an_outsider_gets(
    sw: ShareWorld, shared: dict[str, Any], login: Any, ended: str
) -> None:
    grant = Grant.objects.get()
    if ended == "revoked":
        do_revoke_grant(grant=grant, user=sw.world.lead)
    else:
        Grant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    foreign = _answers(login(sw.world.other_member), shared)
    outsider = _answers(login(sw.world.outsider, Client(headers={"X-Forwarded-Proto": "https"})), shared)
    _assert_confined(foreign, set())
    object_bound = {n for r, n in routes() if "<" in r}
    assert {n: foreign[n] for n in object_bound} == {n: outsider[n] for n in object_bound}


@pytest.mark.parametrize("who", ["outsider", "admin"])
def test_outsider_and_operator_reach_no_case_material(
    sw: ShareWorld, shared: dict[str, Any], login: Any, who: str
) -> None:
    answers = _answers(login(getattr(sw.world, who)), shared)
    allowed = {"accounts:admin-users", "accounts:admin-user-create", "audit:events", "audit:export"}
    allowed |= {"audit:person", "audit:person-export", "evidence:integrity", "teams:team"}
    _assert_confined(answers, allowed if who == "admin" else set())


@pytest.mark.parametrize("who", ["member", "mhpss", "auditor", "lead"])
def test_case_team_answers_without_errors(sw: ShareWorld, shared: dict[str, Any], login: Any, who: str) -> None:
    answers = _answers(login(getattr(sw.world, who)), shared)
    assert not {n: s for n, s in answers.items() if s >= 500}
    assert answers["cases:detail"] == 200
    if who == "auditor":
        assert answers["evidence:content"] == 404
    if who == "member":
        assert answers["sharing:grants"] == 404


def test_anonymous_reaches_nothing(shared: dict[str, Any]) -> None:
    answers = _answers(Client(headers={"X-Forwarded-Proto": "https"}), shared)
    public = {"accounts:login", "accounts:otp", "audit:key", "set_language", "accounts:enrol", "accounts:logout"}
    leaks = {n: s for n, s in answers.items() if 200 <= s < 300 and n not in public}
    assert not leaks, leaks
