"""Forms of the sharing pages: a grant, a revocation, a second-approval request."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from cases.models import Case, GrantLevel, GrantRight
from teams.models import Team


def _teams_outside(case: Case) -> Any:
    return Team.objects.exclude(pk__in=case.teams.values_list("pk", flat=True)).select_related("organisation")


def _people_outside(case: Case) -> Any:
    """Members of the teams a grant may name; the service checks the person belongs to the team chosen."""
    teams = _teams_outside(case).values_list("pk", flat=True)
    return User.objects.filter(memberships__team__in=teams, is_active=True).distinct().order_by("username")


class GrantForm(forms.Form):
    grantee_team = forms.ModelChoiceField(queryset=Team.objects.none(), label=_("Team"))
    grantee_user = forms.ModelChoiceField(
        queryset=User.objects.none(),
        label=_("Only this member of the team"),
        required=False,
        empty_label=_("The whole team"),
    )
    level = forms.ChoiceField(choices=GrantLevel.choices, label=_("Level"), initial=GrantLevel.METADATA)
    rights = forms.MultipleChoiceField(
        choices=GrantRight.choices, label=_("Rights"), widget=forms.CheckboxSelectMultiple, initial=["view"]
    )
    purpose = forms.CharField(label=_("Purpose"), min_length=10, max_length=300)
    expires_on = forms.DateField(
        label=_("Expires on"), widget=forms.DateInput(attrs={"type": "date"}), help_text=_("At most a year ahead.")
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["grantee_team"].queryset = _teams_outside(case)  # type: ignore[attr-defined]
        self.fields["grantee_user"].queryset = _people_outside(case)  # type: ignore[attr-defined]
        today = timezone.localdate()
        self.fields["expires_on"].initial = today + datetime.timedelta(days=settings.CUSTODY_GRANT_DEFAULT_DAYS)

    def expires_at(self) -> datetime.datetime:
        day: datetime.date = self.cleaned_data["expires_on"]
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59)))


class ApprovalRequestForm(forms.Form):
    grantee_team = forms.ModelChoiceField(queryset=Team.objects.none(), label=_("Team in another country"))
    purpose = forms.CharField(label=_("Why originals are needed"), min_length=10, max_length=300)

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["grantee_team"].queryset = _teams_outside(case)  # type: ignore[attr-defined]


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)
