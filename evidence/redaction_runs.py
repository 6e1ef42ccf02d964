"""The background halves of a redaction job: finding what to propose, and producing the approved copy.

Both read the original's verified plaintext into memory (``retrieval.iter_content``) and hand the
bytes to the engine; this module writes nothing to disk. The engine's external readers (qpdf,
pdftotext, pdftoppm, tesseract) need files: ``evidence.redaction.scratch`` gives them private
directories (mode 0700) under ``CUSTODY_SCRATCH_DIR`` or ``/dev/shm``, removed when each step ends.
That is the one place plaintext is transiently on disk (see docs/redaction.md).

Identifier text exists only in memory here: marks keep page, category and rank.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.actions import Action, Outcome
from audit.services import Target, record
from cases.consent import ConsentRefused
from cases.identifiers import IdentifiersRefused, identifiers_for_redaction
from cases.sealing import Sealed as SealedValue
from cases.sealing import SealedValueUnavailable, open_json
from evidence import services
from evidence.access import item_ref, item_target
from evidence.consent import require_use
from evidence.intake import SealedWriter
from evidence.models import DerivativeKind, EvidenceItem
from evidence.redaction import ocr
from evidence.redaction.detection import Policy, Term
from evidence.redaction.engine import redact_bytes
from evidence.redaction.geometry import Area
from evidence.redaction.preview import Drawn, render_page
from evidence.redaction.proposals import Findings, Found, find
from evidence.redaction.result import LeakDetected, RedactionError
from evidence.redaction_models import (
    MANUAL_KINDS,
    JobState,
    MarkKind,
    RedactionJob,
    RedactionLogEntry,
    RedactionMark,
)
from evidence.retrieval import IntegrityFailure, iter_content
from evidence.selectors import original_name
from evidence.survivor_links import recheck_new_links
from teams.policy import Perm, RedactionRef, actor_for, decide

PURPOSE = "redaction of a document"
_IDENTIFIER_SOURCES = {"identifier"}


class ProposalChanged(Exception):
    """The document or the identifiers no longer give the proposals that were reviewed."""


def job_target(job_id: int) -> Target:
    return Target("evidence.redaction", job_id)


def mark_context(job_id: int) -> str:
    return f"redaction-job:{job_id}"


def _plaintext(item: EvidenceItem) -> bytes:
    return b"".join(iter_content(item))


def _name(item: EvidenceItem) -> str:
    # Only the suffix matters to the engine (text, CSV, e-mail); the rest of the name may name someone.
    return f"item-{item.number}{Path(original_name(item)).suffix.lower()}"


def _identifier_terms(job: RedactionJob, user: Any) -> list[Term]:
    # Released to the person who carries the step (proposer, then approver): each must still work on the case.
    found = identifiers_for_redaction(
        survivor_ids=list(job.item.survivors.values_list("pk", flat=True)),
        requested_by=user,
        purpose=PURPOSE,
    )
    return [Term(i.category, i.value) for i in found]


def _kind(found: Found) -> str:
    if found.match.source == "near_miss":
        return MarkKind.NEAR_MISS
    return MarkKind.IDENTIFIER if found.match.source in _IDENTIFIER_SOURCES else MarkKind.PATTERN


def _proposals(found: Iterable[Found]) -> list[tuple[int | None, str, int, Found]]:
    """Matches the engine would not apply by itself, each with its rank among its page's category."""
    ranks: Counter[tuple[int | None, str]] = Counter()
    ranked = []
    for f in found:
        if f.match.applied:
            continue
        key = (f.page, f.match.category)
        ranked.append((f.page, f.match.category, ranks[key], f))
        ranks[key] += 1
    return ranked


def _boxes(found: Found) -> list[list[float]]:
    return [[round(v, 2) for v in box] for box in found.boxes]


def _marks(job: RedactionJob, findings: Findings) -> list[RedactionMark]:
    applied: dict[tuple[int | None, str, str], RedactionMark] = {}
    for f in findings.found:
        if not f.match.applied:
            continue
        key = (f.page, _kind(f), f.match.category)
        if key in applied:
            applied[key].count += 1
            applied[key].boxes.extend(_boxes(f))
        else:
            applied[key] = RedactionMark(
                job=job, page=f.page, kind=key[1], category=key[2], count=1, accepted=True, boxes=_boxes(f)
            )
    marks = list(applied.values())
    marks += [
        RedactionMark(
            job=job,
            page=page,
            kind=_kind(f),
            category=category,
            rank=rank,
            accepted=False,
            decidable=True,
            boxes=_boxes(f),
        )
        for page, category, rank, f in _proposals(findings.found)
    ]
    # A page only OCR can read, on a system without OCR: shown to the reviewer; the release will refuse.
    marks += [
        RedactionMark(job=job, page=page, kind=MarkKind.UNREADABLE, category="unverified", accepted=False)
        for page in findings.unreadable
    ]
    return marks


