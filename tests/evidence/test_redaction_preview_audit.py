"""A page preview's consent check and its preview event are one unit: both rows, or a recorded failure."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.db import DatabaseError
from django.urls import reverse

from audit.actions import Action
from audit.models import AuditEvent
from cases.consent_services import do_withdraw_consent
from cases.models import ConsentAction
from evidence import redaction_services
from evidence.models import EvidenceItem
from evidence.redaction_models import RedactionJob
from evidence.redaction_services import do_preview_page
from tests.evidence import test_redaction_workflow as workflow
from tests.evidence.conftest import overwrite, stored_bytes
from tests.evidence.test_redaction_workflow import _proposed

original = workflow.original  # the statement PDF, linked to a survivor who consented to its storage and use
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUSTODY_SCRATCH_DIR", str(tmp_path))


def _events_since(seq: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(seq__gt=seq).order_by("seq"))


def _head() -> int:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def _withdraw(item: EvidenceItem, user: Any) -> None:
    do_withdraw_consent(
        survivor=item.survivors.get(),
        action=ConsentAction.STORE_EVIDENCE,
        target="",
        method="written",
        language="Sango",
        user=user,
    )


def _preview(world: Any, login: Any, job: RedactionJob) -> Any:
    return login(world.member).get(reverse("redaction:page", args=[job.pk, 1]))


def test_a_preview_records_its_consent_check_and_the_preview_together(
    world: Any, login: Any, original: EvidenceItem
) -> None:
    job = _proposed(world, login, original)
    head = _head()
    response = _preview(world, login, job)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    checked, previewed = _events_since(head)
    assert checked.action == "consent.checked" and previewed.action == "redaction.page_previewed"
    assert previewed.outcome == "allowed" and previewed.consent_record_id == checked.consent_record_id
    assert previewed.details == {"page": 1}


def test_nothing_is_kept_of_the_consent_check_when_the_preview_event_cannot_be_written(
    world: Any, login: Any, original: EvidenceItem, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = _proposed(world, login, original)
    real = redaction_services.record

    def failing(**kwargs: Any) -> Any:
        if kwargs["action"] == Action.REDACTION_PAGE_PREVIEWED:
            raise DatabaseError("disk full")
        return real(**kwargs)

    monkeypatch.setattr(redaction_services, "record", failing)
    head = _head()
    with pytest.raises(DatabaseError):
        do_preview_page(job=job, page=1, user=world.member, acting_as=None, request=None)
    assert _events_since(head) == []  # the consent check went with the preview it was for


def test_a_failed_render_is_recorded_with_its_consent_check_and_answered_clearly(
    world: Any, login: Any, original: EvidenceItem, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = _proposed(world, login, original)

    def pdftoppm_fails(*_args: Any, **_kwargs: Any) -> Path:
        raise subprocess.CalledProcessError(1, "pdftoppm")

    monkeypatch.setattr("evidence.redaction.ocr.render_pdf_page", pdftoppm_fails)
    head = _head()
    response = _preview(world, login, job)
    assert response.status_code == 503 and response["Content-Type"].startswith("text/plain")
    assert "could not be shown" in response.content.decode() and "recorded" in response.content.decode()
    checked, failed = _events_since(head)
    assert checked.action == "consent.checked"
    assert failed.action == "redaction.page_previewed" and failed.outcome == "failed"
    assert failed.details == {"page": 1, "failure": "CalledProcessError"}
    assert failed.consent_record_id == checked.consent_record_id
    assert EvidenceItem.objects.get(pk=original.pk).integrity_ok is not False  # the original itself is sound
    french = login(world.member).get(reverse("redaction:page", args=[job.pk, 1]), headers={"Accept-Language": "fr"})
    assert french.status_code == 503 and "pas pu être affichée" in french.content.decode()


def test_an_original_failing_its_check_during_a_preview_is_recorded_and_alerted(
    world: Any, login: Any, original: EvidenceItem
) -> None:
    job = _proposed(world, login, original)
    data = bytearray(stored_bytes(original))
    data[200] ^= 0xFF
    overwrite(original, bytes(data))
    head = _head()
    response = _preview(world, login, job)
    assert response.status_code == 503 and "could not be shown" in response.content.decode()
    events = _events_since(head)
    assert [e.action for e in events] == ["consent.checked", "redaction.page_previewed", "evidence.integrity_failed"]
    assert events[1].outcome == "failed" and events[1].details["failure"].startswith("integrity: ")
    assert events[2].details["channel"] == "redaction_preview"
    assert EvidenceItem.objects.get(pk=original.pk).integrity_ok is False


def test_without_consent_the_original_is_not_read_and_the_refusal_is_recorded(
    world: Any, login: Any, original: EvidenceItem, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = _proposed(world, login, original)
    _withdraw(original, world.member)

    def must_not_render(*_args: Any, **_kwargs: Any) -> bytes:
        raise AssertionError("the original was read without consent")

    monkeypatch.setattr(redaction_services, "render_preview", must_not_render)
    head = _head()
    response = _preview(world, login, job)
    assert response.status_code == 403
    actions = [e.action for e in _events_since(head)]
    assert actions == ["consent.refused"]


def test_consent_withdrawn_while_the_page_renders_is_refused_and_nothing_is_served(
    world: Any, login: Any, original: EvidenceItem, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = _proposed(world, login, original)
    real = redaction_services.render_preview

    def render_then_withdraw(job: RedactionJob, page: int) -> bytes:
        png = real(job, page)
        _withdraw(original, world.member)
        return png

    monkeypatch.setattr(redaction_services, "render_preview", render_then_withdraw)
    head = _head()
    response = _preview(world, login, job)
    assert response.status_code == 403 and response["Content-Type"].startswith("text/plain")
    actions = [e.action for e in _events_since(head)]
    assert "consent.refused" in actions and "redaction.page_previewed" not in actions
