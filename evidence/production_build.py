"""The build run of a production: each included item streamed through verified retrieval into the engine.

Runs in a Celery task (``evidence.production_build``) or in-process for ``manage.py build_production``.
Idempotent on the production's state: a second run of a built or failed production does nothing.

Bates numbers: the run takes the case's next free number when it starts and moves the counter to the
engine's ``next_number`` by compare-and-set, in the transaction that records the stored package.
If another production of the case took numbers in the meantime, the package is discarded and built
again from the new start, so two productions of a case never share a number (the unique start per
case is the backstop). A build that fails stores nothing: its package is removed and its numbers,
never seen outside the vault, go to the next build.

A run is tied to one build: ``do_start_build`` gives each build a fresh token, the task carries it,
and the run takes a run token when it actually starts. Every write of the run (withholdings, grants,
progress, package, Bates counter, failure) requires the production to be ``building`` with both
tokens, so a stale, redelivered or overtaken run changes nothing and its package is deleted.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import logging
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO, cast

from celery.exceptions import SoftTimeLimitExceeded
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from audit.actions import Action, Outcome
from audit.models import AuditEvent
from audit.services import ActingAs
from audit.signing import SigningError
from cases.consent import ConsentRefused, require_all
from cases.models import ConsentAction, Survivor
from evidence import services, storage
from evidence.access import item_target
from evidence.consent import concerned_survivors
from evidence.intake import Sealed, SealedWriter
from evidence.models import EvidenceItem
from evidence.production.errors import ProductionError
from evidence.production.package import (
    PackageInfo,
    PackageResult,
    ProducedDocument,
    WithheldEntry,
    write_package,
)
from evidence.production.signer import VaultSigner
from evidence.production_custody import production_report
from evidence.production_decisions import consent_missing, justifying_grants
from evidence.production_models import BatesCounter, ProducedForm, Production, ProductionItem, ProductionKey
from evidence.production_models import ProductionState as S
from evidence.production_package import PackageSink
from evidence.production_services import PURPOSE, ProductionRefused, _record
from evidence.production_tasks import BUILD_TIME_LIMIT, RUN_SILENCE, build_production
from evidence.production_texts import Stored, deferred, english
from evidence.redaction_models import RedactionJob
from evidence.retrieval import IntegrityFailure, iter_content
from teams.policy import Perm, actor_for, decide
from vault.tasks import TRANSIENT_ERRORS

ATTEMPTS = 3
CHUNK = 200

logger = logging.getLogger(__name__)


def control_for(index: int) -> str:
    return f"DOC-{index:06d}"


def _iso(moment: Any) -> str | None:
    return moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z") if moment else None


def _redaction_log(copy: EvidenceItem) -> bytes:
    job = RedactionJob.objects.filter(output=copy).select_related("proposed_by", "reviewed_by", "approved_by").first()
    data: dict[str, Any] = {"original_sha256": copy.derivative_of.sha256 if copy.derivative_of else "", "job": None}
    if job is not None:
        data.update(
            job=job.pk,
            proposed_by=job.proposed_by.get_username(),
            reviewed_by=job.reviewed_by.get_username() if job.reviewed_by else None,
            approved_by=job.approved_by.get_username() if job.approved_by else None,
            approved_at=_iso(job.approved_at),
            removed=[{"category": e.category, "page": e.page, "count": e.count} for e in job.log.all()],
        )
    data["redacted_sha256"] = copy.sha256
    return json.dumps(data, sort_keys=True, indent=2).encode("utf-8") + b"\n"


def _document(row: ProductionItem, control: str, as_of_seq: int, builder: str) -> ProducedDocument:
    produced = row.produced
    assert produced is not None
    report = production_report(row.item_id, as_of_seq=as_of_seq, generated_at=timezone.now(), generated_by=builder)
    custodian = row.item.custodian.get_username() if row.item.custodian else ""
    return ProducedDocument(
        control=control,
        item_ref=str(row.item.uid),
        form=row.form,
        media_type=produced.media_type or "application/octet-stream",
        display_name=produced.display_name,
        source_sha256=produced.sha256,
        custodian=custodian,
        collected_at=_iso(row.item.collected_at),
        open_plaintext=lambda: iter_content(produced),
        custody_report=report,
        redaction_log=_redaction_log(produced) if row.form == ProducedForm.REDACTED else None,
    )


def _withheld(row: ProductionItem) -> WithheldEntry:
    """The package's entry: a neutral reason. The detailed one (naming a survivor) stays in the vault."""
    if row.privileged:
        code, reason = "privilege", _("privilege: %(reason)s") % {"reason": row.privilege_reason}
    elif row.reason_code == "consent":
        code, reason = "protected", _("withheld to protect a survivor")
    else:
        code, reason = "unavailable", _("no producible copy")
    return WithheldEntry(str(row.item.uid), row.item.display_name, code, reason)


