"""Grant notices (suspended, ending soon) are stored as codes and read in the reader's language."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from cases.models import ConsentAction, GrantLevel, Notification
from cases.sharing import do_warn_expiring_grants
from evidence.models import EvidenceItem
from evidence.sharing import do_grant_items
from evidence.survivor_links import do_set_survivors
from tests.sharing.conftest import ShareWorld
from tests.sharing.test_item_grants import items  # noqa: F401  (fixture)

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
        sw.withdraw(ConsentAction.SHARE_JURISDICTION, "BD")
    notice = Notification.objects.get(user=sw.world.lead, code="grant.consent_withdrawn")
    assert notice.message.startswith(f"{sw.case.reference}: the grant to Dhaka team for")
    assert notice.message.endswith(f"{sw.survivor.code} no longer consents to “Share across a jurisdiction boundary”.")
    french = _page(login, sw.world.lead, FR)
    assert f"{sw.survivor.code} ne consent plus à" in french and "no longer consents" not in french


def _link_without_consent(sw: ShareWorld, made: dict[str, EvidenceItem]) -> None:
    """A survivor linked to an item a grant covers, without consent to that team: the grant is suspended."""
    item = made["plain"]  # concerns nobody: the grant asks no consent
    do_grant_items(
        case=sw.case,
        items=[item],
        grantee_team=sw.world.team_tcc,
        level=GrantLevel.REDACTED,
        rights=["view"],
        purpose="joint complaint before the national court",
        user=sw.world.lead,
    )
    EvidenceItem.objects.filter(pk=item.pk).update(no_survivor_material=False)
    do_set_survivors(
        item=EvidenceItem.objects.get(pk=item.pk),
        survivors=[sw.survivor],
        no_survivor_material=False,
        user=sw.world.member,
        acting_as=None,
        request=None,
    )


def _withdraw(sw: ShareWorld, made: dict[str, EvidenceItem]) -> None:
    sw.consent_to_foreign_team()
    sw.grant()
    sw.withdraw(ConsentAction.SHARE_TEAM, sw.world.team_tcc.pk)


@pytest.mark.parametrize("suspend", [_link_without_consent, _withdraw], ids=["linked-later", "withdrawn"])
def test_a_grantee_is_told_of_the_suspension_without_the_survivor_or_the_consent(
    sw: ShareWorld,
    login: Login,
    items: dict[str, EvidenceItem],  # noqa: F811
    suspend: Callable[[ShareWorld, dict[str, EvidenceItem]], None],
) -> None:
    with translation.override("fr"):  # the writer's language says nothing of the readers'
        suspend(sw, items)
    notice = Notification.objects.get(user=sw.world.other_member)
    assert notice.code == "grant.access_suspended" and notice.params == {
        "case": sw.case.reference,
        "purpose": "joint complaint before the national court",
    }
    english = _page(login, sw.world.other_member, EN)
    french = _page(login, sw.world.other_member, FR)
    assert f"Your access to case {sw.case.reference} for" in english and "has been told why" in english
    assert f"Votre accès au dossier {sw.case.reference} pour" in french and "has been told why" not in french
    for page in (english, french, notice.message):
        assert sw.survivor.code not in page and "S-CAF" not in page
        assert "consent" not in page.lower() and "Share with" not in page and "Partager" not in page
    owner = Notification.objects.get(user=sw.world.lead, code__startswith="grant.")  # who granted it
    assert owner.code in ("grant.consent_missing", "grant.consent_withdrawn") and sw.survivor.code in owner.text
