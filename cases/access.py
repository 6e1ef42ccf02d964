"""One access helper per object: the object if the caller may, else 404 (denial audited)."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest

from audit.actions import Action
from audit.services import Target, record
from cases import selectors
from cases.consent import evaluate, survivor_target
from cases.models import Case, ConsentAction, MhpssNote, Survivor
from teams.access import acting_as, require_found
from teams.policy import Decision, NoteRef, Perm, SurvivorRef


def case_target(case_id: int) -> Target:
    return Target("case", case_id)


def survivor_ref(survivor: Survivor) -> SurvivorRef:
    return SurvivorRef(
        survivor_id=survivor.pk,
        case=survivor.case.as_ref(),
        custodian_ids=frozenset(survivor.custodians.values_list("pk", flat=True)),
    )


def note_ref(note: MhpssNote) -> NoteRef:
    shared = evaluate(note.survivor, ConsentAction.SHARE_MHPSS_NOTE).allowed
    return NoteRef(note_id=note.pk, survivor=survivor_ref(note.survivor), shared_with_lawyers=shared)


def missing_case(case_id: int = 0) -> Case:
    """A placeholder for a case that does not exist: its ref costs the same queries and matches nobody."""
    return Case(pk=case_id, organisation_id=0)


def get_case_for(request: HttpRequest, case_id: int, perm: Perm = Perm.CASE_VIEW) -> tuple[Case, Decision]:
    found = Case.objects.select_related("organisation", "host_jurisdiction").filter(pk=case_id).first()
    case = found or missing_case(case_id)
    decision = require_found(
        request, perm, case.as_ref(), found=found is not None, targets=[case_target(case_id)], case_id=case.pk
    )
    return case, decision


def get_survivor_for(
    request: HttpRequest, survivor_id: int, perm: Perm = Perm.SURVIVOR_VIEW
) -> tuple[Survivor, Decision]:
    found = Survivor.objects.select_related("case").filter(pk=survivor_id).first()
    survivor = found or Survivor(pk=survivor_id, case=missing_case())
    decision = require_found(
        request,
        perm,
        survivor_ref(survivor),
        found=found is not None,
        targets=[survivor_target(survivor_id)],
        case_id=survivor.case_id,
    )
    return survivor, decision


def get_note_for(request: HttpRequest, note_id: int, perm: Perm = Perm.MHPSS_NOTE_READ) -> tuple[MhpssNote, Decision]:
    found = MhpssNote.objects.select_related("survivor", "survivor__case").filter(pk=note_id).first()
    note = found or MhpssNote(pk=note_id, survivor=Survivor(pk=0, case=missing_case()))
    target = Target("cases.mhpss_note", note_id)
    decision = require_found(
        request,
        perm,
        note_ref(note),
        found=found is not None,
        targets=[target, survivor_target(note.survivor_id)] if found else [target],
        case_id=note.survivor.case_id,
    )
    return note, decision


def record_case_read(request: HttpRequest, case: Case, decision: Decision) -> None:
    """The audit event of a read of the case (web or API), in its own transaction."""
    with transaction.atomic():
        record(
            action=Action.CASE_VIEWED,
            user=request.user,
            acting_as=acting_as(decision),
            request=request,
            case_id=case.pk,
            targets=[case_target(case.pk)],
        )


def record_grants_listed(request: HttpRequest, case: Case, decision: Decision, page: str = "") -> None:
    """The audit event of a read of the case's grants (its sharing page, or the item grant page by name)."""
    with transaction.atomic():
        record(
            action=Action.GRANTS_LISTED,
            user=request.user,
            acting_as=acting_as(decision),
            request=request,
            case_id=case.pk,
            targets=[case_target(case.pk)],
            details={"page": page} if page else None,
        )


def record_survivor_read(request: HttpRequest, survivor: Survivor, decision: Decision, page: str = "") -> None:
    """Every read of a survivor's file is audited, each page other than the file itself by name."""
    with transaction.atomic():
        record(
            action=Action.SURVIVOR_VIEWED,
            user=request.user,
            acting_as=acting_as(decision),
            request=request,
            case_id=survivor.case_id,
            targets=[survivor_target(survivor.pk)],
            details={"page": page} if page else None,
        )


def listed_cases(request: HttpRequest, *, limit: int | None = None) -> list[Case]:
    """The cases the caller may see (dashboard, case list, API), read and recorded in one transaction.

    The event names every case shown, so the log answers "who saw that this case exists".
    """
    with transaction.atomic():
        found = selectors.cases_for(request)
        cases = list(found[:limit] if limit is not None else found)
        record(
            action=Action.CASES_LISTED,
            user=request.user,
            request=request,
            targets=[case_target(case.pk) for case in cases],
            details={"count": len(cases)},
        )
    return cases
