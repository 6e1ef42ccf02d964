"""Test harness for both profiles.

``CUSTODY_PROFILE=embedded`` (default): SQLite, local files, eager Celery.
``CUSTODY_PROFILE=production``: PostgreSQL, Redis broker with a real worker
(``worker`` marker), S3 and KMS served over HTTP by a moto server that this
session starts on loopback.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from celery.worker import WorkController
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings
from django_otp import DEVICE_ID_SESSION_KEY

from accounts.models import User
from accounts.sudo import SUDO_UNTIL
from teams.models import Organisation, Role, Team
from tests.append_only import allow_test_flush
from tests.factories import (
    JurisdictionFactory,
    MembershipFactory,
    OrganisationFactory,
    TeamFactory,
    UserFactory,
)
from tests.otp import ensure_totp_device

PRODUCTION = settings.PRODUCTION


def pytest_configure(config: pytest.Config) -> None:
    # `make test-*` says which profile it means to run: a run that silently fell back to the
    # other one (a variable lost on the way) must fail, not pass with the wrong services.
    expected = os.environ.get("CUSTODY_EXPECT_PROFILE")
    if expected and expected != settings.PROFILE:
        raise pytest.UsageError(f"expected the {expected} profile, but settings loaded {settings.PROFILE}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if PRODUCTION:
        return
    skip = pytest.mark.skip(reason="runs in the production profile (PostgreSQL, S3, broker)")
    for item in items:
        if "production_only" in item.keywords:
            item.add_marker(skip)


# --- Services: moto S3/KMS over HTTP for the production profile ---------------


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str | None]:
    if not PRODUCTION:
        yield None
        return
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        yield endpoint
    finally:
        server.stop()


@pytest.fixture(scope="session", autouse=True)
def _storage_profile(moto_endpoint: str | None) -> Iterator[None]:
    """Point storage at moto (production) or a throwaway directory (embedded)."""
    if moto_endpoint is None:
        root = Path(tempfile.mkdtemp(prefix="custody-test-"))
        storages = {name: dict(cfg) for name, cfg in settings.STORAGES.items()}
        for name in ("default", "evidence", "audit"):
            storages[name] = {
                **storages[name],
                "OPTIONS": {**storages[name]["OPTIONS"], "location": root / name},
            }
        with override_settings(STORAGES=storages):
            yield
        return
    import boto3

    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name=settings.AWS_S3_REGION_NAME)
    storages = {name: dict(cfg) for name, cfg in settings.STORAGES.items()}
    for name in ("default", "evidence", "audit"):
        options = {**storages[name]["OPTIONS"], "endpoint_url": moto_endpoint}
        storages[name] = {**storages[name], "OPTIONS": options}
        s3.create_bucket(
            Bucket=options["bucket_name"],
            CreateBucketConfiguration={"LocationConstraint": settings.AWS_S3_REGION_NAME},
        )
    with override_settings(STORAGES=storages, AWS_S3_ENDPOINT_URL=moto_endpoint, AWS_KMS_ENDPOINT_URL=moto_endpoint):
        yield


@pytest.fixture(scope="session", autouse=True)
def _audit_test_flush() -> Iterator[None]:
    """Transactional tests may reset the append-only audit tables (tests/append_only.py)."""
    with allow_test_flush():
        yield


@pytest.fixture(scope="session", autouse=True)
def _audit_gnupg_home() -> Iterator[Path]:
    """A throwaway GnuPG home for the audit signing key, never the vault's own."""
    home = Path(tempfile.mkdtemp(prefix="custody-gpg-"))
    home.chmod(0o700)
    try:
        with override_settings(CUSTODY_GNUPG_HOME=home):
            yield home
    finally:
        # Signing starts a gpg-agent for this home; it would outlive the session.
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], capture_output=True, check=False)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def _collected_static() -> None:
    """Production serves collected static files, as after a deploy; embedded serves the source tree."""
    if PRODUCTION:
        from django.core.management import call_command

        call_command("collectstatic", interactive=False, verbosity=0)


# --- Celery: a real worker on the configured broker (production profile) -----