def _rows(ids: Sequence[int]) -> Iterator[ProductionItem]:
    """The rows of ``ids`` in that order, loaded a chunk at a time: memory does not grow with the item count."""
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        found = {
            row.pk: row
            for row in ProductionItem.objects.filter(pk__in=chunk)
            .select_related("item", "item__case", "item__custodian", "produced", "produced__case")
            .select_related("produced__derivative_of")
            # The consent check at build reads every row's survivors: one query per chunk, not one per row.
            .prefetch_related("item__survivors", "produced__survivors")
        }
        yield from (found[pk] for pk in chunk)


def _row_ids(production: Production, *, included: bool | None = None) -> list[int]:
    rows = production.rows.order_by("item__number", "pk")
    if included is True:
        rows = rows.exclude(form=ProducedForm.WITHHELD)
    elif included is False:
        rows = rows.filter(form=ProducedForm.WITHHELD)
    return list(rows.values_list("pk", flat=True))


@dataclass(frozen=True)
class Lease:
    """This run's hold on one build of a production."""

    production_id: int
    build: uuid.UUID
    run: uuid.UUID

    def q(self) -> Q:
        return Q(pk=self.production_id, state=S.BUILDING, build_token=self.build, run_token=self.run)


class Superseded(Exception):
    """The build this run belongs to was failed, revoked, rebuilt or taken over by another run."""


def _claim(production_id: int, token: str | None) -> Lease | None:
    """Take the build ``token`` (None: the current build, for in-process callers) and note when the run began.

    Compare-and-set on the production's row: the run is taken only if no run holds it, or if the run
    holding it has been silent longer than ``RUN_SILENCE`` (its worker died). A second delivery of a
    build whose run is alive therefore gets nothing and does no work.
    """
    current = Production.objects.filter(pk=production_id, state=S.BUILDING).values_list("build_token", flat=True)
    try:
        build = uuid.UUID(token) if token else current.first()
    except ValueError:
        return None
    if build is None:
        return None
    run, now = uuid.uuid4(), timezone.now()
    free = Q(run_token__isnull=True) | Q(run_seen_at__isnull=True) | Q(run_seen_at__lt=_silent_before(now))
    building = Production.objects.filter(pk=production_id, state=S.BUILDING, build_token=build)
    if building.filter(free).update(run_token=run, build_running_at=now, run_seen_at=now):
        return Lease(production_id, build, run)
    if building.exists():
        logger.warning(
            "production %s: its build is already running in another delivery; this one does nothing", production_id
        )
    return None


def _silent_before(now: datetime.datetime | None = None) -> datetime.datetime:
    return (now or timezone.now()) - datetime.timedelta(seconds=RUN_SILENCE)


def _hold(lease: Lease) -> Production:
    """The production locked, while this run still holds its build (call inside a transaction)."""
    production = Production.objects.select_for_update().select_related("case").filter(lease.q()).first()
    if production is None:
        raise Superseded()
    return production


