"""Hidden or missing: is the not-found answer as fast for an object the caller may not see as for one
that does not exist?

    .venv/bin/python bench/access_timing.py [--rounds 300] [--backend sqlite|postgresql]
        [--pg-url postgres://postgres@127.0.0.1:5432/custody_sharing]

A scratch database (SQLite in a temporary directory, or the PostgreSQL database named by ``--pg-url``,
dropped and re-created) gets one case with an item, a survivor, an MHPSS note, a grant, a custody
transfer and a redaction job. A signed-in person outside the case then asks, through Django's test
client and the whole middleware stack, for each object and for an id that does not exist, alternately,
``--rounds`` times per endpoint after a warm-up. Reported per endpoint: median and 95th percentile of
both, the ratio of the medians (hidden / missing), and the SQL queries each path runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch_db import setup_scratch_vault  # noqa: E402

MISSING = 987_654_321


def _world() -> dict[str, Any]:
    """One case and one object of each kind, made through the services where they have one."""

    from cases.approvals import do_request_approval
    from cases.mhpss import do_write_note
    from cases.models import ApprovalKind, GrantLevel, Survivor
    from cases.sharing import do_grant
    from evidence.custody_services import do_propose_transfer
    from evidence.models import EvidenceItem, State
    from evidence.redaction_models import JobState, RedactionJob
    from teams.models import Role
    from tests.factories import (
        CaseFactory,
        JurisdictionFactory,
        MembershipFactory,
        OrganisationFactory,
        TeamFactory,
        UserFactory,
    )

    car = JurisdictionFactory(country="CF")
    org = OrganisationFactory(name="Host Counsel", slug="host-counsel", jurisdiction=car)
    team = TeamFactory(organisation=org, jurisdiction=car, name="Bangui team", slug="bangui")
    other_team = TeamFactory(organisation=org, jurisdiction=car, name="Bria team", slug="bria")

    def person(username: str, in_team: Any, role: Role | None) -> Any:
        user = UserFactory(username=username)
        if in_team is not None and role is not None:
            MembershipFactory(user=user, team=in_team, role=role)
        return user

    lead = person("lead", team, Role.COALITION_LEAD)
    member = person("member", team, Role.LAWYER)
    mhpss = person("mhpss", team, Role.MHPSS)
    person("bria-lawyer", other_team, Role.LAWYER)
    outsider = person("outsider", None, None)
    case = CaseFactory.create(organisation=org, host_jurisdiction=car, teams=[team])
    survivor = Survivor.objects.create(case=case, code="S-CAF-0101", age_band="25-39", created_by=member)
    item = EvidenceItem.objects.create(case=case, number=1, state=State.STORED, custodian=member, created_by=member)
    note = do_write_note(survivor=survivor, body="sleeps badly since March", user=mhpss)
    grant = do_grant(
        case=case,
        grantee_team=other_team,
        level=GrantLevel.METADATA,
        rights=["view"],
        purpose="joint complaint before the national court",
        user=lead,
        expires_at=None,
    )
    transfer = do_propose_transfer(
        item_id=item.pk, user=member, acting_as=None, request=None, to_user=lead, reason="field examination"
    )
    approval = do_request_approval(
        kind=ApprovalKind.GRANT_ORIGINALS_ABROAD, case=case, subject="team:0", purpose="bench", user=lead
    )
    job = RedactionJob.objects.create(item=item, proposed_by=member, state=JobState.PROPOSED)
    return {
        "outsider": outsider,
        "ids": {
            "case_id": case.pk,
            "item_id": item.pk,
            "survivor_id": survivor.pk,
            "note_id": note.pk,
            "grant_id": grant.pk,
            "transfer_id": transfer.pk,
            "approval_id": approval.pk,
            "job_id": job.pk,
        },
    }


ENDPOINTS = [
    ("case page", "get", "cases:detail", ("case_id",)),
    ("item page", "get", "evidence:item", ("item_id",)),
    ("item (API)", "get", "api-evidence-item", ("item_id",)),
    ("survivor page", "get", "cases:survivor", ("survivor_id",)),
    ("MHPSS note", "get", "cases:note", ("note_id",)),
    ("grant revocation (POST)", "post", "sharing:revoke", ("grant_id",)),
    ("custody transfer (POST)", "post", "custody:accept", ("item_id", "transfer_id")),
    ("redaction job", "get", "redaction:job", ("job_id",)),
]


def _client(user: Any) -> Any:
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    from tests.otp import ensure_totp_device

    client = Client(headers={"X-Forwarded-Proto": "https"})
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = ensure_totp_device(user).persistent_id
    session.save()
    return client


def _queries(client: Any, method: str, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        status = getattr(client, method)(url).status_code
    assert status == 404, (url, status)
    return len(captured.captured_queries)


def _timed(client: Any, method: str, url: str) -> float:
    from django.core.cache import caches

    # The API's rate limit (600 a minute) would answer 429 long before the rounds end; its counters
    # live in the default cache, emptied outside the timed window.
    caches["default"].clear()
    start = time.perf_counter()
    status = getattr(client, method)(url).status_code
    elapsed = time.perf_counter() - start
    assert status == 404, (url, status)
    return elapsed * 1000


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def run(rounds: int, only: str = "") -> list[dict[str, Any]]:
    from django.urls import reverse

    world = _world()
    client = _client(world["outsider"])
    rows = []
    for label, method, name, keys in ENDPOINTS:
        if only and label != only:
            continue
        hidden_url = reverse(name, args=[world["ids"][k] for k in keys])
        missing_url = reverse(name, args=[MISSING for _k in keys])
        for _warm in range(20):
            _timed(client, method, hidden_url)
            _timed(client, method, missing_url)
        hidden: list[float] = []
        missing: list[float] = []
        for i in range(rounds):
            # Alternate which goes first, so neither always runs on a warmer cache.
            pair = [(hidden, hidden_url), (missing, missing_url)]
            for bucket, url in pair if i % 2 == 0 else reversed(pair):
                bucket.append(_timed(client, method, url))
        rows.append(
            {
                "endpoint": label,
                "missing_median": statistics.median(missing),
                "missing_p95": _p95(missing),
                "hidden_median": statistics.median(hidden),
                "hidden_p95": _p95(hidden),
                "ratio": statistics.median(hidden) / statistics.median(missing),
                "missing_queries": _queries(client, method, missing_url),
                "hidden_queries": _queries(client, method, hidden_url),
            }
        )
    return rows


def _table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| endpoint | missing: median / p95 (ms) | hidden: median / p95 (ms) | ratio of medians "
        "| queries missing / hidden |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['endpoint']} | {r['missing_median']:.2f} / {r['missing_p95']:.2f} "
            f"| {r['hidden_median']:.2f} / {r['hidden_p95']:.2f} | {r['ratio']:.2f} "
            f"| {r['missing_queries']} / {r['hidden_queries']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/custody_sharing")
    parser.add_argument("--endpoint", default="", help="measure only this endpoint (its label, e.g. 'redaction job')")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="custody-bench-") as var_dir:
        setup_scratch_vault(args.backend, args.pg_url, var_dir, test_environment=True)
        rows = run(args.rounds, args.endpoint)
    print(f"backend: {args.backend}; {args.rounds} rounds per path; {platform.processor() or platform.machine()}")
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(_table(rows))


if __name__ == "__main__":
    main()
