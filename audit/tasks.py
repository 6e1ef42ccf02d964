"""Periodic audit tasks: sign a checkpoint, verify the chain."""

from __future__ import annotations

from typing import Any

from audit.checkpoints import do_make_checkpoint
from audit.integrity import do_verify_chain
from vault.tasks import vault_task


@vault_task("audit.make_checkpoint", time_limit=300)
def make_checkpoint() -> dict[str, Any]:
    checkpoint = do_make_checkpoint()
    return {"seq": checkpoint.seq if checkpoint else 0}


@vault_task("audit.verify_chain", time_limit=3600, max_retries=2)
def verify_chain() -> dict[str, Any]:
    report = do_verify_chain()
    finding = report.finding
    return {"sound": finding is None, "events": report.events, "kind": finding.kind.value if finding else ""}
