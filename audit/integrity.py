"""The periodic integrity check of the audit chain, and what happens when it fails."""

from __future__ import annotations

import logging
from typing import Final

from django.db import transaction

from audit import alerts
from audit.actions import Action, Outcome
from audit.alert_messages import AUDIT_CHAIN_BROKEN
from audit.services import record
from audit.verify import Report, verify

logger: Final = logging.getLogger("custody.audit")


def do_verify_chain(*, username: str = "system", workers: int = 1) -> Report:
    """Verify, record the result in the chain, and on failure log and open an alert."""
    report = verify(workers=workers)
    finding = report.finding
    if finding is None:
        record(
            action=Action.AUDIT_VERIFIED,
            username=username,
            details={"events": report.events, "head_seq": report.head_seq, "checkpoints": report.checkpoints},
        )
        return report
    logger.error("audit chain broken: kind=%s seq=%s %s", finding.kind.value, finding.seq, finding.message)
    with transaction.atomic():
        alerts.raise_alert(
            kind=alerts.AUDIT_CHAIN,
            message=finding.message,
            code=AUDIT_CHAIN_BROKEN,
            params={"seq": finding.seq, "kind": finding.kind.value},
        )
        record(
            action=Action.AUDIT_BROKEN,
            outcome=Outcome.FAILED,
            username=username,
            details={"kind": finding.kind.value, "seq": finding.seq},
        )
    return report
