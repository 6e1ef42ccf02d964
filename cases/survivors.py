"""Writes on survivors: registration, the sealed identity, its custodians and audited reveals.

Revealing an identity goes through two steps, ``authorise_reveal`` (a named custodian
with a purpose) then ``do_reveal_identity``, which opens the sealed identity only with a
second coalition lead's approval of the custodian's request (``cases.approvals``, kind
``reveal_identity``), used once in the reveal's transaction.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables
from django_countries import countries

from audit.actions import Action
from audit.services import ActingAs, UserLike, record
from cases import sealing
from cases.approvals import ApprovalRefused, usable_approval, use_approval
from cases.consent import survivor_target
from cases.models import ApprovalKind, Case, Guardian, SealedIdentity, Survivor
from cases.sharing import do_recheck_for_new_survivor
from teams.policy import Perm, SurvivorRef, actor_for, decide


class RevealRefused(Exception):
    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass
class IdentityData:
    """What identifies a survivor. Only ever held in memory, sealed at rest."""

    legal_name: str = ""
    aliases: list[str] = field(default_factory=list)
    contacts: list[str] = field(default_factory=list)
    address: str = ""
    id_numbers: list[str] = field(default_factory=list)
    relatives: list[str] = field(default_factory=list)
    date_of_birth: str = ""
    places: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        # Keep identifiers out of tracebacks, debug pages and logs.
        return "IdentityData(<sealed>)"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IdentityData:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


@dataclass(frozen=True, slots=True)
class RevealAuthorisation:
    survivor_id: int
    user_id: int
    purpose: str
    approved_by_id: int | None = None


def identity_context(survivor_id: int) -> str:
    return f"survivor:{survivor_id}:identity"


@sensitive_variables()
def open_identity(sealed: SealedIdentity) -> IdentityData:
    """Decrypt a sealed identity. Callers are the audited services only (reveal, redaction)."""
    value = sealing.Sealed(bytes(sealed.wrapped_key), bytes(sealed.ciphertext))
    return IdentityData.from_dict(sealing.open_json(value, context=identity_context(sealed.survivor_id)))


def next_code(case: Case) -> str:
    """The next free pseudonym code for the case's host country, e.g. S-CAF-0042."""
    prefix = f"S-{countries.alpha3(case.host_jurisdiction.code) or 'XXX'}-"
    taken = Survivor.objects.filter(code__startswith=prefix).values_list("code", flat=True)
    numbers = [int(code.removeprefix(prefix)) for code in taken if code.removeprefix(prefix).isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


@dataclass(frozen=True, slots=True)
class Registration:
    """A survivor just registered, and the whole-case grants their registration suspended."""

    survivor: Survivor
    grants_suspended: list[int]


def do_create_survivor(
    *,
    case: Case,
    user: UserLike,
    identity: IdentityData | None = None,
    guardians: list[tuple[str, str]] = (),  # type: ignore[assignment]
    acting_as: ActingAs | None = None,
    request: HttpRequest | None = None,
    **fields: Any,
) -> Survivor:
    """Register a survivor (``do_register_survivor``) when the caller has no use for the grants it suspended."""
    return do_register_survivor(
        case=case,
        user=user,
        identity=identity,
        guardians=guardians,
        acting_as=acting_as,
        request=request,
        **fields,
    ).survivor


def do_register_survivor(
    *,
    case: Case,
    user: UserLike,
    identity: IdentityData | None = None,
    guardians: list[tuple[str, str]] = (),  # type: ignore[assignment]
    acting_as: ActingAs | None = None,
    request: HttpRequest | None = None,
    **fields: Any,
) -> Registration:
    """Register a survivor under a fresh code; the creator becomes the first identity custodian.

    The case's live whole-case grants are judged against the newcomer in the same transaction
    (``cases.sharing.do_recheck_for_new_survivor``): one that needs consents they have not given is
    suspended. The creation's event lists the grants judged; the grants suspended are returned so
    that the person registering can be told.
    """
    with transaction.atomic():
        survivor = Survivor(case=case, code=next_code(case), created_by_id=user.pk, **fields)
        if survivor.child_now:
            survivor.child_at_incident = True
        survivor.full_clean()
        survivor.save()
        survivor.custodians.add(user.pk)
        for label, relationship in guardians:
            Guardian.objects.create(survivor=survivor, label=label, relationship=relationship)
        grants = do_recheck_for_new_survivor(survivor=survivor, user=user, request=request, acting_as=acting_as)
        record(
            action=Action.SURVIVOR_CREATED,
            user=user,
            acting_as=acting_as,
            request=request,
            case_id=case.pk,
            targets=[survivor_target(survivor.pk)],
            details={
                "code": survivor.code,
                "child_now": survivor.child_now,
                **{f"grants_{outcome}": ids for outcome, ids in grants.items() if ids},
            },
        )
        if identity is not None:
            do_seal_identity(survivor=survivor, identity=identity, user=user, acting_as=acting_as, request=request)
    return Registration(survivor=survivor, grants_suspended=grants["suspended"])


SURVIVOR_FIELDS = ("age_band", "child_at_incident", "child_now", "preferred_language", "safety_notes")


def do_update_survivor(
    *,
    survivor: Survivor,
    user: UserLike,
    acting_as: ActingAs | None = None,
    request: HttpRequest | None = None,
    **fields: Any,
) -> Survivor:
    """Change the pseudonymous facts. A child who comes of age gives their own consent from then on."""
    unknown = set(fields) - set(SURVIVOR_FIELDS)
    if unknown:
        raise TypeError(f"unknown survivor fields: {sorted(unknown)}")
    with transaction.atomic():
        changed = sorted(name for name, value in fields.items() if getattr(survivor, name) != value)
        for name, value in fields.items():
            setattr(survivor, name, value)
        survivor.full_clean()
        survivor.save()
        record(
            action=Action.SURVIVOR_UPDATED,
            user=user,
            acting_as=acting_as,
            request=request,
            case_id=survivor.case_id,
            targets=[survivor_target(survivor.pk)],
            details={"changed": changed},
        )
    return survivor


def do_seal_identity(
    *,
    survivor: Survivor,
    identity: IdentityData,
    user: UserLike,
    acting_as: ActingAs | None = None,
    request: HttpRequest | None = None,
    reason: str = "",
) -> SealedIdentity:
    """Write (or replace) the sealed identity under a new data key of its own."""
    scope = sealing.scope_for(survivor.case.host_jurisdiction.code)
    value = sealing.seal_json(asdict(identity), scope=scope, context=identity_context(survivor.pk))
    with transaction.atomic():
        sealed, _created = SealedIdentity.objects.update_or_create(
            survivor=survivor,
            defaults={
                "wrapped_key": value.wrapped_key,
                "escrow_key": value.escrow,
                "ciphertext": value.ciphertext,
                "shredded_at": None,
            },
        )
        record(
            action=Action.IDENTITY_SEALED,
            user=user,
            acting_as=acting_as,
            request=request,
            purpose=reason,
            case_id=survivor.case_id,
            targets=[survivor_target(survivor.pk)],
        )
    return sealed


def _ref(survivor: Survivor) -> SurvivorRef:
    return SurvivorRef(
        survivor_id=survivor.pk,
        case=survivor.case.as_ref(),
        custodian_ids=frozenset(survivor.custodians.values_list("pk", flat=True)),
    )


def authorise_reveal(*, survivor: Survivor, user: Any, purpose: str) -> RevealAuthorisation:
    """May ``user`` see this identity now, for this purpose? The single gate before any reveal."""
    purpose = purpose.strip()
    if len(purpose) < 10:
        raise RevealRefused(_("State the purpose of this reveal (at least 10 characters)."))
    if not decide(actor_for(user), Perm.IDENTITY_REVEAL, _ref(survivor)):
        raise RevealRefused(_("Only the survivor's named identity custodians can reveal it."))
    approval = usable_approval(
        kind=ApprovalKind.REVEAL_IDENTITY, case=survivor.case, subject=reveal_subject(survivor.pk), user=user
    )
    return RevealAuthorisation(
        survivor_id=survivor.pk,
        user_id=int(user.pk),
        purpose=purpose,
        approved_by_id=approval.decided_by_id if approval else None,
    )


def reveal_subject(survivor_id: int) -> str:
    return f"survivor:{survivor_id}"


@sensitive_variables()
def do_reveal_identity(
    *,
    survivor: Survivor,
    authorisation: RevealAuthorisation,
    user: UserLike,
    acting_as: ActingAs | None = None,
    request: HttpRequest | None = None,
    channel: str = "screen",
) -> IdentityData:
    """Open the sealed identity for an authorised custodian, recording who, why and how."""
    if authorisation.survivor_id != survivor.pk or authorisation.user_id != int(user.pk):
        raise RevealRefused(_("This authorisation is for another survivor or person."))
    sealed = SealedIdentity.objects.filter(survivor=survivor).first()
    if sealed is None or sealed.is_shredded:
        raise RevealRefused(_("No identity has been recorded for this survivor."))
    with transaction.atomic():
        try:
            approval = use_approval(
                kind=ApprovalKind.REVEAL_IDENTITY,
                case=survivor.case,
                subject=reveal_subject(survivor.pk),
                user=user,
            )
        except ApprovalRefused as refused:
            raise RevealRefused(
                _("Revealing an identity needs a second coalition lead's approval of your request first.")
            ) from refused
        record(
            action=Action.IDENTITY_REVEALED,
            user=user,
            acting_as=acting_as,
            request=request,
            purpose=authorisation.purpose,
            case_id=survivor.case_id,
            targets=[survivor_target(survivor.pk)],
            details={"channel": channel, "approved_by": approval.decided_by_id, "approval": approval.pk},
        )
        return open_identity(sealed)


def do_add_custodian(
    *,
    survivor: Survivor,
    custodian: Any,
    user: UserLike,
    acting_as: ActingAs | None = None,
    request: HttpRequest | None = None,
) -> None:
    """Name another custodian; they must be a lawyer, investigator or lead on one of the case's teams."""
    would_be = SurvivorRef(survivor.pk, survivor.case.as_ref(), frozenset({int(custodian.pk)}))
    if not decide(actor_for(custodian), Perm.IDENTITY_REVEAL, would_be):
        raise RevealRefused(_("A custodian must work on this case as a lawyer, investigator or coalition lead."))
    with transaction.atomic():
        survivor.custodians.add(custodian.pk)
        record(
            action=Action.IDENTITY_CUSTODIAN_ADDED,
            user=user,
            acting_as=acting_as,
            request=request,
            case_id=survivor.case_id,
            targets=[survivor_target(survivor.pk)],
            details={"custodian_id": int(custodian.pk)},
        )


def do_shred_identity(
    *,
    survivor: Survivor,
    user: UserLike,
    reason: str,
    acting_as: ActingAs | None = None,
    request: HttpRequest | None = None,
) -> None:
    """Destroy every copy of the identity's data key (wrapped and escrowed): the ciphertext stays, unreadable."""
    with transaction.atomic():
        sealed = SealedIdentity.objects.select_for_update().get(survivor=survivor)
        sealed.wrapped_key = b""
        sealed.escrow_key = b""
        sealed.shredded_at = timezone.now()
        sealed.save(update_fields=["wrapped_key", "escrow_key", "shredded_at", "updated_at"])
        record(
            action=Action.IDENTITY_SHREDDED,
            user=user,
            acting_as=acting_as,
            request=request,
            purpose=reason,
            case_id=survivor.case_id,
            targets=[survivor_target(survivor.pk)],
        )
