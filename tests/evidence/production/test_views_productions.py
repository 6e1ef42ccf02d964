"""Production pages by persona: the case's lawyers and leads act, auditors follow, everyone else gets 404."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from cases.models import GrantLevel
from cases.sharing import do_grant, do_revoke_grant
from evidence import streaming
from evidence.production_models import Production, ProductionItem, ProductionState, SavedSearch
from evidence.production_services import do_decide_originals_approval, do_release, do_request_originals_approval
from tests.evidence.production.workflow_helpers import ProdWorld, build, pw_fixture  # noqa: F401
from tests.factories import MembershipFactory, UserFactory


def _client(login: Any, pw: ProdWorld, who: str, sudo: bool = True) -> Client:
    return login(getattr(pw.world, who), Client(headers={"X-Forwarded-Proto": "https"}), sudo=sudo)


def _second_lead(pw: ProdWorld) -> Any:
    user = UserFactory(username="second-lead")
    from teams.models import Role

    MembershipFactory(user=user, team=pw.world.team_car, role=Role.COALITION_LEAD)
    return user


def _released(pw: ProdWorld, **kw: Any) -> Production:
    production = build(pw.production(**kw), pw.world.member)
    do_request_originals_approval(production=production, user=pw.world.member, purpose="the court asked for them")
    do_decide_originals_approval(production=production, user=_second_lead(pw), approve=True)
    return do_release(production=production, user=pw.world.member)


@pytest.mark.parametrize("who", ["member", "lead", "auditor"])
def test_the_case_team_follows_productions(pw: ProdWorld, login: Any, who: str) -> None:
    production = pw.production()
    client = _client(login, pw, who)
    page = client.get(reverse("productions:list", args=[pw.case.pk]))
    assert page.status_code == 200 and production.reference in page.content.decode()
    detail = client.get(reverse("productions:detail", args=[production.pk]))
    assert detail.status_code == 200
    assert ("Build the package" in detail.content.decode()) == (who != "auditor")
    assert AuditEvent.objects.filter(
        action="production.viewed", actor_username=pw.world.__dict__[who].username
    ).exists()


@pytest.mark.parametrize("who", ["mhpss", "investigator", "outsider", "other_member"])
def test_others_get_not_found(pw: ProdWorld, login: Any, who: str) -> None:
    production = pw.production()
    client = _client(login, pw, who)
    for url in (
        reverse("productions:list", args=[pw.case.pk]),
        reverse("productions:detail", args=[production.pk]),
        reverse("productions:progress", args=[production.pk]),
        reverse("productions:download", args=[production.pk]),
    ):
        assert client.get(url).status_code == 404, url
    missing = client.get(reverse("productions:detail", args=[999_999]))
    assert missing.status_code == 404


def _write_calls(pw: ProdWorld, production: Production) -> list[tuple[str, dict[str, Any]]]:
    p = production.pk
    return [
        (reverse("productions:create", args=[pw.case.pk]), {"p-recipient": "x", "p-forum": "y", "p-purpose": "z" * 12}),
        (
            reverse("productions:save_search", args=[pw.case.pk]),
            {"s-name": "all pdfs", "s-media_type": "application/pdf"},
        ),
        (reverse("productions:select", args=[p]), {"items": [pw.statement.pk], "remove": "1"}),
        (reverse("productions:withhold", args=[p, pw.statement.pk]), {"reason": "privileged advice"}),
        (reverse("productions:decide", args=[p]), {}),
        (reverse("productions:build", args=[p]), {}),
        (reverse("productions:request_approval", args=[p]), {"purpose": "the court asked for them"}),
        (reverse("productions:decide_approval", args=[p]), {"decision": "approve"}),
        (reverse("productions:release", args=[p]), {}),
        (reverse("productions:revoke", args=[p]), {}),
        (reverse("productions:lift_suspension", args=[p]), {}),
        (reverse("productions:request_lift_approval", args=[p]), {"purpose": "the court still needs them"}),
    ]


@pytest.mark.parametrize("who", ["mhpss", "investigator", "auditor", "outsider", "other_member"])
def test_every_write_view_refuses_people_outside_the_production_team(pw: ProdWorld, login: Any, who: str) -> None:
    production = pw.production()
    client = _client(login, pw, who)
    before = (Production.objects.count(), ProductionItem.objects.count(), SavedSearch.objects.count())
    for url, data in _write_calls(pw, production):
        assert client.post(url, data).status_code == 404, url
    production.refresh_from_db()
    assert production.state == ProductionState.DRAFT
    assert (Production.objects.count(), ProductionItem.objects.count(), SavedSearch.objects.count()) == before
    assert not ProductionItem.objects.filter(privileged=True).exists()
    assert (
        AuditEvent.objects.filter(action="access.denied", actor_username=getattr(pw.world, who).username).count() >= 10
    )


def test_a_lawyer_creates_selects_by_saved_search_and_builds(pw: ProdWorld, login: Any) -> None:
    client = _client(login, pw, "member")
    created = client.post(
        reverse("productions:create", args=[pw.case.pk]),
        {"p-recipient": "TGI Bangui", "p-forum": "TGI Bangui", "p-purpose": "criminal complaint filed"},
    )
    production = Production.objects.get()
    assert created.status_code == 302 and production.bates_prefix == "CAF-MINUSCA-0042-"
    client.post(
        reverse("productions:save_search", args=[pw.case.pk]), {"s-name": "pdfs", "s-media_type": "application/pdf"}
    )
    client.post(reverse("productions:select", args=[production.pk]), {"search": "pdfs"})
    assert list(production.rows.values_list("item_id", flat=True)) == [pw.statement.pk]
    client.post(reverse("productions:decide", args=[production.pk]), {})
    assert production.rows.get().form == "withheld"  # no consent for this forum
    # In the embedded profile the build runs when the request's transaction commits.
    client.post(reverse("productions:build", args=[production.pk]), {})
    production.refresh_from_db()
    assert production.state in {ProductionState.BUILDING, ProductionState.BUILT}
    progress = client.get(reverse("productions:progress", args=[production.pk])).json()
    assert progress["total"] == 0 and progress["state"] == production.state


def test_the_release_needs_sudo_and_a_second_lead(pw: ProdWorld, login: Any) -> None:
    production = build(pw.production(), pw.world.member)
    member = _client(login, pw, "member", sudo=False)
    url = reverse("productions:release", args=[production.pk])
    refused = member.post(url)
    assert refused.status_code == 302 and refused["Location"].startswith(reverse("accounts:sudo"))
    member = _client(login, pw, "member")
    member.post(url)
    production.refresh_from_db()
    assert production.state == ProductionState.BUILT
    member.post(reverse("productions:request_approval", args=[production.pk]), {"purpose": "the court asked for them"})
    # A lawyer cannot decide at all; a second lead's approval is taken.
    own = member.post(reverse("productions:decide_approval", args=[production.pk]), {"decision": "approve"})
    assert own.status_code == 404
    second = _second_lead(pw)
    other = login(second, Client(headers={"X-Forwarded-Proto": "https"}))
    other.post(reverse("productions:decide_approval", args=[production.pk]), {"decision": "approve"})
    member.post(url)
    production.refresh_from_db()
    assert production.state == ProductionState.RELEASED


def test_the_download_is_audited_and_needs_sudo(pw: ProdWorld, login: Any) -> None:
    production = _released(pw)
    url = reverse("productions:download", args=[production.pk])
    assert _client(login, pw, "member", sudo=False).get(url).status_code == 302
    response = _client(login, pw, "member").get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    body = b"".join(response.streaming_content)
    assert body[:2] == b"PK" and len(body) == production.package_size
    event = AuditEvent.objects.get(action="production.downloaded")
    assert event.actor_username == "member" and event.details["channel"] == "web"


@pytest.mark.parametrize("level", [GrantLevel.METADATA, GrantLevel.REDACTED])
def test_a_recipient_team_downloads_only_with_a_live_export_grant(
    pw: ProdWorld, login: Any, level: str, monkeypatch: Any
) -> None:
    from cases.models import ConsentAction

    pw.consent(ConsentAction.SHARE_TEAM, str(pw.world.team_tcc.pk))
    pw.consent(ConsentAction.SHARE_JURISDICTION, "BD")
    grant = do_grant(
        case=pw.case,
        grantee_team=pw.world.team_tcc,
        level=level,
        rights=["view", "export"],
        purpose="joint complaint before the national court",
        user=pw.world.lead,
    )
    production = build(pw.production(recipient_team=pw.world.team_tcc), pw.world.member)
    forms = dict(production.rows.values_list("item_id", "form"))
    # Neither grant level reaches originals; no redacted copy exists, so nothing is produced.
    assert set(forms.values()) == {"withheld"}
    production = do_release(production=production, user=pw.world.member)
    foreign = _client(login, pw, "other_member")
    url = reverse("productions:download", args=[production.pk])
    assert foreign.get(reverse("productions:detail", args=[production.pk])).status_code == 200
    monkeypatch.setattr(streaming, "RECHECK_SECONDS", 0.0)
    response = foreign.get(url)
    assert response.status_code == 200
    chunks = iter(response.streaming_content)
    do_revoke_grant(grant=grant, user=pw.world.lead, reason="case closed")
    with pytest.raises(streaming.AccessEnded):
        for _chunk in chunks:
            time.sleep(0.001)
    assert AuditEvent.objects.filter(action="production.download_stopped").exists()
    assert foreign.get(url).status_code == 404


def test_a_redacted_copy_goes_to_a_recipient_team_with_a_redacted_grant(pw: ProdWorld, upload: Any) -> None:
    from cases.models import ConsentAction

    copy = pw.redacted_copy(upload)
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
    production = build(pw.production(recipient_team=pw.world.team_tcc), pw.world.member)
    row = production.rows.get(item=pw.statement)
    assert (row.form, row.produced_id) == ("redacted", copy.pk)
    assert not production.contains_originals