@pytest.fixture(scope="session")
def _celery_session_worker(django_db_setup: Any, django_db_blocker: Any) -> Iterator[WorkController | None]:
    if not PRODUCTION:
        yield None
        return
    import celery.contrib.testing.tasks  # noqa: F401  (registers celery.ping for the readiness check)
    from celery.contrib.testing.worker import start_worker
    from celery.signals import task_postrun
    from django.db import connections

    from vault.celery import app

    def close_worker_connections(**kwargs: Any) -> None:
        # The worker thread has its own connections; leaving them open blocks the
        # flush between transactional tests and the drop of the test database.
        # Tasks applied in the test's own thread keep the test's connection.
        if threading.current_thread() is not threading.main_thread():
            connections.close_all()

    task_postrun.connect(close_worker_connections, weak=False)
    # Messages left by an earlier run refer to rows of a database that no longer exists.
    app.control.purge()
    try:
        with contextlib.ExitStack() as stack:
            with django_db_blocker.unblock():
                worker = stack.enter_context(start_worker(app, pool="solo", perform_ping_check=True))
            yield worker
    finally:
        task_postrun.disconnect(close_worker_connections)


@pytest.fixture
def celery_live(_celery_session_worker: WorkController | None) -> WorkController | None:
    """A real Celery worker (solo pool, in a thread) consuming the broker of ``CELERY_BROKER_URL``.

    Production profile only; in the embedded profile tasks run eagerly when the
    transaction commits and this returns None. Use with
    ``@pytest.mark.django_db(transaction=True)``: the worker reads the database
    through its own connection, so it only sees committed rows.
    """
    return _celery_session_worker


# --- HTTP clients ------------------------------------------------------------


@pytest.fixture
def client() -> Client:
    """A client that, like nginx in production, says the request came over TLS."""
    return Client(headers={"X-Forwarded-Proto": "https"})


@pytest.fixture
def login(client: Client) -> Callable[..., Client]:
    """Sign ``user`` in as the sign-in flow leaves them: password accepted, TOTP device verified.

    ``sudo=True`` also opens sudo mode, as if the person had just re-entered their password.
    """

    def _login(user: User, target: Client | None = None, *, sudo: bool = False) -> Client:
        target = target or client
        target.force_login(user)
        device = ensure_totp_device(user)
        session = target.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        if sudo:
            session[SUDO_UNTIL] = time.time() + settings.SUDO_MODE_TIMEOUT.total_seconds()
        session.save()
        return target

    return _login


# --- Personas ----------------------------------------------------------------


@dataclass
class World:
    """Two organisations: one in the host country (CAR), one in a troop-contributing country."""

    org_car: Organisation
    org_tcc: Organisation
    team_car: Team
    team_tcc: Team
    lead: User  # coalition lead of the CAR organisation
    member: User  # lawyer in the CAR team
    investigator: User
    mhpss: User
    auditor: User
    other_member: User  # lawyer in the foreign team
    outsider: User  # no team
    admin: User  # platform operator


@pytest.fixture
def world(db: Any) -> World:
    car = JurisdictionFactory(country="CF")
    tcc = JurisdictionFactory(country="BD")
    org_car = OrganisationFactory(name="Host Counsel", slug="host-counsel", jurisdiction=car)
    org_tcc = OrganisationFactory(name="Contributing Counsel", slug="contrib-counsel", jurisdiction=tcc)
    ops = OrganisationFactory(name="Platform Operations", slug="platform-ops", jurisdiction=car)
    team_car = TeamFactory(organisation=org_car, jurisdiction=car, name="Bangui team", slug="bangui")
    team_tcc = TeamFactory(organisation=org_tcc, jurisdiction=tcc, name="Dhaka team", slug="dhaka")
    ops_team = TeamFactory(organisation=ops, jurisdiction=car, name="Operations", slug="ops")

    def person(username: str, team: Team | None, role: Role | None) -> User:
        user = UserFactory(username=username)
        if team is not None and role is not None:
            MembershipFactory(user=user, team=team, role=role)
        return user

    return World(
        org_car=org_car,
        org_tcc=org_tcc,
        team_car=team_car,
        team_tcc=team_tcc,
        lead=person("lead", team_car, Role.COALITION_LEAD),
        member=person("member", team_car, Role.LAWYER),
        investigator=person("investigator", team_car, Role.INVESTIGATOR),
        mhpss=person("mhpss", team_car, Role.MHPSS),
        auditor=person("auditor", team_car, Role.AUDITOR),
        other_member=person("foreign", team_tcc, Role.LAWYER),
        outsider=person("outsider", None, None),
        admin=person("operator", ops_team, Role.ADMIN),
    )


def pytest_report_header(config: pytest.Config) -> str:
    return f"custody profile: {settings.PROFILE} (database: {settings.DATABASES['default']['ENGINE']})"
