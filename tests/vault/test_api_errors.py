"""Malformed or unauthorised API requests get a clear JSON error in one shape: {"error": {"code", "message"}}."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tests.conftest import World

pytestmark = pytest.mark.django_db
ECHO = "/api/v1/echo/"


def error_of(response: Any) -> dict[str, Any]:
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["message"]
    return dict(body["error"])


@pytest.mark.urls("tests.vault.api_error_urls")
def test_a_well_formed_request_is_answered(world: World, login: Callable[..., Client]) -> None:
    response = login(world.member).post(ECHO, {"count": 3}, content_type="application/json")
    assert response.status_code == 200
    assert response.json() == {"count": 3}


@pytest.mark.urls("tests.vault.api_error_urls")
def test_malformed_json_is_a_400_parse_error(world: World, login: Callable[..., Client]) -> None:
    response = login(world.member).post(ECHO, '{"count": 3', content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "parse_error"


@pytest.mark.urls("tests.vault.api_error_urls")
def test_a_body_that_is_not_json_is_a_415(world: World, login: Callable[..., Client]) -> None:
    response = login(world.member).post(ECHO, "count=3", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"


@pytest.mark.urls("tests.vault.api_error_urls")
def test_invalid_fields_are_named(world: World, login: Callable[..., Client]) -> None:
    response = login(world.member).post(ECHO, {"count": "many"}, content_type="application/json")
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert list(error["fields"]) == ["count"]


def test_an_anonymous_caller_gets_a_json_refusal(client: Client) -> None:
    response = client.get("/api/v1/me/")
    assert response.status_code in (401, 403)
    assert error_of(response)["code"] == "not_authenticated"


def test_an_unknown_token_gets_a_json_refusal(client: Client) -> None:
    response = client.get("/api/v1/me/", headers={"Authorization": "Token " + "0" * 40})
    assert response.status_code in (401, 403)
    assert error_of(response)["code"] == "authentication_failed"


def test_an_unknown_endpoint_under_the_api_is_a_json_404(world: World, login: Callable[..., Client]) -> None:
    signed_in = login(world.member)
    response = signed_in.get("/api/v1/no-such-endpoint/")
    assert response.status_code == 404
    assert error_of(response) == {"code": "not_found", "message": "Not found."}
    page = signed_in.get("/no-such-page/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")


def test_a_wrong_method_is_a_json_405(world: World, login: Callable[..., Client]) -> None:
    response = login(world.member).delete("/api/v1/me/")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
