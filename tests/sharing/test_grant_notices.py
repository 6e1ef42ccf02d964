"""Grant notices (suspended, ending soon) are stored as codes and read in the reader's language."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from cases.consent_services import do_withdraw_consent
from cases.models import ConsentAction, Notification
from cases.sharing import do_warn_expiring_grants
from tests.sharing.conftest import ShareWorld

pytestmark = pytest.mark.django_db
Login = Callable[..., Client]
FR = {"Accept-Language": "fr"}
EN = {"Accept-Language": "en"}


def _page(login: Login, user: object, headers: dict[str, str]) -> str:
    return login(user).get(reverse("cases:notifications"), headers=headers).content.decode()


def test_the_expiry_warning_is_read_in_the_readers_language(sw: ShareWorld, login: Login) -> None:
    sw.consent_to_foreign_team()
    sw.grant(expires_at=timezone.now() + datetime.timedelta(days=3))
    with translation.override("fr"):  # written by a task whose language says nothing of its readers
        assert do_warn_expiring_grants() == 1
    notice = Notification.objects.get(user=sw.world.other_member)
    assert notice.code == "grant.expiring" and notice.params["case"] == sw.case.reference
    assert notice.message.startswith(f"Access to case {sw.case.reference} granted for")  # English, for logs
    french = _page(login, sw.world.other_member, FR)
    assert f"accès au dossier {sw.case.reference} accordé pour" in french and "granted for" not in french
    assert "joint complaint before the national court" in french
    english = _page(login, sw.world.lead, EN)
    assert f"Access to case {sw.case.reference} granted for" in english and "accordé pour" not in english


def test_the_suspension_notice_is_read_in_the_readers_language(sw: ShareWorld, login: Login) -> None:
    sw.consent_to_foreign_team()
    sw.grant()
    with translation.override("en"):
        do_withdraw_consent(
            survivor=sw.survivor,
            action=ConsentAction.SHARE_JURISDICTION,
            target="BD",
            method="written",
            language="Sango",
            user=sw.world.member,
        )
    notice = Notification.objects.get(user=sw.world.lead, code="grant.suspended")
    assert notice.message.startswith("A grant on this case was suspended")
    french = _page(login, sw.world.lead, FR)
    assert "accès à ce dossier a été suspendue" in french
    assert "A grant on this case was suspended" not in french
