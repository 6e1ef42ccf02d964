"""The page where a coalition lead grants a team (or one member of it) access to chosen items of a case."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cases.access import record_grants_listed
from cases.consent import ConsentRefused
from cases.sharing import GrantInvalid
from evidence.access import get_case_for
from evidence.forms_sharing import ItemGrantForm
from evidence.sharing import do_grant_items
from teams.access import acting_as
from teams.policy import Perm


@login_required
@require_http_methods(["GET", "POST"])
def grant_items(request: HttpRequest, case_id: int) -> HttpResponse:
    case, decision = get_case_for(request, case_id, Perm.GRANT_MANAGE)
    if request.method == "POST":
        form = ItemGrantForm(request.POST, case=case)
    else:
        # The item page links here with the item chosen in advance.
        form = ItemGrantForm(case=case, initial={"items": request.GET.getlist("items")})
    if request.method == "POST" and form.is_valid():
        try:
            do_grant_items(
                case=case,
                items=list(form.cleaned_data["items"]),
                grantee_team=form.cleaned_data["grantee_team"],
                grantee_user=form.cleaned_data["grantee_user"],
                level=form.cleaned_data["level"],
                rights=form.cleaned_data["rights"],
                purpose=form.cleaned_data["purpose"],
                expires_at=form.expires_at(),
                user=request.user,
                request=request,
                acting_as=acting_as(decision),
            )
        except (GrantInvalid, ConsentRefused) as refused:
            form.add_error(None, str(refused.message))
        else:
            messages.success(request, _("Access to the chosen items granted."))
            return redirect("sharing:grants", case_id=case.pk)
    record_grants_listed(request, case, decision, page="items")
    context = {"case": case, "form": form, "residency": case.organisation.originals_stay_in_jurisdiction}
    return render(request, "evidence/grant_items.html", context, status=400 if form.errors else 200)
