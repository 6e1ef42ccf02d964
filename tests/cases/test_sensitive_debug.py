"""Identity and note data stay out of Django's error reports (debug pages, error mails)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django.views.debug import SafeExceptionReporterFilter

from cases.identifiers import identifiers_for_redaction
from tests.cases.conftest import CaseWorld

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("name", "arg", "who"),
    [
        ("cases:survivor_create", "case", "member"),
        ("cases:identity_edit", "survivor", "member"),
        ("cases:notes", "survivor", "mhpss"),
        ("cases:identity", "survivor", "member"),
        ("cases:receipt", "survivor", "member"),
    ],
)
def test_post_bodies_are_hidden_from_error_reports(
    cw: CaseWorld, login: Callable[..., Client], name: str, arg: str, who: str
) -> None:
    target = cw.case.pk if arg == "case" else cw.adult.pk
    response = login(getattr(cw.world, who), sudo=True).post(
        reverse(name, args=[target]), {"legal_name": "Fictional Name", "body": "Fictional note"}
    )
    request = response.wsgi_request
    assert getattr(request, "sensitive_post_parameters", None) == "__ALL__"
    cleansed = SafeExceptionReporterFilter().get_post_parameters(request)
    assert "Fictional" not in str(dict(cleansed))


def test_identifier_values_are_hidden_from_tracebacks(cw: CaseWorld) -> None:
    identifiers_for_redaction(survivor_ids=[cw.adult.pk], requested_by=cw.world.member, purpose="Redact")
    assert getattr(identifiers_for_redaction, "sensitive_variables", None) == "__ALL__"