class BuildFailed(Exception):
    def __init__(self, message: Stored) -> None:
        super().__init__(english(message))
        self.message = message


def _consent_at_build(production: Production) -> dict[int, tuple[str, Stored]]:
    """Recorded consent checks as the builder: the rows whose survivor no longer consents, with the reason."""
    refused: dict[int, Stored] = {}
    withhold: dict[int, tuple[str, Stored]] = {}
    for row in _rows(_row_ids(production, included=True)):
        for survivor in concerned_survivors(row.produced or row.item):
            if survivor.pk not in refused:
                refused[survivor.pk] = _survivor_refusal(production, survivor)
            if refused[survivor.pk]:
                withhold[row.pk] = ("consent", refused[survivor.pk])
                break
    return withhold


def _settle_rows(lease: Lease, production: Production) -> tuple[list[int], list[int]]:
    """Withhold what consent or the recipient's live grants no longer allow; record the justifying grants.

    Fails closed: a row produced for a recipient team with no live grant reaching its form is withheld,
    never packaged with an incomplete grant list.
    """
    withhold = _consent_at_build(production)
    included = [pk for pk in _row_ids(production, included=True) if pk not in withhold]
    grants, ungranted = justifying_grants(production, _rows(included))
    reason = deferred(gettext_noop("The recipient team no longer holds a grant reaching this item's content."))
    withhold.update((pk, ("grant_level", reason)) for pk in ungranted)
    with transaction.atomic():
        held = _hold(lease)
        for row in ProductionItem.objects.filter(pk__in=withhold).order_by("pk"):
            code, why = withhold[row.pk]
            _withheld_event(held, row, code)
            row.form, row.produced, row.reason_code = ProducedForm.WITHHELD, None, code
            row.reason, row.reason_text = english(why)[:300], why
            row.save(update_fields=["form", "produced", "reason_code", "reason", "reason_text"])
        included = [pk for pk in included if pk not in withhold]
        # Taken before the package is written: a grant ended during the build already stops the download.
        Production.objects.filter(lease.q()).update(
            progress_total=len(included), recipient_grants=grants, run_seen_at=timezone.now()
        )
    return included, _row_ids(production, included=False)


def _withheld_event(production: Production, row: ProductionItem, code: str) -> None:
    """Each row the build withholds has its own event, targeting the item and the copy it would have produced."""
    targets = [item_target(row.item_id)]
    if row.produced_id and row.produced_id != row.item_id:
        targets.append(item_target(row.produced_id))
    _record(
        Action.PRODUCTION_ITEM_WITHHELD_AT_BUILD,
        production,
        production.built_by,
        None,
        None,
        targets=targets,
        reason_code=code,
        decided_form=row.form,
    )


def _survivor_refusal(production: Production, survivor: Survivor) -> Stored:
    """Empty when the survivor consents to storage and to this forum (both checks recorded)."""
    checks = ((ConsentAction.STORE_EVIDENCE, ""), (ConsentAction.PROCEEDINGS, production.forum))
    try:
        for action, target in checks:
            require_all(survivors=[survivor], action=action, target=target, user=production.built_by, purpose=PURPOSE)
    except ConsentRefused as refused:
        return consent_missing(survivor, refused.action, refused.target, refused.state)
    return {}


def _info(production: Production, start: int) -> PackageInfo:
    assert production.built_by is not None
    return PackageInfo(
        production_ref=production.reference,
        case_ref=production.case.reference,
        recipient=production.recipient,
        forum=production.forum,
        purpose=production.purpose,
        prepared_by=production.built_by.get_username(),
        organisation=production.case.organisation.name,
        bates_prefix=production.bates_prefix,
        bates_start=start,
        created_at=_iso(production.build_started_at or timezone.now()) or "",
    )


