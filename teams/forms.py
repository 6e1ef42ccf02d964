from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from teams.models import Role

# The platform administrator role is given by operators only, never from a team page.
TEAM_ROLE_CHOICES = [(role.value, role.label) for role in Role if role != Role.ADMIN]


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=TEAM_ROLE_CHOICES, initial=Role.LAWYER.value)

    def clean_role(self) -> Role:
        return Role(self.cleaned_data["role"])


class AddMemberForm(RoleForm):
    username = forms.CharField(label=_("Username"), max_length=150)

    field_order = ["username", "role"]

    def clean_username(self) -> User:
        username = str(self.cleaned_data["username"]).strip()
        user = User.objects.filter(username__iexact=username, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("No active account has this username."))
        return user

    def clean(self) -> dict[str, Any]:
        return super().clean() or {}
