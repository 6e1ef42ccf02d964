"""Audit pages for the whole platform and for one person, and the checkpoint signing key."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.models import User
from accounts.sudo import sudo_redirect
from audit import signing
from audit.actions import Action
from audit.checkpoints import latest_checkpoint
from audit.selectors import EventFilter
from audit.services import Target, record
from teams.access import request_actor, require, require_found
from teams.audit_pages import events_csv, events_page
from teams.models import Membership
from teams.policy import Decision, Perm, PersonRef, decide

PLATFORM_TARGET = Target("audit.log", "platform")


def _platform(request: HttpRequest) -> Decision:
    return require(request, Perm.PLATFORM_AUDIT_VIEW, None, targets=[PLATFORM_TARGET])


def get_person_for(request: HttpRequest, user_id: int) -> tuple[User, Decision]:
    """The person whose trail is asked for, or 404 (denial audited) for anyone not entitled to it."""
    target = Target("user", user_id)
    found = User.objects.filter(pk=user_id).first()
    # A missing person is judged through a placeholder with the same queries, as a hidden one is.
    person = found or User(pk=user_id)
    organisations = frozenset(
        Membership.objects.filter(user_id=user_id).values_list("team__organisation_id", flat=True)
    )
    ref = PersonRef(user_id=person.pk, organisation_ids=organisations)
    decision = require_found(request, Perm.USER_AUDIT_VIEW, ref, found=found is not None, targets=[target])
    return person, decision


def person_filter(request: HttpRequest, person: User) -> EventFilter:
    """The person's events the caller may read.

    Platform auditors read all of them. An organisation's lead or auditor reads only what the person
    did acting as a member of an organisation the caller answers for: a person who works for two
    coalitions must not carry one coalition's case activity to the other.
    """
    actor = request_actor(request)
    if decide(actor, Perm.PLATFORM_AUDIT_VIEW, None):
        return EventFilter(actor_id=person.pk)
    organisations = Membership.objects.filter(user_id=person.pk).values_list("team__organisation_id", flat=True)
    visible = frozenset(
        org for org in organisations if decide(actor, Perm.USER_AUDIT_VIEW, PersonRef(person.pk, frozenset({org})))
    )
    return EventFilter(actor_id=person.pk, actor_organisation_ids=visible)


@login_required
@require_GET
def platform_events(request: HttpRequest) -> HttpResponse:
    decision = _platform(request)
    return events_page(
        request,
        base=EventFilter(),
        decision=decision,
        scope="platform",
        heading=_("Audit log"),
        targets=[PLATFORM_TARGET],
        extra={"checkpoint": latest_checkpoint(), "export_url_name": "audit:export"},
    )


@login_required
@require_GET
def platform_export(request: HttpRequest) -> HttpResponseBase:
    decision = _platform(request)
    if confirm := sudo_redirect(request):
        return confirm
    return events_csv(
        request,
        base=EventFilter(),
        decision=decision,
        scope="platform",
        filename="audit-log.csv",
        targets=[PLATFORM_TARGET],
    )


@login_required
@require_GET
def person_events(request: HttpRequest, user_id: int) -> HttpResponse:
    person, decision = get_person_for(request, user_id)
    return events_page(
        request,
        base=person_filter(request, person),
        decision=decision,
        scope="user",
        heading=_("Audit trail of %(user)s") % {"user": person.get_username()},
        targets=[Target("user", person.pk)],
        extra={"export_url_name": "audit:person-export", "export_arg": person.pk},
    )


@login_required
@require_GET
def person_export(request: HttpRequest, user_id: int) -> HttpResponseBase:
    person, decision = get_person_for(request, user_id)
    if confirm := sudo_redirect(request):
        return confirm
    return events_csv(
        request,
        base=person_filter(request, person),
        decision=decision,
        scope="user",
        filename=f"audit-user-{person.pk}.csv",
        targets=[Target("user", person.pk)],
    )


@login_required
@require_GET
def signing_key(request: HttpRequest) -> HttpResponse:
    """The public key that signs checkpoints: public by design, so anyone signed in may fetch it."""
    with transaction.atomic():
        key = signing.public_key()
        record(
            action=Action.AUDIT_EXPORTED,
            user=request.user,
            request=request,
            targets=[Target("audit.key", signing.fingerprint())],
            details={"scope": "signing_key"},
        )
    response = HttpResponse(key, content_type="application/pgp-keys")
    response["Content-Disposition"] = 'attachment; filename="custody-audit-key.asc"'
    return response