def _write(
    lease: Lease, production: Production, included: list[int], withheld: list[int], start: int
) -> tuple[PackageResult, Sealed]:
    as_of = AuditEvent.objects.aggregate(seq=Max("seq"))["seq"] or 0
    builder = production.built_by.get_username() if production.built_by else ""

    def documents() -> Iterator[ProducedDocument]:
        for index, row in enumerate(_rows(included), start=1):
            yield _document(row, control_for(index), as_of, builder)

    def progress(done: int) -> None:
        if not Production.objects.filter(lease.q()).update(progress_done=done, run_seen_at=timezone.now()):
            raise Superseded()  # stop writing a package nobody will keep

    writer = SealedWriter(services.plan_for(production.case), uid=uuid.uuid4())
    sink = PackageSink(writer)
    try:
        result = write_package(
            cast(BinaryIO, sink),
            info=_info(production, start),
            documents=documents(),
            withheld=[_withheld(r) for r in _rows(withheld)],
            signer=VaultSigner(),
            progress=progress,
            recipient_key=production.recipient_key or None,
        )
        sealed = writer.finish()
    except BaseException as error:
        sink.drop()
        writer.abort(error)
        raise _failure(error, included) from error
    return result, sealed


def _by_control(control: str, included: list[int]) -> ProductionItem | None:
    number = control.removeprefix("DOC-")
    index = int(number) if number.isdigit() else 0
    if not 1 <= index <= len(included):
        return None
    return ProductionItem.objects.select_related("item").filter(pk=included[index - 1]).first()


def _failure(error: BaseException, included: list[int]) -> BaseException:
    if isinstance(error, ProductionError):
        row = _by_control(error.control or "", included)
        where = f"{error.control} ({row.item.display_name})" if row else (error.control or "")
        reason = deferred(error.template, **error.params)
        located = gettext_noop("%(where)s: %(reason)s")
        return BuildFailed(deferred(located, where=where, reason=reason) if where else reason)
    if isinstance(error, IntegrityFailure):
        failed = gettext_noop("An item failed its integrity check: %(reason)s")
        return BuildFailed(deferred(failed, reason=error.reason))
    if isinstance(error, storage.StorageUnavailable):
        unreachable = gettext_noop("The evidence store could not be reached. Nothing was recorded; please try again.")
        return BuildFailed(deferred(unreachable))
    if isinstance(error, SigningError):
        return BuildFailed(deferred(gettext_noop("The vault's signing key could not sign the package.")))
    return error


STORED, NUMBERS_TAKEN, NOT_BUILDING = "stored", "numbers taken", "not building"


def _store(lease: Lease, included: list[int], withheld: int, result: PackageResult, sealed: Sealed, start: int) -> str:
    """Record the stored package and take the Bates numbers, or say why the package must be discarded."""
    by_control = {d.control: d for d in result.documents}
    try:
        with transaction.atomic():
            # The production first: a duplicate delivery stops here, before looking at the Bates counter.
            locked = Production.objects.select_for_update().select_related("case").filter(lease.q()).first()
            if locked is None:
                # Failed, revoked, built again or taken over by another run of the build: drop this package.
                return NOT_BUILDING
            counter = BatesCounter.objects.select_for_update().get(case_id=locked.case_id)
            if counter.next_number != start:
                return NUMBERS_TAKEN
            counter.next_number = max(result.next_number, start)
            counter.save(update_fields=["next_number"])
            _save_package(locked, result, sealed, start, included)
            for index, row in enumerate(_rows(included), start=1):
                document = by_control.get(control_for(index))
                row.control = control_for(index)
                row.bates_first = document.bates_first if document else ""
                row.bates_last = document.bates_last if document else ""
                row.pages = document.pages if document else None
                row.save(update_fields=["control", "bates_first", "bates_last", "pages"])
                _included_event(locked, row)
            _record(
                Action.PRODUCTION_BUILD_FINISHED,
                locked,
                locked.built_by,
                None,
                None,
                included=len(included),
                withheld=withheld,
                bates_first=result.bates_first,
                bates_last=result.bates_last,
                package_sha256=sealed.sha256,
                package_size=sealed.size,
                signature=result.signature_fingerprint,
            )
    except IntegrityError:
        return NUMBERS_TAKEN
    return STORED


