"""Shredding an original shreds every copy made from it, and revokes the productions holding any of them."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from audit.verify import verify
from evidence import sealing, storage
from evidence.models import DerivativeKind, EvidenceItem, KeyRole, State, WrappedDataKey
from evidence.production_models import ProducedForm, ProductionState
from evidence.production_services import do_release
from evidence.retrieval import IntegrityFailure, data_key_for, iter_content
from evidence.services import ShredRefused, do_set_legal_hold, do_shred
from teams.models import Organisation
from tests.evidence.production.workflow_helpers import ProdWorld, build, pdf, pw_fixture  # noqa: F401


def _converted(pw: ProdWorld, upload: Any, of: EvidenceItem) -> EvidenceItem:
    data = pdf(["A converted copy of the redacted statement."])
    copy = EvidenceItem.objects.get(pk=upload(pw.world.member, pw.case, data, name="c.pdf").json()["id"])
    EvidenceItem.objects.filter(pk=copy.pk).update(derivative_of=of, derivative_kind=DerivativeKind.CONVERTED)
    copy.refresh_from_db()
    return copy


def test_shredding_the_original_shreds_the_redacted_copy_its_released_production_holds(
    pw: ProdWorld, upload: Any, login: Any, django_capture_on_commit_callbacks: Any
) -> None:
    copy = pw.redacted_copy(upload)
    Organisation.objects.filter(pk=pw.case.organisation_id).update(originals_stay_in_jurisdiction=True)
    production = build(pw.production(recipient_country="FR"), pw.world.member)
    row = production.rows.get(item=pw.statement)
    assert (row.form, row.produced_id) == (ProducedForm.REDACTED, copy.pk) and not production.contains_originals
    production = do_release(production=production, user=pw.world.member)
    member = login(pw.world.member, Client(headers={"X-Forwarded-Proto": "https"}), sudo=True)
    url = reverse("productions:download", args=[production.pk])
    assert member.get(url).status_code == 200
    ciphertext = b"".join(storage.read_all(copy.storage_location, copy.object_key))
    wrapped = list(WrappedDataKey.objects.filter(item=copy, role=KeyRole.PRIMARY))
    assert sealing.unwrap(wrapped, copy.uid)  # readable until the shred

    with django_capture_on_commit_callbacks(execute=True):
        do_shred(item=pw.statement, reason="the survivor asked", user=pw.world.lead, acting_as=None, request=None)

    copy.refresh_from_db()
    production.refresh_from_db()
    assert copy.state == State.SHREDDED and copy.shredded_at is not None
    assert not WrappedDataKey.objects.filter(item=copy).exists()
    with pytest.raises(IntegrityFailure, match="no data key"):
        data_key_for(copy)
    with pytest.raises(IntegrityFailure):
        b"".join(iter_content(copy))
    # The ciphertext kept from before cannot be opened: the only keys that could were the rows just deleted.
    assert ciphertext and not storage.exists(copy.storage_location, copy.object_key)
    assert production.state == ProductionState.REVOKED and production.object_key == ""
    assert member.get(url).status_code == 404
    shredded = AuditEvent.objects.filter(action="evidence.shredded").order_by("seq")
    assert [e.details.get("shredded_with") for e in shredded] == [None, pw.statement.pk]
    assert shredded.last().details["derivative_of"] == pw.statement.pk  # type: ignore[union-attr]
    assert shredded.last().details["keys_destroyed"] >= 1  # type: ignore[union-attr]
    revoked = AuditEvent.objects.get(action="production.revoked")
    assert revoked.details["reason"] == "item shredded"
    assert verify().sound


def test_copies_of_copies_go_too_and_a_hold_on_any_copy_refuses_the_whole(pw: ProdWorld, upload: Any) -> None:
    redacted = pw.redacted_copy(upload)
    converted = _converted(pw, upload, redacted)
    do_set_legal_hold(item=converted, hold=True, reason="court order", user=pw.world.lead, acting_as=None, request=None)
    with pytest.raises(ShredRefused, match="legal hold"):
        do_shred(item=pw.statement, reason="the survivor asked", user=pw.world.lead, acting_as=None, request=None)
    assert not EvidenceItem.objects.filter(state=State.SHREDDED).exists()
    assert WrappedDataKey.objects.filter(item=redacted).exists()

    do_set_legal_hold(
        item=converted, hold=False, reason="order lifted", user=pw.world.lead, acting_as=None, request=None
    )
    do_shred(item=pw.statement, reason="the survivor asked", user=pw.world.lead, acting_as=None, request=None)
    shredded = set(EvidenceItem.objects.filter(state=State.SHREDDED).values_list("pk", flat=True))
    assert shredded == {pw.statement.pk, redacted.pk, converted.pk}
    assert not WrappedDataKey.objects.filter(item__in=shredded).exists()
    assert WrappedDataKey.objects.filter(item=pw.photo_log).exists()  # an unrelated item keeps its keys


def test_shredding_a_copy_leaves_its_original(pw: ProdWorld, upload: Any) -> None:
    redacted = pw.redacted_copy(upload)
    do_shred(item=redacted, reason="wrong redaction", user=pw.world.lead, acting_as=None, request=None)
    pw.statement.refresh_from_db()
    assert pw.statement.state == State.STORED and b"".join(iter_content(pw.statement))
