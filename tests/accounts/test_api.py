from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts import services
from accounts.models import ApiToken
from audit.actions import Action
from audit.models import AuditEvent
from tests.conftest import World
from tests.otp import ensure_totp_device, fresh_code

pytestmark = pytest.mark.django_db
URL = "/api/v1/auth/token/"


def token_client(key: str, **headers: str) -> Client:
    return Client(headers={"X-Forwarded-Proto": "https", "Authorization": f"Token {key}", **headers})


def test_session_in_sudo_mode_creates_a_token(world: World, login: Callable[..., Client]) -> None:
    response = login(world.member, sudo=True).post(URL)
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"token", "expires"}
    assert token_client(body["token"]).get("/api/v1/me/").json()["username"] == "member"


def test_token_creation_without_sudo_is_refused_clearly(world: World, login: Callable[..., Client]) -> None:
    response = login(world.member).post(URL)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert "X-Custody-OTP" in response.json()["error"]["message"]
    assert not ApiToken.objects.exists()


def _token_for(user: object) -> str:
    return services.do_create_token(request=None, user=user).secret  # type: ignore[arg-type]


def test_token_client_rotates_with_a_totp_header(world: World) -> None:
    device = ensure_totp_device(world.member)
    old = _token_for(world.member)
    refused = token_client(old).post(URL)
    assert refused.status_code == 403
    code = fresh_code(device)
    response = token_client(old, **{"X-Custody-OTP": code}).post(URL)
    assert response.status_code == 201
    assert not ApiToken.objects.filter(digest=ApiToken.digest_of(old)).exists()
    assert token_client(old).get("/api/v1/me/").status_code == 401
    replay = token_client(response.json()["token"], **{"X-Custody-OTP": code}).post(URL)
    assert replay.status_code == 403
    assert AuditEvent.objects.filter(action=Action.SUDO_GRANTED, details__method="totp_header").count() == 1


def test_revoke(world: World) -> None:
    token = _token_for(world.member)
    assert token_client(token).delete(URL).status_code == 204
    assert not ApiToken.objects.exists()


def test_expired_token_is_refused_with_a_clear_message(world: World) -> None:
    token = _token_for(world.member)
    ApiToken.objects.filter(user=world.member).update(created=timezone.now() - timedelta(days=365))
    response = token_client(token).get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["error"] == {
        "code": "authentication_failed",
        "message": "Token has expired. Create a new one.",
    }


def test_token_of_a_disabled_account_is_refused(world: World) -> None:
    token = _token_for(world.member)
    world.member.is_active = False
    world.member.save()
    assert token_client(token).get("/api/v1/me/").json()["error"]["code"] == "authentication_failed"


SUDO = "/api/v1/auth/sudo/"


def test_session_confirms_identity_through_the_api(world: World, login: Callable[..., Client]) -> None:
    client = login(world.member)
    response = client.post(SUDO, {"password": "correct horse battery staple 42"}, content_type="application/json")
    assert response.status_code == 200 and "sudo_until" in response.json()
    assert client.post(URL).status_code == 201


def test_wrong_password_through_the_api(world: World, login: Callable[..., Client]) -> None:
    response = login(world.member).post(SUDO, {"password": "wrong"}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "That password or code was not accepted."


def test_token_clients_cannot_open_sudo_mode(world: World) -> None:
    token = _token_for(world.member)
    response = token_client(token).post(SUDO, {"code": "123456"}, content_type="application/json")
    assert response.status_code == 400
    assert "X-Custody-OTP" in str(response.json()["error"]["fields"])


def test_malformed_json_gets_a_json_error(world: World, login: Callable[..., Client]) -> None:
    response = login(world.member).post(SUDO, data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_missing_fields_are_named(world: World, login: Callable[..., Client]) -> None:
    response = login(world.member).post(SUDO, {}, content_type="application/json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["fields"] == {"non_field_errors": ["Send your password or a two-factor code."]}


def test_unsupported_media_type_gets_a_json_error(world: World, login: Callable[..., Client]) -> None:
    response = login(world.member).post(SUDO, data="a=b", content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_anonymous_api_caller_gets_a_json_error(client: Client, world: World) -> None:
    response = client.post(URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["error"]["code"] == "not_authenticated"


def test_method_not_allowed_is_json(world: World, login: Callable[..., Client]) -> None:
    response = login(world.member).put(URL)
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_schema_has_no_warnings_for_identity_and_team_endpoints(capsys: pytest.CaptureFixture[str]) -> None:
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--file", "/dev/null")
    problems = [line for line in capsys.readouterr().err.splitlines() if "accounts/" in line or "teams/" in line]
    assert problems == []


def test_only_a_digest_of_the_token_is_stored(world: World) -> None:
    secret = _token_for(world.member)
    stored = ApiToken.objects.get(user=world.member)
    assert stored.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {str(value) for value in ApiToken.objects.values_list("digest", "user_id", "created").get()}
    assert len(secret) > 40


@pytest.mark.parametrize("header", ["Token " + "0" * 40, "Token cst_not-a-token", "Token a b", "Token"])
def test_a_bad_or_unknown_token_is_a_401_with_a_challenge(client: Client, world: World, header: str) -> None:
    _token_for(world.member)
    response = client.get("/api/v1/me/", headers={"X-Forwarded-Proto": "https", "Authorization": header})
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["error"]["code"] == "authentication_failed"


def test_a_signed_in_session_refused_an_action_is_still_a_403(world: World, login: Callable[..., Client]) -> None:
    assert login(world.member).post(URL).status_code == 403
