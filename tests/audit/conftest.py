"""The chain walk exists twice (compiled and Python): the tampering suites run against both."""

from __future__ import annotations

import pytest
from pytest_django.fixtures import Settings


@pytest.fixture(params=["compiled", "python"])
def each_walker(request: pytest.FixtureRequest, settings: Settings) -> str:
    # "compiled" refuses to fall back, so a missing or failing compiled walker fails these tests.
    settings.CUSTODY_AUDIT_WALKER = request.param
    return str(request.param)
