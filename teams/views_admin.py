"""Platform administration of accounts (permission accounts.manage)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import services
from accounts.forms import CreateUserForm
from accounts.models import User
from accounts.selectors import accounts_overview
from accounts.sudo import sudo_redirect
from audit.actions import Action
from audit.services import Target, record
from teams.access import acting_as, not_found, require
from teams.policy import Decision, Perm


def _require_manager(request: HttpRequest, target: Target) -> Decision:
    return require(request, Perm.ACCOUNTS_MANAGE, None, targets=[target])


def _account(request: HttpRequest, user_id: int) -> User:
    """The account to act on; 404 for a caller without accounts.manage, exactly as for a missing account."""
    target = Target("user", user_id)
    _require_manager(request, target)
    account = User.objects.filter(pk=user_id).first()
    if account is None:
        raise not_found(request, perm=Perm.ACCOUNTS_MANAGE, targets=[target])
    return account


@login_required
@require_GET
def user_list_view(request: HttpRequest) -> HttpResponse:
    decision = _require_manager(request, Target("accounts", "all"))
    with transaction.atomic():
        accounts = list(accounts_overview())
        record(
            action=Action.ACCOUNTS_LISTED,
            user=request.user,
            acting_as=acting_as(decision),
            request=request,
            targets=[Target("accounts", "all")],
            details={"count": len(accounts)},
        )
    return render(request, "accounts/admin_users.html", {"accounts": accounts})


@login_required
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def user_create_view(request: HttpRequest) -> HttpResponseBase:
    _require_manager(request, Target("accounts", "new"))
    form = CreateUserForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and (confirm := sudo_redirect(request)):
        return confirm
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.do_create_user(
                username=data["username"],
                display_name=data["display_name"],
                email=data["email"],
                password=data["password"],
                by=request.user,  # type: ignore[arg-type]
                request=request,
            )
        except services.AccountError:
            form.add_error("username", _("This username is already taken."))
        else:
            messages.success(request, _("Account %(name)s created.") % {"name": data["username"]})
            return redirect("accounts:admin-users")
    return render(request, "accounts/admin_user_form.html", {"form": form})


@login_required
@require_POST
def user_active_view(request: HttpRequest, user_id: int) -> HttpResponseBase:
    account = _account(request, user_id)
    if confirm := sudo_redirect(request):
        return confirm
    active = request.POST.get("active") == "1"
    if account.pk == request.user.pk and not active:
        messages.error(request, _("You cannot disable your own account."))
        return redirect("accounts:admin-users")
    services.do_set_active(user=account, active=active, by=request.user, request=request)  # type: ignore[arg-type]
    if active:
        messages.success(request, _("Account %(name)s enabled.") % {"name": account.username})
    else:
        messages.success(
            request, _("Account %(name)s disabled; its sessions and API token ended.") % {"name": account.username}
        )
    return redirect("accounts:admin-users")


@login_required
@require_POST
def user_reset_otp_view(request: HttpRequest, user_id: int) -> HttpResponseBase:
    account = _account(request, user_id)
    if confirm := sudo_redirect(request):
        return confirm
    services.do_reset_second_factor(user=account, by=request.user, request=request)  # type: ignore[arg-type]
    messages.success(
        request,
        _("Two-factor sign-in reset for %(name)s: they set it up again at next sign-in.") % {"name": account.username},
    )
    return redirect("accounts:admin-users")
