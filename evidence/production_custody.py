"""The custody report placed in a production package: the regular report without staff network details.

A package leaves the vault for a court and often for the opposing party. The regular report
(evidence/custody_report.py) carries each event's canonical body, which holds the IP address and
user agent of the staff member who acted: a package would tell the other side where and on which
devices the vault's lawyers and investigators worked. The production variant keeps who acted, in
which role, what, when and with what outcome, with each event's sequence number and hash, and says
in the report itself that the network details are left out and how a court obtains them. The
regular custody report export is unchanged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from django.utils.translation import gettext as _

from evidence.custody_report import build_report, render_json

FORMAT: Final = "custody-report/1+production"
# Event fields a package keeps: never "canonical" (it carries "ip" and "ua").
KEPT: Final = (
    "seq",
    "at",
    "action",
    "outcome",
    "actor",
    "role",
    "purpose",
    "prev_hash",
    "hash",
    "covered_by_checkpoint",
)


def omitted_note() -> str:
    return _(
        "Network addresses omitted: the IP addresses and user agents of the people who acted are left out of "
        "this report; they are available from the vault on a court's order."
    )


def _verification(regular: list[str]) -> list[str]:
    # The regular first step recomputes hashes from the canonical bodies, which this variant leaves out.
    step = _(
        "Each event is committed to by its sequence number and hash. The canonical bodies the hashes are computed "
        "over are not included here (they carry network addresses); the vault's audit export up to the "
        "checkpoint, available on a court's order, lets anyone recompute every hash listed."
    )
    return [step, *regular[1:]]


def production_report(item_id: int, *, as_of_seq: int, generated_at: datetime, generated_by: str) -> bytes:
    """JSON bytes of the item's custody report for a package: no IP address, no user agent."""
    report: dict[str, Any] = build_report(
        item_id, as_of_seq=as_of_seq, generated_at=generated_at, generated_by=generated_by
    )
    report["format"] = FORMAT
    report["events"] = [{key: event[key] for key in KEPT} for event in report["events"]]
    report["network_addresses"] = omitted_note()
    report["verification"] = _verification(list(report["verification"]))
    return render_json(report)
