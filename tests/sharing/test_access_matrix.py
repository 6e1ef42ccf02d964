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
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from cases.approvals import do_request_approval
from cases.mhpss import do_write_note
from cases.models import ApprovalKind, Grant, GrantLevel
from cases.sharing import do_revoke_grant
from evidence.custody_services import do_propose_transfer
from evidence.models import DerivativeKind, EvidenceItem
from evidence.production_models import Production, ProductionState
from evidence.production_services import do_create_production
from evidence.redaction_models import JobState, MarkKind, RedactionJob, RedactionMark
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
    objects = case_objects(sw, original)
    return {
        "case_id": sw.case.pk,
        "item_id": original.pk,
        "survivor_id": sw.survivor.pk,
        "note_id": objects["note"],
        "transfer_id": objects["transfer"],
        "grant_id": grant.pk,
        "approval_id": objects["approval"],
        "job_id": objects["job"],
        "production_id": objects["production"],
        "mark_id": objects["mark"],
        "user_id": sw.world.member.pk,
        "team_id": sw.world.team_car.pk,
        "membership_id": Membership.objects.get(user=sw.world.member).pk,
        "upload_id": uuid.uuid4(),
        "part": "status",
        "page": 1,
    }


def case_objects(sw: ShareWorld, original: EvidenceItem) -> dict[str, int]:
    """One of each object an endpoint is bound to, in the shared case, in a state where someone may act on it."""
    sw.survivor.custodians.add(sw.world.member)
    note = do_write_note(survivor=sw.survivor, body="sleeps badly since March", user=sw.world.mhpss)
    transfer = do_propose_transfer(
        item_id=original.pk,
        user=sw.world.member,
        acting_as=None,
        request=None,
        to_user=sw.world.investigator,
        reason="field examination",
    )
    approval = do_request_approval(
        kind=ApprovalKind.GRANT_ORIGINALS_ABROAD,
        case=sw.case,
        subject=f"team:{sw.world.team_tcc.pk}",
        purpose="originals for the forensic examiner",
        user=sw.world.lead,
    )
    # A proposal waiting for review, as the proposing task leaves it.
    job = RedactionJob.objects.create(item=original, proposed_by=sw.world.member, state=JobState.PROPOSED)
    mark = RedactionMark.objects.create(job=job, page=1, kind=MarkKind.PATTERN, category="phone", decidable=True)
    # A built production holding originals, waiting for its release (needs a second lead's approval).
    production = do_create_production(
        case=sw.case, recipient="TGI Bangui", forum="TGI Bangui", purpose="criminal complaint", user=sw.world.member
    )
    Production.objects.filter(pk=production.pk).update(state=ProductionState.BUILT, contains_originals=True)
    return {
        "note": note.pk,
        "transfer": transfer.pk,
        "approval": approval.pk,
        "job": job.pk,
        "mark": mark.pk,
        "production": production.pk,
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


# --- Writes -------------------------------------------------------------------------------------
# Every endpoint is sent POST, PUT, PATCH and DELETE by every persona, with an empty body. A method
# the view does not take answers 405 to anyone. Where the view takes it, the personas named in
# WRITES must get past the policy (any answer but 404: a form error, a refusal by the service, a
# redirect); every other signed-in persona gets the not-found answer and nothing in the database
# changes; anonymous callers are sent to sign in (web) or get 401/403 (API).
WRITE_METHODS = ("post", "put", "patch", "delete")
EDITORS = frozenset({"lead", "member", "investigator"})
FOREIGN_LEVELS = frozenset({"foreign:metadata", "foreign:redacted", "foreign:originals"})
# "foreign" alone: the foreign lawyer whatever their grant (their own team's pages).
WRITES: dict[str, frozenset[str]] = {
    "api-consents": EDITORS,
    "api-withdraw": EDITORS,
    "api-notes": frozenset({"mhpss"}),
    "api-evidence-legal-hold": frozenset({"lead", "member"}),
    "api-evidence-download": EDITORS | {"foreign:originals"},
    "accounts:admin-user-create": frozenset({"admin"}),
    "accounts:admin-user-active": frozenset({"admin"}),
    "accounts:admin-user-reset-otp": frozenset({"admin"}),
    "teams:member-add": frozenset({"lead", "admin"}),
    "teams:member-role": frozenset({"lead", "admin"}),
    "teams:member-remove": frozenset({"lead", "admin"}),
    "cases:create": EDITORS | {"foreign"},
    "cases:add": EDITORS,
    "cases:survivor_create": EDITORS,
    "cases:survivor_edit": EDITORS,
    "cases:consent": EDITORS,
    "cases:withdraw": EDITORS,
    "cases:receipt": EDITORS,
    # The member is the survivor's identity custodian.
    "cases:identity": frozenset({"member"}),
    "cases:identity_edit": frozenset({"member"}),
    # The lead, and the member as the survivor's identity custodian.
    "cases:custodians": frozenset({"lead", "member"}),
    "cases:notes": frozenset({"mhpss"}),
    "cases:interviews": EDITORS | {"mhpss"},
    "sharing:grants": frozenset({"lead"}),
    "sharing:request_approval": frozenset({"lead"}),
    "sharing:revoke": frozenset({"lead"}),
    "sharing:decide": frozenset({"lead"}),
    "annotations:list": EDITORS | FOREIGN_LEVELS,
    "item_sharing:grant_items": frozenset({"lead"}),
    "evidence:upload": EDITORS,
    "evidence:tus": EDITORS,
    # A random upload id: nobody's upload, so the not-found answer for everyone.
    "evidence:tus_resource": frozenset(),
    "evidence:download": EDITORS | {"foreign:originals"},
    "evidence:legal_hold": frozenset({"lead", "member"}),
    "evidence:shred": frozenset({"lead"}),
    "evidence:survivors": EDITORS,
    "custody:propose": frozenset({"member"}),
    "custody:accept": frozenset({"investigator"}),
    # The receiver accepted the transfer a moment earlier in the same sweep: nothing is left to decline.
    "custody:decline": frozenset(),
    "custody:cancel": frozenset({"member"}),
    "custody:register_physical": EDITORS,
    "redaction:propose": EDITORS,
    "redaction:decide": frozenset({"lead", "member"}),
    "redaction:reveal": frozenset({"lead", "member"}),
    "redaction:add_term": frozenset({"lead", "member"}),
    "redaction:review": frozenset({"lead", "member"}),
    "redaction:reveal_request": frozenset({"lead", "member"}),
    "redaction:add_area": frozenset({"lead", "member"}),
    "redaction:approve": frozenset({"lead", "member"}),
    # Court productions: a built production of the shared case (steps past their state are refused by the
    # service, after the policy: not 404).
    "productions:create": frozenset({"lead", "member"}),
    "productions:save_search": frozenset({"lead", "member"}),
    "productions:select": frozenset({"lead", "member"}),
    "productions:withhold": frozenset({"lead", "member"}),
    "productions:decide": frozenset({"lead", "member"}),
    "productions:build": frozenset({"lead", "member"}),
    "productions:request_approval": frozenset({"lead", "member"}),
    "productions:decide_approval": frozenset({"lead"}),
    "productions:release": frozenset({"lead", "member"}),
    "productions:revoke": frozenset({"lead", "member"}),
    # Only a released production stopped for a survivor linked later can be resumed (a policy fact, like a
    # release's "built"): on this built one nobody gets past the policy. The personas on a stopped one:
    # tests/evidence/production/test_workflow_lift_suspension.py.
    "productions:lift_suspension": frozenset(),
    "productions:request_lift_approval": frozenset(),
}
# Personas who may see the object and are told why the write is refused (not 404: the object is no
# secret to them); nothing may change either.
VISIBLE_REFUSALS: dict[str, frozenset[str]] = {
    "evidence:shred": frozenset({"member", "investigator", "mhpss", "auditor"}) | FOREIGN_LEVELS,
    # The same sweep reviewed the job as this persona: approving one's own review is refused (four eyes).
    "redaction:approve": frozenset({"lead", "member"}),
}
# About the caller themself (signing in and out, settings, tokens, language): anyone may write there.
# Each of these writes runs in a session of its own, so that signing out or switching the language
# does not change the answers to the requests that follow.
PERSONAL_WRITES = {
    "set_language",
    "api-token",
    "api-sudo",
    "api-cases",
    "accounts:login",
    "accounts:otp",
    "accounts:enrol",
    "accounts:logout",
    "accounts:sudo",
    "accounts:password",
    "accounts:recovery-codes",
    "accounts:token-create",
    "accounts:token-revoke",
}
# Rows a refused write must leave as they were. The audit log grows (refusals are recorded) and
# sessions move with every request, so they are not part of it.
_STATE_APPS = {"accounts", "teams", "cases", "evidence"}
_VOLATILE = {"accounts.usersession", "accounts.user"}


def _state() -> dict[str, list[tuple[Any, ...]]]:
    snapshot = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if model._meta.app_label in _STATE_APPS and label not in _VOLATILE:
            snapshot[label] = list(model.objects.order_by("pk").values_list())
    snapshot["accounts.user"] = list(
        apps.get_model("accounts", "User").objects.order_by("pk").values_list("pk", "is_active", "password")
    )
    return snapshot


def _write(client: Client, route: str, name: str, method: str, ids: dict[str, Any]) -> int:
    path = _fill(route, ids)
    # tus asks for its protocol version before anything else; JSON endpoints for a JSON body.
    headers = {"Tus-Resumable": "1.0.0"}
    if path.startswith("/api/"):
        return getattr(client, method)(path, "{}", content_type="application/json", headers=headers).status_code
    if method == "post":
        return client.post(path, {}, headers=headers).status_code
    return getattr(client, method)(path, "", headers=headers).status_code


def _write_sweep(client: Client, ids: dict[str, Any], fresh: Any) -> dict[tuple[str, str], tuple[int, bool]]:
    """Each (endpoint, method): the status, and whether the database changed."""
    answers = {}
    before = _state()
    for route, name in routes():
        for method in WRITE_METHODS:
            status = _write(fresh() if name in PERSONAL_WRITES else client, route, name, method, ids)
            after = _state() if status != 405 else before
            answers[(name, method)] = (status, after != before)
            before = after
    return answers


def _may_write(persona: str, name: str) -> bool:
    allowed = WRITES[name]
    return persona in allowed or persona.split(":")[0] in allowed


def _assert_writes(answers: dict[tuple[str, str], tuple[int, bool]], persona: str) -> None:
    taken = {name for (name, _m), (status, _c) in answers.items() if status != 405}
    unknown = sorted(taken - set(WRITES) - PERSONAL_WRITES)
    assert not unknown, (
        f"these endpoints take a write method but the access matrix has no expectation for them: {unknown}. "
        "Add each to WRITES (who may write) or PERSONAL_WRITES in tests/sharing/test_access_matrix.py."
    )
    errors = {k: s for k, (s, _c) in answers.items() if s >= 500}
    assert not errors, errors
    checked = {k: v for k, v in answers.items() if v[0] != 405 and k[0] not in PERSONAL_WRITES}
    visible = {k for k in checked if persona in VISIBLE_REFUSALS.get(k[0], frozenset())}
    wrong = {k: s for k, (s, _c) in checked.items() if (s == 404) == (_may_write(persona, k[0]) or k in visible)}
    assert not wrong, f"{persona}: answers against WRITES (404 = refused): {wrong}"
    changed = sorted(k for k, (s, c) in checked.items() if c and (k in visible or not _may_write(persona, k[0])))
    assert not changed, f"{persona}: refused writes changed the database: {changed}"


def test_write_expectations_name_existing_endpoints() -> None:
    names = {name for _route, name in routes()}
    assert not (set(WRITES) | PERSONAL_WRITES) - names, (set(WRITES) | PERSONAL_WRITES) - names


WRITERS = ["lead", "member", "investigator", "mhpss", "auditor", "outsider", "admin"]
WRITERS += [*sorted(FOREIGN_LEVELS), "foreign:expired", "foreign:revoked"]


def _foreign_grant(sw: ShareWorld, persona: str) -> None:
    Grant.objects.all().update(state="revoked")
    level = persona.split(":")[1]
    if level == "originals":
        approve_originals_abroad(sw)
    grant = sw.grant(
        level=level if level in GrantLevel.values else GrantLevel.REDACTED, rights=("view", "download", "annotate")
    )
    if level == "revoked":
        do_revoke_grant(grant=grant, user=sw.world.lead)
    elif level == "expired":
        Grant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))


