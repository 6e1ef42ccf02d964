"""Evidence fixtures: a case of the CAR team, key files in a throwaway directory, storage paths."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import storages
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse

from cases.models import Case
from evidence.models import EvidenceItem
from tests.factories import CaseFactory


@pytest.fixture(scope="session", autouse=True)
def _evidence_key_dir() -> Iterator[Path]:
    """Embedded profile: local key files in a throwaway directory, never var/keys."""
    root = Path(tempfile.mkdtemp(prefix="custody-keys-"))
    with override_settings(CUSTODY_KEY_DIR=root):
        yield root


@pytest.fixture
def case(world: Any) -> Case:
    return CaseFactory.create(reference="CAF-MINUSCA-0042", organisation=world.org_car, teams=[world.team_car])


@pytest.fixture
def upload(login: Callable[..., Client]) -> Callable[..., Any]:
    """POST a file to the multipart intake of ``case`` as ``user``; returns the response."""

    def _upload(user: Any, case: Case, content: bytes, name: str = "statement.txt", **fields: str) -> Any:
        client = login(user)
        from django.core.files.uploadedfile import SimpleUploadedFile

        data = {"sensitivity": "high", **fields, "file": SimpleUploadedFile(name, content)}
        return client.post(reverse("evidence:upload", args=[case.pk]), data, headers={"Accept": "application/json"})

    return _upload


def stored_bytes(item: EvidenceItem) -> bytes:
    with storages[item.storage_location].open(item.object_key, "rb") as handle:
        return bytes(handle.read())


def overwrite(item: EvidenceItem, data: bytes) -> None:
    storage = storages[item.storage_location]
    storage.delete(item.object_key)
    from django.core.files.base import ContentFile

    storage.save(item.object_key, ContentFile(data))
