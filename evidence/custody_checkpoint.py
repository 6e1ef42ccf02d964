"""The signed audit checkpoint a custody report cites.

A report is itself an audit event (``as_of_seq``), written after every event it lists, so no
checkpoint can cover it when it is made. The report cites the newest checkpoint signed before it:
every listed event up to that checkpoint's sequence number is committed to by its signed head hash;
the few after it are committed to by the next periodic checkpoint.
"""

from __future__ import annotations

from typing import Any

from audit.checkpoints import as_dict
from audit.models import Checkpoint


def checkpoint_before(as_of_seq: int) -> dict[str, Any] | None:
    """The newest checkpoint whose head is older than event ``as_of_seq``, as plain data."""
    checkpoint = Checkpoint.objects.filter(seq__lt=as_of_seq).order_by("-seq").first()
    return as_dict(checkpoint) if checkpoint else None
