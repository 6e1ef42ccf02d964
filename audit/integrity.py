"""The periodic integrity check of the audit chain, and what happens when it fails."""

from __future__ import annotations

import logging
from typing import Final

from django.db import transaction

from audit import alerts
from audit.actions import Action, Outcome
from audit.alert_messages import AUDIT_CHAIN_BROKEN, AUDIT_TABLE_ALTERED, AUDIT_UNVERIFIED
from audit.services import record
from audit.verify import Kind, Report, verify

logger: Final = logging.getLogger("custody.audit")


class VerificationFailed(RuntimeError):
    """The walk could not be completed: nothing can be said of the chain, and an alert is open."""


def do_verify_chain(*, username: str = "system", workers: int = 1) -> Report:
    """Verify, record the result in the chain, and on failure log and open an alert.

    A walk that cannot complete is not a sound chain: it is alerted like a break (an edited row
    must never be able to silence the check by making it fail), then raised."""
    try:
        report = verify(workers=workers)
    except Exception as error:
        logger.exception("audit chain could not be verified")
        with transaction.atomic():
            alerts.raise_alert(
                kind=alerts.AUDIT_CHAIN,
                # The error's text can quote database values: it goes to the log above, not the banner.
                message=f"The audit chain could not be verified ({type(error).__name__}).",
                code=AUDIT_UNVERIFIED,
                params={"error": type(error).__name__},
            )
            record(
                action=Action.AUDIT_BROKEN,
                outcome=Outcome.FAILED,
                username=username,
                details={"kind": "unverified", "error": type(error).__name__},
            )
        raise VerificationFailed(f"{type(error).__name__}: {error}") from error
    finding = report.finding
    if finding is None:
        record(
            action=Action.AUDIT_VERIFIED,
            username=username,
            details={"events": report.events, "head_seq": report.head_seq, "checkpoints": report.checkpoints},
        )
        return report
    logger.error("audit chain broken: kind=%s seq=%s %s", finding.kind.value, finding.seq, finding.message)
    altered = finding.kind is Kind.ALTERED
    with transaction.atomic():
        alerts.raise_alert(
            kind=alerts.AUDIT_CHAIN,
            message=finding.message,
            code=AUDIT_TABLE_ALTERED if altered else AUDIT_CHAIN_BROKEN,
            params={} if altered else {"seq": finding.seq, "kind": finding.kind.value},
        )
        record(
            action=Action.AUDIT_BROKEN,
            outcome=Outcome.FAILED,
            username=username,
            details={"kind": finding.kind.value, "seq": finding.seq},
        )
    return report
