"""Signed checkpoints of the audit chain.

A checkpoint states "the chain had ``tree_size`` events and its head hash was
``chain_head`` at ``timestamp``", signed with the vault's audit key. The
statement and its detached signature are kept in the database and, apart
from it, in the "audit" storage (object storage in production), so a rewrite
of the whole chain in the database no longer matches what was signed.

Statement format ``custody-checkpoint/1`` (docs/audit.md): canonical JSON
(sorted keys, no white space, UTF-8) of::

    {"chain_format": 1, "chain_head": "<hex>", "format": "custody-checkpoint/1",
     "hash": "sha256", "origin": "<site>", "timestamp": "...Z", "tree_size": N}

Verifiers accept any ``custody-checkpoint/<major>`` and ignore fields they do
not know, so a later version can add an RFC 6962/9162 ``merkle_root`` beside
the chain head without invalidating earlier checkpoints or verifiers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit import chain, signing
from audit.actions import Action
from audit.models import AuditEvent, Checkpoint
from audit.services import record

FORMAT: Final = "custody-checkpoint/1"
FORMAT_PREFIX: Final = "custody-checkpoint/"
STORAGE_NAME: Final = "audit"


class StatementError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Statement:
    tree_size: int
    chain_head: str
    timestamp: str
    merkle_root: str | None = None


def statement_bytes(*, tree_size: int, chain_head: str, signed_at: datetime) -> bytes:
    body = {
        "format": FORMAT,
        "origin": settings.CUSTODY_SITE_NAME,
        "tree_size": tree_size,
        "chain_head": chain_head,
        "chain_format": chain.FORMAT_VERSION,
        "hash": "sha256",
        "timestamp": chain.format_time(signed_at),
    }
    return chain.canonical_bytes(body)


def parse_statement(data: bytes) -> Statement:
    """Read any version of the statement; unknown fields are ignored on purpose."""
    try:
        body = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise StatementError("the checkpoint statement is not JSON") from error
    fmt = body.get("format", "") if isinstance(body, dict) else ""
    if not isinstance(fmt, str) or not fmt.startswith(FORMAT_PREFIX) or body.get("hash") != "sha256":
        raise StatementError("the checkpoint statement has an unknown format")
    size, head, root = body.get("tree_size"), body.get("chain_head"), body.get("merkle_root")
    if not isinstance(size, int) or not isinstance(head, str) or len(head) != 64:
        raise StatementError("the checkpoint statement lacks a tree size or chain head")
    return Statement(size, head, str(body.get("timestamp", "")), root if isinstance(root, str) else None)


def _storage_keys(seq: int) -> tuple[str, str]:
    base = f"checkpoints/{seq:012d}.json"
    return base, base + ".asc"


def _already_covered(head_seq: int) -> Checkpoint | None:
    """The latest checkpoint if nothing but its own audit event came after it."""
    latest = Checkpoint.objects.order_by("-seq").first()
    if latest is None:
        return None
    if latest.seq == head_seq:
        return latest
    if latest.seq == head_seq - 1:
        head_action = AuditEvent.objects.filter(seq=head_seq).values_list("action", flat=True).first()
        if head_action == Action.AUDIT_CHECKPOINT.value:
            return latest
    return None


def do_make_checkpoint() -> Checkpoint | None:
    """Sign the chain's current head. None on an empty log; idempotent while the head stays put."""
    head = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    if head is None:
        return None
    seq, head_hash = head
    existing = _already_covered(seq)
    if existing is not None:
        return existing
    signed_at = timezone.now()
    statement = statement_bytes(tree_size=seq, chain_head=head_hash, signed_at=signed_at)
    signature, key = signing.sign(statement)
    storage = storages[STORAGE_NAME]
    statement_name, signature_name = _storage_keys(seq)
    statement_key = storage.save(statement_name, ContentFile(statement))
    signature_key = storage.save(signature_name, ContentFile(signature.encode("ascii")))
    try:
        with transaction.atomic():
            checkpoint = Checkpoint.objects.create(
                seq=seq,
                head_hash=head_hash,
                signed_at=signed_at,
                statement=statement.decode("utf-8"),
                signature=signature,
                statement_key=statement_key,
                signature_key=signature_key,
                key_fingerprint=key,
            )
            record(
                action=Action.AUDIT_CHECKPOINT,
                username="system",
                details={"seq": seq, "head_hash": head_hash, "key": key},
            )
    except IntegrityError:
        # Another worker signed the same head first.
        return Checkpoint.objects.get(seq=seq)
    return checkpoint


def as_dict(checkpoint: Checkpoint) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "seq": checkpoint.seq,
        "head_hash": checkpoint.head_hash,
        "signed_at": chain.format_time(checkpoint.signed_at),
        "key_fingerprint": checkpoint.key_fingerprint,
        "statement": checkpoint.statement,
        "signature": checkpoint.signature,
        "statement_key": checkpoint.statement_key,
        "signature_key": checkpoint.signature_key,
    }


def checkpoint_covering(seq: int) -> dict[str, Any] | None:
    """The earliest checkpoint whose head hash commits to event ``seq``, if one exists yet."""
    checkpoint = Checkpoint.objects.filter(seq__gte=seq).order_by("seq").first()
    return as_dict(checkpoint) if checkpoint else None


def latest_checkpoint() -> dict[str, Any] | None:
    checkpoint = Checkpoint.objects.order_by("-seq").first()
    return as_dict(checkpoint) if checkpoint else None
