"""A foreign lawyer reaches what the grant's level allows, and nothing once it ends."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.urls import reverse

from cases.models import GrantLevel
from cases.sharing import do_revoke_grant
from evidence import streaming
from evidence.models import DerivativeKind, EvidenceItem
from evidence.sealing import SEGMENT_SIZE
from evidence.sharing import do_grant_items
from evidence.streaming import AccessEnded
from tests.sharing.conftest import ShareWorld, approve_originals_abroad

PURPOSE = {"purpose": "prepare the joint complaint"}


@pytest.fixture
def pair(sw: ShareWorld, upload: Any) -> tuple[EvidenceItem, EvidenceItem, bytes]:
    """An original and its redacted copy."""
    original = EvidenceItem.objects.get(pk=upload(sw.world.member, sw.case, b"original statement").json()["id"])
    redacted_bytes = os.urandom(3 * SEGMENT_SIZE)
    redacted = EvidenceItem.objects.get(
        pk=upload(sw.world.member, sw.case, redacted_bytes, name="redacted.bin").json()["id"]
    )
    EvidenceItem.objects.filter(pk=redacted.pk).update(derivative_of=original, derivative_kind=DerivativeKind.REDACTED)
    redacted.refresh_from_db()
    sw.concerns(original)
    return original, redacted, redacted_bytes


def _page(client: Any, item: EvidenceItem) -> int:
    return int(client.get(reverse("evidence:item", args=[item.pk])).status_code)


def _download(client: Any, item: EvidenceItem) -> int:
    return int(client.post(reverse("evidence:download", args=[item.pk]), PURPOSE).status_code)


def test_redacted_grant_serves_the_redacted_copy_and_hides_the_original(sw: ShareWorld, pair: Any, login: Any) -> None:
    original, redacted, redacted_bytes = pair
    foreign = login(sw.world.other_member, sudo=True)
    assert _page(foreign, original) == 404
    sw.consent_to_foreign_team()
    grant = sw.grant(level=GrantLevel.REDACTED, rights=("view", "download"))
    assert _page(foreign, original) == 200
    assert _download(foreign, original) == 404
    response = foreign.post(reverse("evidence:download", args=[redacted.pk]), PURPOSE)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == redacted_bytes
    do_revoke_grant(grant=grant, user=sw.world.lead)
    assert _page(foreign, redacted) == 404
    assert _download(foreign, redacted) == 404


def test_metadata_grant_gives_no_content(sw: ShareWorld, pair: Any, login: Any) -> None:
    _original, redacted, _bytes = pair
    sw.consent_to_foreign_team()
    sw.grant(level=GrantLevel.METADATA, rights=("view", "download"))
    foreign = login(sw.world.other_member, sudo=True)
    assert _page(foreign, redacted) == 200
    assert _download(foreign, redacted) == 404


def test_view_right_alone_gives_no_download(sw: ShareWorld, pair: Any, login: Any) -> None:
    _original, redacted, _bytes = pair
    sw.consent_to_foreign_team()
    sw.grant(level=GrantLevel.REDACTED, rights=("view",))
    assert _download(login(sw.world.other_member, sudo=True), redacted) == 404


def test_item_grant_shows_only_the_chosen_items(sw: ShareWorld, pair: Any, upload: Any, login: Any) -> None:
    original, redacted, _bytes = pair
    other = EvidenceItem.objects.get(pk=upload(sw.world.member, sw.case, b"unrelated note").json()["id"])
    sw.concerns(other)
    sw.consent_to_foreign_team()
    do_grant_items(
        case=sw.case,
        items=[original],
        grantee_team=sw.world.team_tcc,
        level=GrantLevel.REDACTED,
        rights=["view", "download"],
        purpose="one statement only",
        user=sw.world.lead,
    )
    foreign = login(sw.world.other_member, sudo=True)
    assert _page(foreign, original) == 200
    assert _download(foreign, redacted) == 200
    assert _page(foreign, other) == 404
    listing = foreign.get(reverse("evidence:list", args=[sw.case.pk]))
    assert listing.status_code == 200
    assert other.display_name not in listing.content.decode()


def test_residency_keeps_originals_home(sw: ShareWorld, pair: Any, login: Any) -> None:
    original, redacted, _bytes = pair
    sw.world.org_car.originals_stay_in_jurisdiction = True
    sw.world.org_car.save()
    sw.consent_to_foreign_team()
    approve_originals_abroad(sw)
    grant = sw.grant(level=GrantLevel.ORIGINALS, rights=("view", "download"))
    assert grant.residency_limited
    foreign = login(sw.world.other_member, sudo=True)
    assert _download(foreign, original) == 404
    assert _download(foreign, redacted) == 200


def test_revocation_breaks_a_running_download(
    sw: ShareWorld, pair: Any, login: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _original, redacted, _bytes = pair
    monkeypatch.setattr(streaming, "RECHECK_SECONDS", 0.0)
    sw.consent_to_foreign_team()
    grant = sw.grant(level=GrantLevel.REDACTED, rights=("view", "download"))
    response = login(sw.world.other_member).post(reverse("evidence:download", args=[redacted.pk]), PURPOSE)
    stream = iter(response.streaming_content)
    assert next(stream)
    do_revoke_grant(grant=grant, user=sw.world.lead)
    with pytest.raises(AccessEnded):
        b"".join(stream)


def test_outsider_gets_404_while_a_grant_exists(sw: ShareWorld, pair: Any, login: Any) -> None:
    original, redacted, _bytes = pair
    sw.consent_to_foreign_team()
    sw.grant()
    outsider = login(sw.world.outsider, sudo=True)
    for item in (original, redacted):
        assert _page(outsider, item) == 404
        assert _download(outsider, item) == 404


def test_grantee_does_not_see_the_items_audit_trail(sw: ShareWorld, pair: Any, login: Any) -> None:
    original, _redacted, _bytes = pair
    sw.consent_to_foreign_team()
    sw.grant()
    foreign = login(sw.world.other_member).get(reverse("evidence:item", args=[original.pk])).content.decode()
    own = login(sw.world.member).get(reverse("evidence:item", args=[original.pk])).content.decode()
    assert "evidence.uploaded" in own or "Evidence received and stored" in own
    assert "Evidence received and stored" not in foreign and "evidence.uploaded" not in foreign