def _included_event(production: Production, row: ProductionItem) -> None:
    targets = [item_target(row.item_id)]
    if row.produced_id and row.produced_id != row.item_id:
        targets.append(item_target(row.produced_id))
    _record(
        Action.PRODUCTION_ITEM_INCLUDED,
        production,
        production.built_by,
        None,
        None,
        targets=targets,
        form=row.form,
        control=row.control,
        bates_first=row.bates_first,
        bates_last=row.bates_last,
        sha256=row.produced.sha256 if row.produced else "",
    )


def _save_package(
    production: Production, result: PackageResult, sealed: Sealed, start: int, included: list[int]
) -> None:
    stamped = result.bates_first is not None
    production.state, production.built_at = S.BUILT, timezone.now()
    production.bates_start = start if stamped else None
    production.bates_next = result.next_number if stamped else None
    production.bates_first, production.bates_last = result.bates_first or "", result.bates_last or ""
    production.contains_originals = ProductionItem.objects.filter(pk__in=included, form=ProducedForm.ORIGINAL).exists()
    production.package_uid, production.storage_location, production.object_key = sealed.uid, sealed.alias, sealed.key
    production.object_size, production.ciphertext_sha256 = sealed.object_size, sealed.ciphertext_sha256
    production.package_size, production.package_sha256 = sealed.size, sealed.sha256
    production.package_name, production.tagmanifest_sha256 = result.bag_name[:128], result.tagmanifest_sha256
    production.signature_fingerprint = result.signature_fingerprint
    production.progress_done = len(included)
    production.save()
    ProductionKey.objects.bulk_create(
        [
            ProductionKey(
                production=production,
                escrow=w.escrow,
                provider=w.provider,
                kek_scope=w.kek_scope,
                kek_version=w.kek_version,
                wrapped=w.wrapped,
            )
            for w in sealed.data_key.wrapped
        ]
    )


def _fail(
    production_id: int,
    message: Stored,
    *,
    user: Any = None,
    acting_as: ActingAs | None = None,
    request: HttpRequest | None = None,
    stale_only: bool = False,
    lease: Lease | None = None,
    build: str | None = None,
) -> str:
    """Fail the build (``lease``: only while this run holds it; ``build``: only that build)."""
    held = lease.q() if lease else Q(pk=production_id, state=S.BUILDING)
    if build:
        held &= Q(build_token=build)
    with transaction.atomic():
        production = Production.objects.select_for_update().select_related("case").filter(held).first()
        if production is None:
            return str(_load(production_id).state)
        started = production.run_clock
        if stale_only and started is not None and started >= stale_before():
            return str(production.state)
        production.state, production.failure, production.failure_text = S.FAILED, english(message)[:300], message
        production.save(update_fields=["state", "failure", "failure_text"])
        _record(
            Action.PRODUCTION_BUILD_FAILED,
            production,
            user or production.built_by,
            acting_as,
            request,
            outcome=Outcome.FAILED,
            failure=production.failure,
            marked_by_hand=user is not None,
        )
    return str(production.state)


def do_fail_stale_build(
    *, production: Production, user: Any, acting_as: ActingAs | None = None, request: HttpRequest | None = None
) -> Production:
    """A lead marks a build that outlived the task's hard time limit as failed, so it can be built again."""
    state = _fail(production.pk, stale_message(), user=user, acting_as=acting_as, request=request, stale_only=True)
    if state != S.FAILED:
        raise ProductionRefused(_("This build is still within its time limit: wait for it to finish or fail."))
    return _load(production.pk)


def _load(production_id: int) -> Production:
    return Production.objects.select_related(
        "case", "case__organisation", "case__host_jurisdiction", "built_by", "recipient_team"
    ).get(pk=production_id)