def run_proposal(job_id: int) -> str:
    """Find identifiers, patterns and near misses in the original and store them as marks."""
    job = RedactionJob.objects.select_related("item", "item__case", "proposed_by").get(pk=job_id)
    if job.state != JobState.PROPOSING:
        return str(job.state)
    try:
        terms = _identifier_terms(job, job.proposed_by)
        findings = find(_plaintext(job.item), _name(job.item), terms, Policy())
    except (RedactionError, IntegrityFailure, IdentifiersRefused) as error:
        return _fail(job_id, type(error).__name__, _safe_location(error))
    with transaction.atomic():
        job = RedactionJob.objects.select_for_update().get(pk=job_id)
        if job.state != JobState.PROPOSING:
            return str(job.state)
        job.marks.all().delete()
        marks = RedactionMark.objects.bulk_create(_marks(job, findings))
        pages = findings.pages
        job.state, job.pages, job.proposal_ready_at = JobState.PROPOSED, pages, timezone.now()
        job.save(update_fields=["state", "pages", "proposal_ready_at"])
        record(
            action=Action.REDACTION_PROPOSAL_READY,
            user=job.proposed_by,
            purpose=PURPOSE,
            case_id=job.item.case_id,
            targets=[item_target(job.item_id), job_target(job.pk)],
            details={
                "marks": len(marks),
                "proposals": sum(1 for m in marks if m.decidable),
                "pages": pages,
                "ocr_pages": findings.ocr_pages,
                "unreadable_pages": findings.unreadable,
            },
        )
    return str(job.state)


def _safe_location(error: BaseException) -> str:
    # Engine and integrity errors carry fixed, translated messages, never document text.
    if isinstance(error, RedactionError | IntegrityFailure):
        return str(error)[:255]
    return ""


def _fail(job_id: int, category: str, location: str) -> str:
    with transaction.atomic():
        job = RedactionJob.objects.select_for_update().select_related("item").get(pk=job_id)
        if job.state in {JobState.RELEASED, JobState.FAILED}:
            return str(job.state)
        job.state, job.finished_at = JobState.FAILED, timezone.now()
        job.failure_category, job.failure_location = category[:64], location[:255]
        job.save(update_fields=["state", "finished_at", "failure_category", "failure_location"])
        record(
            action=Action.REDACTION_FAILED,
            outcome=Outcome.FAILED,
            user=job.approved_by or job.proposed_by,
            purpose=PURPOSE,
            case_id=job.item.case_id,
            targets=[item_target(job.item_id), job_target(job.pk)],
            details={"category": job.failure_category, "location": job.failure_location},
        )
    return str(job.state)


def _open_term(mark: RedactionMark) -> str:
    value = open_json(
        SealedValue(wrapped_key=bytes(mark.sealed_key), ciphertext=bytes(mark.sealed_term)),
        context=mark_context(mark.job_id),
    )
    return str(value["term"])


def manual_terms(job: RedactionJob) -> list[Term]:
    return [Term("manual", _open_term(m)) for m in job.marks.filter(kind=MarkKind.MANUAL_TERM, accepted=True)]


def manual_areas(job: RedactionJob) -> list[Area]:
    """The accepted areas drawn by hand, for the engine: everything under them is removed."""
    marks = job.marks.filter(kind=MarkKind.MANUAL_AREA, accepted=True)
    return [Area(int(m.page or 0), *(float(v) for v in m.boxes[0])) for m in marks if m.boxes]


def _accepted_terms(job: RedactionJob, found: Sequence[Found]) -> list[Term]:
    """The text of the proposals the reviewer accepted, found again by page, category and rank."""
    marks = job.marks.filter(decidable=True).exclude(kind__in=MANUAL_KINDS)
    stored = Counter((m.page, m.category) for m in marks)
    ranked = _proposals(found)
    if Counter((page, category) for page, category, _rank, _f in ranked) != stored:
        raise ProposalChanged
    accepted = {(m.page, m.category, m.rank) for m in marks if m.accepted}
    return [Term(category, f.text) for page, category, rank, f in ranked if (page, category, rank) in accepted]


def _refusal_now(job: RedactionJob) -> tuple[str, str] | None:
    """A queued release is judged when it runs: the approver must still be allowed to approve it, and
    every survivor concerned must still consent to the team using the item (the refusal is recorded
    by the consent service). Returns the failure's category and reason, or None."""
    ref = RedactionRef(
        item=item_ref(job.item), state=job.state, proposed_by_id=job.proposed_by_id, reviewed_by_id=job.reviewed_by_id
    )
    decision = decide(actor_for(job.approved_by), Perm.REDACTION_APPROVE, ref)
    if not decision:
        return "approver_not_allowed", str(decision.reason)
    try:
        require_use(item=job.item, user=job.approved_by, request=None, acting_as=None, purpose=PURPOSE)
    except ConsentRefused as refused:
        return "consent", str(refused.message)
    return None