@pytest.mark.parametrize("persona", WRITERS)
def test_writes_by_persona(sw: ShareWorld, shared: dict[str, Any], login: Any, persona: str) -> None:
    user = sw.world.other_member if persona.startswith("foreign") else getattr(sw.world, persona)
    if persona.startswith("foreign"):
        _foreign_grant(sw, persona)

    def fresh() -> Client:
        return login(user, Client(headers={"X-Forwarded-Proto": "https"}), sudo=True)

    answers = _write_sweep(fresh(), shared, fresh)
    _assert_writes(answers, persona)
    if persona == "lead":
        # The change detector sees a write that goes through: the lead's empty revocation ends the grant.
        assert answers[("sharing:revoke", "post")] == (302, True)


def test_anonymous_writes_are_sent_to_sign_in(shared: dict[str, Any]) -> None:
    client = Client(headers={"X-Forwarded-Proto": "https"})
    answers = _write_sweep(client, shared, lambda: client)
    checked = {k: v for k, v in answers.items() if k[0] not in PERSONAL_WRITES}
    # Signing in comes before everything else, the method included: 302 (web) or 401/403 (API).
    wrong = {k: s for k, (s, _c) in checked.items() if s not in {302, 401, 403, 405}}
    assert not wrong, wrong
    assert not [k for k, (_s, c) in checked.items() if c]
