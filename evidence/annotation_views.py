"""The comments page of an item: read what the caller may see, add one with the annotate right."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from audit.actions import Action
from audit.services import record
from evidence.access import get_item_for, item_ref, item_target
from evidence.annotations import AnnotationRefused, do_annotate, visible_annotations
from evidence.forms_annotations import AnnotationForm
from teams.access import acting_as, request_actor, require
from teams.policy import Perm, decide


@login_required
@require_http_methods(["GET", "POST"])
def item_comments(request: HttpRequest, item_id: int) -> HttpResponse:
    item, decision = get_item_for(request, item_id)
    form = AnnotationForm(request.POST or None)
    if request.method == "POST":
        write = require(
            request, Perm.ITEM_ANNOTATE, item_ref(item), targets=[item_target(item.pk)], case_id=item.case_id
        )
        if form.is_valid() and write.acting_as is not None:
            try:
                do_annotate(
                    item=item,
                    body=form.cleaned_data["body"],
                    team_id=write.acting_as.team_id,
                    user=request.user,
                    request=request,
                    acting_as=acting_as(write),
                )
            except AnnotationRefused as refused:
                form.add_error("body", refused.message)
            else:
                return redirect("annotations:list", item_id=item.pk)
    with transaction.atomic():
        record(
            action=Action.ANNOTATIONS_VIEWED,
            user=request.user,
            request=request,
            acting_as=acting_as(decision),
            case_id=item.case_id,
            targets=[item_target(item.pk)],
        )
    actor = request_actor(request)
    context = {
        "item": item,
        "form": form,
        "annotations": visible_annotations(item, {m.team_id for m in actor.memberships}),
        "can_annotate": bool(decide(actor, Perm.ITEM_ANNOTATE, item_ref(item))),
    }
    return render(request, "evidence/annotations.html", context, status=400 if form.errors else 200)
