"""Pages show labels in the reader's language, never the codes stored behind them.

Each page is rendered in French with rows whose stored values are codes (rights, consent actions,
dependency kinds, roles, redaction categories, integrity reasons); the visible text must hold the
French label and none of the codes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from audit.actions import Action
from audit.services import ActingAs, record
from cases.models import ConsentAction
from evidence.models import EvidenceItem, IntegrityCheck
from evidence.redaction_models import JobState, MarkKind, RedactionJob, RedactionLogEntry, RedactionMark
from teams.models import Role
from tests.sharing.conftest import ShareWorld

pytestmark = pytest.mark.django_db
Login = Callable[..., Client]
FR = {"Accept-Language": "fr"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible(client: Client, url: str) -> str:
    response = client.get(url, headers=FR)
    assert response.status_code == 200, url
    parser = _Text()
    parser.feed(response.content.decode())
    return " ".join(" ".join(parser.parts).split())


def codes_in(text: str, codes: list[str]) -> list[str]:
    return [code for code in codes if re.search(rf"(?<![\w.]){re.escape(code)}(?![\w])", text)]


def test_the_checker_sees_a_code() -> None:
    assert codes_in("Droits : view, download", ["view", "download", "annotate"]) == ["view", "download"]
    assert codes_in("Affichage, téléchargement", ["view", "download"]) == []


def test_grants_and_the_access_review_show_rights_by_name(sw: ShareWorld, login: Login) -> None:
    sw.consent_to_foreign_team()
    sw.grant(rights=("view", "download", "annotate"))
    lead = login(sw.world.lead)
    for url in (reverse("sharing:grants", args=[sw.case.pk]), reverse("sharing:review")):
        text = visible(lead, url)
        assert codes_in(text, ["view", "download", "annotate", "redacted"]) == [], url
        assert "Télécharger" in text or "Téléchargement" in text, url


def test_the_survivor_page_shows_actions_and_dependencies_by_name(sw: ShareWorld, login: Login) -> None:
    sw.consent_to_foreign_team()
    sw.consent(ConsentAction.CONTACT, "")
    sw.grant()
    text = visible(login(sw.world.member), reverse("cases:survivor", args=[sw.survivor.pk]))
    assert codes_in(text, ["share_team", "share_jurisdiction", "contact", "sharing.grant", "granted"]) == []
    assert "Contacter la personne" in text and "Vous contacter" not in text


def test_the_audit_log_shows_roles_by_name(sw: ShareWorld, login: Login) -> None:
    lawyer = ActingAs(sw.world.team_car.pk, sw.world.org_car.pk, Role.LAWYER)
    record(action=Action.CASE_VIEWED, user=sw.world.member, acting_as=lawyer, case_id=sw.case.pk)
    text = visible(login(sw.world.lead, sudo=True), reverse("case_audit:events", args=[sw.case.pk]))
    assert "Avocat" in text or "Avocate" in text
    assert codes_in(text, ["lead", "lawyer"]) == []


def test_redaction_and_integrity_pages_show_categories_and_reasons_by_name(
    sw: ShareWorld, login: Login, upload: Any
) -> None:
    assert upload(sw.world.member, sw.case, b"A statement.").status_code in (200, 201)
    item = EvidenceItem.objects.get(case=sw.case)
    job = RedactionJob.objects.create(
        item=item, state=JobState.FAILED, proposed_by=sw.world.investigator, failure_category="date_of_birth"
    )
    RedactionMark.objects.create(job=job, page=1, kind=MarkKind.IDENTIFIER, category="legal_name")
    RedactionLogEntry.objects.create(job=job, category="id_like", page=1, count=2)
    text = visible(login(sw.world.member), reverse("redaction:job", args=[job.pk]))
    assert codes_in(text, ["date_of_birth", "legal_name", "id_like"]) == []
    assert "date de naissance" in text.lower()

    IntegrityCheck.objects.create(item=item, ok=False, reason="content hash mismatch")
    text = visible(login(sw.world.auditor), reverse("evidence:integrity"))
    assert "content hash mismatch" not in text and "empreinte" in text


FAILURES = [
    "approver_not_allowed",
    "consent",
    "ManualReviewRequired",
    "UnsupportedFormat",
    "RedactionError",
    "LeakDetected",
    "IntegrityFailure",
    "IdentifiersRefused",
    "SealedValueUnavailable",
]


@pytest.mark.parametrize("code", FAILURES)
def test_a_failed_redaction_shows_why_by_name(sw: ShareWorld, login: Login, upload: Any, code: str) -> None:
    # Stored by the release task in its own language (English); read in the reader's.
    assert upload(sw.world.member, sw.case, b"A statement.").status_code in (200, 201)
    reason = "A second person must approve: not the one who proposed or reviewed it."
    job = RedactionJob.objects.create(
        item=EvidenceItem.objects.get(case=sw.case),
        state=JobState.FAILED,
        proposed_by=sw.world.investigator,
        failure_category=code,
        failure_location=reason,
    )
    text = visible(login(sw.world.member), reverse("redaction:job", args=[job.pk]))
    assert codes_in(text, FAILURES) == []
    assert reason not in text and "Une seconde personne" in text


def test_every_failure_a_release_can_store_has_a_label() -> None:
    from evidence.redaction import result
    from evidence.templatetags.evidence_labels import REDACTION_CATEGORIES

    engine_errors = [n for n, c in vars(result).items() if isinstance(c, type) and issubclass(c, result.RedactionError)]
    assert set(engine_errors) | set(FAILURES) <= set(REDACTION_CATEGORIES)
