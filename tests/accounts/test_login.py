from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import UserSession
from audit.actions import Action
from audit.models import AuditEvent
from tests.accounts.conftest import session_key
from tests.conftest import World
from tests.otp import code_for, ensure_totp_device, fresh_code

pytestmark = pytest.mark.django_db

WRONG = "not the password at all"


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))


@pytest.fixture
def argon2_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Record each Argon2 computation Django's hasher runs (encode or verify); the real code still runs."""
    calls: list[str] = []
    for name in ("encode", "verify"):
        real = getattr(Argon2PasswordHasher, name)

        def counted(self: Any, *args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
            calls.append(_name)
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(Argon2PasswordHasher, name, counted)
    yield calls


def test_unknown_and_known_usernames_get_the_same_answer_and_one_argon2_run_each(
    world: World, password_step: Callable[..., Any], argon2_calls: list[str]
) -> None:
    known = password_step("member", WRONG)
    assert argon2_calls == ["verify"]
    argon2_calls.clear()
    unknown = password_step("nobody-by-this-name", WRONG)
    assert argon2_calls == ["encode"]
    assert known.status_code == unknown.status_code == 200
    assert "The username or password is not correct." in known.content.decode()
    assert known.context["form"].errors == unknown.context["form"].errors
    assert actions() == [Action.LOGIN_FAILED, Action.LOGIN_FAILED]


def test_disabled_account_gets_the_same_answer(world: World, password_step: Callable[..., Any]) -> None:
    world.member.is_active = False
    world.member.save()
    response = password_step("member")
    assert response.status_code == 200
    assert response.context["form"].errors == {"__all__": ["The username or password is not correct."]}


def test_password_then_totp_signs_in_with_new_session_keys(
    client: Client, world: World, password_step: Callable[..., Any]
) -> None:
    device = ensure_totp_device(world.member)
    client.get(reverse("accounts:login"))
    client.cookies[settings.SESSION_COOKIE_NAME] = "k" * 32
    response = password_step("member")
    assert response.status_code == 302 and response["Location"] == reverse("accounts:otp")
    after_password = session_key(client)
    assert after_password != "k" * 32
    assert client.get(reverse("teams:dashboard"))["Location"] == reverse("accounts:otp")

    response = client.post(reverse("accounts:otp"), {"code": fresh_code(device)})
    assert response.status_code == 302 and response["Location"] == reverse("teams:dashboard")
    assert session_key(client) != after_password
    assert client.get(reverse("teams:dashboard")).status_code == 200
    assert actions() == [Action.LOGIN, Action.OTP_VERIFIED, Action.CASES_LISTED]  # the dashboard lists cases
    assert list(UserSession.objects.values_list("session_key", flat=True)) == [session_key(client)]


def test_next_is_kept_through_both_steps(client: Client, world: World) -> None:
    device = ensure_totp_device(world.member)
    target = reverse("teams:team", args=[world.team_car.pk])
    client.post(
        reverse("accounts:login"), {"username": "member", "password": "correct horse battery staple 42", "next": target}
    )
    response = client.post(reverse("accounts:otp"), {"code": fresh_code(device)})
    assert response["Location"] == target


def test_offsite_next_is_ignored(client: Client, world: World) -> None:
    device = ensure_totp_device(world.member)
    client.post(
        reverse("accounts:login") + "?next=https://evil.example/",
        {"username": "member", "password": "correct horse battery staple 42"},
    )
    response = client.post(reverse("accounts:otp"), {"code": fresh_code(device)})
    assert response["Location"] == reverse("teams:dashboard")


def test_a_totp_code_is_accepted_once_only(client: Client, world: World, password_step: Callable[..., Any]) -> None:
    device = ensure_totp_device(world.member)
    code = fresh_code(device)
    password_step("member")
    assert client.post(reverse("accounts:otp"), {"code": code}).status_code == 302
    client.post(reverse("accounts:logout"))

    password_step("member")
    replay = client.post(reverse("accounts:otp"), {"code": code})
    assert replay.status_code == 200
    assert "This code was not accepted." in replay.content.decode()
    assert client.get(reverse("teams:dashboard"))["Location"] == reverse("accounts:otp")
    assert Action.OTP_FAILED in actions()


def test_device_refuses_an_older_code_after_a_newer_one(world: World) -> None:
    device = ensure_totp_device(world.member)
    assert device.verify_token(code_for(device.key, step_offset=1))
    device.refresh_from_db()
    assert not device.verify_token(code_for(device.key))
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.save()
    assert not device.verify_token(code_for(device.key, step_offset=1))


def test_wrong_code_is_refused_and_throttled(client: Client, world: World, password_step: Callable[..., Any]) -> None:
    device = ensure_totp_device(world.member)
    password_step("member")
    bad = "000000" if fresh_code(device) != "000000" else "111111"
    response = client.post(reverse("accounts:otp"), {"code": bad})
    assert "This code was not accepted." in response.content.decode()
    # django-otp throttles: right after a failure even the right code waits.
    response = client.post(reverse("accounts:otp"), {"code": fresh_code(device)})
    assert response.status_code == 200
    device.refresh_from_db()
    assert device.throttling_failure_count >= 1


def test_recovery_code_signs_in_and_is_consumed(
    client: Client, world: World, password_step: Callable[..., Any], login: Callable[..., Client]
) -> None:
    from accounts import services

    ensure_totp_device(world.member)
    token = StaticToken.objects.create(
        device=services.StaticDevice.objects.create(user=world.member, name="recovery", confirmed=True),
        token="abcd2345",
    )
    password_step("member")
    response = client.post(reverse("accounts:otp"), {"code": "ABCD 2345"})
    assert response.status_code == 302
    assert not StaticToken.objects.filter(pk=token.pk).exists()
    assert Action.RECOVERY_CODE_USED in actions()
    client.post(reverse("accounts:logout"))
    password_step("member")
    assert client.post(reverse("accounts:otp"), {"code": "abcd2345"}).status_code == 200


def test_enrolment_shows_qr_then_recovery_codes(
    client: Client, world: World, password_step: Callable[..., Any]
) -> None:
    response = password_step("member")
    assert response["Location"] == reverse("accounts:enrol")
    assert client.get(reverse("teams:dashboard"))["Location"] == reverse("accounts:otp")
    assert client.get(reverse("accounts:otp"))["Location"] == reverse("accounts:enrol")
    page = client.get(reverse("accounts:enrol"))
    body = page.content.decode()
    assert "<svg" in body and "<script" not in body
    key = client.session["_custody_pending_totp"]
    wrong = client.post(reverse("accounts:enrol"), {"code": code_for(key, step_offset=5)})
    assert "This code does not match." in wrong.content.decode()

    done = client.post(reverse("accounts:enrol"), {"code": code_for(key)})
    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == 10
    assert all(code in done.content.decode() for code in codes)
    assert TOTPDevice.objects.get(user=world.member).confirmed
    assert client.get(reverse("teams:dashboard")).status_code == 200
    assert {Action.OTP_ENROLLED, Action.RECOVERY_CODES_GENERATED} <= set(actions())


def test_enrolled_user_cannot_replace_the_device_without_the_second_factor(
    client: Client, world: World, password_step: Callable[..., Any]
) -> None:
    ensure_totp_device(world.member)
    password_step("member")
    assert client.get(reverse("accounts:enrol"))["Location"] == reverse("accounts:otp")
    assert client.post(reverse("accounts:enrol"), {"code": "123456"})["Location"] == reverse("accounts:otp")


def test_unverified_session_gets_json_from_the_api(
    client: Client, world: World, password_step: Callable[..., Any]
) -> None:
    ensure_totp_device(world.member)
    password_step("member")
    response = client.get("/api/v1/me/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "second_factor_required"


def test_lockout_keyed_on_username_and_address(client: Client, world: World, password_step: Callable[..., Any]) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_step("member", WRONG, ip="10.0.0.1")
    locked = password_step("member", ip="10.0.0.1")
    assert locked.status_code == 429
    assert "Sign-in is locked" in locked.content.decode()
    assert Action.LOGIN_LOCKED in actions()
    # The same person from another address, and another person from the same address, still sign in.
    assert password_step("member", ip="10.0.0.2").status_code == 302
    other = Client(headers={"X-Forwarded-Proto": "https"})
    assert password_step("lead", ip="10.0.0.1", target=other).status_code == 302


def test_logout_is_audited_and_forgets_the_session(world: World, login: Callable[..., Client]) -> None:
    client = login(world.member)
    assert UserSession.objects.count() == 1
    response = client.post(reverse("accounts:logout"))
    assert response["Location"] == reverse("accounts:login")
    assert UserSession.objects.count() == 0
    assert actions()[-1] == Action.LOGOUT
    assert client.get(reverse("teams:dashboard")).status_code == 302


def test_logout_refuses_get(world: World, login: Callable[..., Client]) -> None:
    assert login(world.member).get(reverse("accounts:logout")).status_code == 405


def test_sign_in_page_in_french(client: Client) -> None:
    response = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="fr")
    body = response.content.decode()
    assert "Connexion" in body and "Nom d\u2019utilisateur" in body and "Mot de passe" in body
