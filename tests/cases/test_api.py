"""The cases API: same policy, same services, one error shape."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from cases.models import Case, ConsentRecord, MhpssNote
from tests.cases.conftest import CaseWorld, another_client

Login = Callable[..., Client]


def test_cases_list_and_create(cw: CaseWorld, login: Login) -> None:
    client = login(cw.world.member)
    assert [c["reference"] for c in client.get("/api/v1/cases/").json()] == [cw.case.reference]
    created = client.post(
        "/api/v1/cases/",
        {"reference": "CAF-MINUSCA-0777", "team": cw.world.team_car.pk, "allegation_type": "paternity"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["status"] == "reported"
    bad = client.post("/api/v1/cases/", {"reference": "", "team": 1}, content_type="application/json")
    assert bad.status_code == 400 and "fields" in bad.json()["error"]
    for persona in (cw.world.other_member, cw.world.outsider):
        foreign = login(persona, another_client())
        response = foreign.post(
            "/api/v1/cases/",
            {"reference": "CAF-MINUSCA-0778", "team": cw.world.team_car.pk, "allegation_type": "abuse"},
            content_type="application/json",
        )
        assert response.status_code == 404
        assert foreign.get(f"/api/v1/cases/{cw.case.pk}/").json() == {
            "error": {"code": "not_found", "message": "Not found."}
        }
    assert not Case.objects.filter(reference="CAF-MINUSCA-0778").exists()


def test_record_and_withdraw_consent(cw: CaseWorld, login: Login) -> None:
    url = f"/api/v1/cases/survivors/{cw.child.pk}/consents/"
    body = {
        "action": "share_jurisdiction",
        "target": "bd",
        "decision": "conditional",
        "conditions": "Only to the court",
        "given_by": "guardian",
        "guardian": cw.guardian.pk,
        "child_assent": "given",
        "method": "verbal",
        "language": "Sango",
        "given_on": "2026-03-01",
    }
    for persona in (cw.world.other_member, cw.world.outsider, cw.world.mhpss):
        assert login(persona, another_client()).post(url, body, content_type="application/json").status_code == 404
    client = login(cw.world.member)
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 201, response.content
    state = {
        (c["action"], c["target"]): c["state"]
        for c in client.get(f"/api/v1/cases/survivors/{cw.child.pk}/").json()["consents"]
    }
    assert state[("share_jurisdiction", "BD")] == "conditional"
    no_target = client.post(url, {**body, "target": ""}, content_type="application/json")
    assert no_target.status_code == 400 and "target" in no_target.json()["error"]["fields"]
    withdraw = {
        "action": "share_jurisdiction",
        "target": "BD",
        "given_by": "survivor",
        "method": "verbal",
        "language": "Sango",
    }
    assert (
        login(cw.world.other_member, another_client())
        .post(url + "withdraw/", withdraw, content_type="application/json")
        .status_code
        == 404
    )
    assert client.post(url + "withdraw/", withdraw, content_type="application/json").status_code == 201
    assert ConsentRecord.objects.filter(survivor=cw.child).latest("pk").decision == "withdrawn"


def test_notes_by_mhpss_only(cw: CaseWorld, login: Login) -> None:
    url = f"/api/v1/cases/survivors/{cw.adult.pk}/notes/"
    body = {"body": "Fictional note", "safety_flag": "Interview with MHPSS present"}
    for persona in (cw.world.member, cw.world.other_member, cw.world.outsider):
        assert login(persona, another_client()).post(url, body, content_type="application/json").status_code == 404
    assert login(cw.world.mhpss, another_client()).post(url, body, content_type="application/json").status_code == 201
    assert MhpssNote.objects.count() == 1
    flags = (
        login(cw.world.member, another_client()).get(f"/api/v1/cases/survivors/{cw.adult.pk}/").json()["safety_flags"]
    )
    assert flags[0]["text"] == "Interview with MHPSS present"