def run_build(production_id: int, *, token: str | None = None) -> str:
    """Build and store the package of the build ``token`` (None: the current one); failures end in ``failed``."""
    lease = _claim(production_id, token)
    if lease is None:
        return str(_load(production_id).state)  # another build's run, a duplicate after the end, or revoked
    try:
        return _run(lease)
    except Superseded:
        return str(_load(production_id).state)
    except TRANSIENT_ERRORS:
        raise  # retried by the task; the last attempt ends in fail_unexpected
    except SoftTimeLimitExceeded:
        out_of_time = gettext_noop("The build ran out of time. Build again, or with fewer items.")
        return _fail(production_id, deferred(out_of_time), lease=lease)
    except Exception as error:
        return fail_unexpected(production_id, error, lease=lease)


def fail_unexpected(
    production_id: int, error: BaseException, *, lease: Lease | None = None, token: str | None = None
) -> str:
    """The build stopped on an error nobody foresaw: recorded as failed, the error's kind kept (never its text)."""
    message = gettext_noop(
        "The build stopped on an unexpected error (%(kind)s). Build again; if it recurs, tell the operator."
    )
    return _fail(production_id, deferred(message, kind=type(error).__name__), lease=lease, build=token)


def _run(lease: Lease) -> str:
    production_id = lease.production_id
    production = _load(production_id)
    if not decide(actor_for(production.built_by), Perm.PRODUCTION_MANAGE, production.case.as_ref()):
        return _fail(
            production_id,
            deferred(gettext_noop("The person who started the build may no longer prepare productions.")),
            lease=lease,
        )
    included, withheld = _settle_rows(lease, production)
    BatesCounter.objects.get_or_create(case_id=production.case_id)
    for _attempt in range(ATTEMPTS):
        if not Production.objects.filter(lease.q()).exists():
            return str(_load(production_id).state)  # failed, revoked or built again meanwhile: no work
        start = BatesCounter.objects.get(case_id=production.case_id).next_number
        try:
            result, sealed = _write(lease, production, included, withheld, start)
        except BuildFailed as failed:
            return _fail(production_id, failed.message, lease=lease)
        outcome = _store(lease, included, len(withheld), result, sealed, start)
        if outcome != STORED:
            with contextlib.suppress(storage.StorageUnavailable):
                storage.delete(sealed.alias, sealed.key)
        if outcome != NUMBERS_TAKEN:
            return str(_load(production_id).state)
    numbers_taken = gettext_noop("Other productions of the case kept taking Bates numbers; build again.")
    return _fail(production_id, deferred(numbers_taken), lease=lease)


def stale_before() -> datetime.datetime:
    """A run that began before this moment (or a build queued before it and never run) is past the hard limit."""
    return timezone.now() - datetime.timedelta(seconds=BUILD_TIME_LIMIT)


def fail_stale_builds() -> int:
    """Mark every build older than the task's hard limit as failed (the periodic sweep)."""
    clock = Coalesce("build_running_at", "build_started_at")
    building = Production.objects.filter(state=S.BUILDING).annotate(clock=clock)
    stale = list(building.filter(clock__lt=stale_before()).values_list("pk", flat=True))
    return sum(1 for pk in stale if _fail(pk, stale_message(), stale_only=True) == S.FAILED)


def resume_silent_runs() -> int:
    """Deliver again each build whose run went silent (its worker died): the new delivery takes the run over.

    A build whose run stopped without failing would otherwise wait for the hard time limit's sweep.
    """
    silent = Production.objects.filter(
        state=S.BUILDING, run_token__isnull=False, run_seen_at__lt=_silent_before()
    ).values_list("pk", "build_token")
    resumed = 0
    for pk, build in silent:
        with transaction.atomic():
            build_production.delay_on_commit(pk, str(build))
        logger.warning("production %s: its build's run went silent; delivered again", pk)
        resumed += 1
    return resumed


def stale_message() -> Stored:
    return deferred(gettext_noop("The build stopped without finishing (the worker ended or was stopped). Build again."))