def run_release(job_id: int) -> str:
    """Redact with the accepted terms, verify, and store the copy as a derivative of the original."""
    job = RedactionJob.objects.select_related("item", "item__case", "proposed_by", "approved_by").get(pk=job_id)
    if job.state != JobState.APPROVED:
        return str(job.state)
    if refusal := _refusal_now(job):
        return _fail(job_id, *refusal)
    try:
        data, name = _plaintext(job.item), _name(job.item)
        identifiers = _identifier_terms(job, job.approved_by)
        with ocr.reuse():  # pages read by OCR to find the proposals again are not read twice
            findings = find(data, name, identifiers, Policy())
            terms = identifiers + _accepted_terms(job, findings.found) + manual_terms(job)
            outcome = redact_bytes(data, name, terms, Policy(), areas=manual_areas(job))
    except LeakDetected as leak:
        first = leak.leaks[0]
        return _fail(job_id, first.category, first.location)
    except ProposalChanged:
        return _fail(job_id, "proposal_changed", "")
    except (RedactionError, IntegrityFailure, IdentifiersRefused, SealedValueUnavailable) as error:
        return _fail(job_id, type(error).__name__, _safe_location(error))
    return _store(job, name, outcome.data, outcome.report.removed)


def _store(job: RedactionJob, name: str, data: bytes, removed: Counter[tuple[str, int | None]]) -> str:
    item = job.item
    writer = SealedWriter(services.plan_for(item.case))
    writer.write(data)
    copy = services.do_register_item(
        case=item.case,
        sealed=writer.finish(),
        original_name=f"redacted-{name}",
        collection=services.Collection(sensitivity=item.sensitivity, method="redaction"),
        user=job.approved_by,
        acting_as=None,
        channel="redaction",
        derivative=services.Derivative(of=item, kind=DerivativeKind.REDACTED),
    )
    with transaction.atomic():
        job = RedactionJob.objects.select_for_update().get(pk=job.pk)
        if job.state != JobState.APPROVED:
            return str(job.state)
        linked = list(item.survivors.all())
        copy.survivors.set(linked)
        # Linked like any item: the grants reaching the copy are judged against its survivors (see survivor_links).
        rechecked = recheck_new_links(item=copy, added=linked, user=job.approved_by, acting_as=None, request=None)
        RedactionLogEntry.objects.bulk_create(
            [RedactionLogEntry(job=job, category=c, page=p, count=n) for (c, p), n in sorted(removed.items(), key=str)]
        )
        job.state, job.output, job.finished_at = JobState.RELEASED, copy, timezone.now()
        job.save(update_fields=["state", "output", "finished_at"])
        record(
            action=Action.REDACTION_RELEASED,
            user=job.approved_by,
            purpose=PURPOSE,
            case_id=item.case_id,
            targets=[item_target(item.pk), item_target(copy.pk), job_target(job.pk)],
            details={"sha256": copy.sha256, "removed": sum(removed.values()), "derivative": copy.pk, **rechecked},
        )
    return str(job.state)


def mark_texts(job: RedactionJob, user: Any) -> dict[int, str]:
    """The text behind each mark, in memory, for a reviewer the caller has cleared to see identities."""
    identifiers = _identifier_terms(job, user)
    found = find(_plaintext(job.item), _name(job.item), identifiers, Policy()).found
    applied: dict[tuple[int | None, str, str], set[str]] = {}
    for f in found:
        if f.match.applied:
            applied.setdefault((f.page, _kind(f), f.match.category), set()).add(" ".join(f.text.split()))
    ranked = {(page, category, rank): " ".join(f.text.split()) for page, category, rank, f in _proposals(found)}
    texts: dict[int, str] = {}
    for mark in job.marks.all():
        if mark.kind == MarkKind.MANUAL_TERM:
            texts[mark.pk] = _open_term(mark)
        elif mark.kind in (MarkKind.MANUAL_AREA, MarkKind.UNREADABLE):
            continue
        elif mark.decidable:
            texts[mark.pk] = ranked.get((mark.page, mark.category, mark.rank), "")
        else:
            texts[mark.pk] = " · ".join(sorted(applied.get((mark.page, mark.kind, mark.category), set())))
    return texts


def _style(mark: RedactionMark) -> str:
    if mark.kind == MarkKind.MANUAL_AREA:
        return "area" if mark.accepted else "proposed"
    return "removed" if mark.accepted else "proposed"


def render_preview(job: RedactionJob, page: int) -> bytes:
    """PNG of one page of the original with every mark's boxes drawn, labelled with the mark's number.

    The original's plaintext is read (integrity verified) and rendered in memory; nothing is kept.
    """
    marks = job.marks.filter(page=page).exclude(kind__in=(MarkKind.MANUAL_TERM, MarkKind.UNREADABLE))
    drawn = [
        Drawn((float(b[0]), float(b[1]), float(b[2]), float(b[3])), _style(m), f"#{m.pk}")
        for m in marks
        for b in m.boxes
    ]
    return render_page(_plaintext(job.item), page, drawn)
