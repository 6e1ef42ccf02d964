"""Forms for custody: a transfer proposal, an answer, and the registration of a physical item."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from evidence.custody_services import PhysicalItemInput

NEUTRAL = _("Describe the object neutrally: no names of survivors or witnesses.")


class ProposeTransferForm(forms.Form):
    to_user = forms.ModelChoiceField(queryset=User.objects.none(), label=_("Hand over to"))
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    to_location = forms.CharField(label=_("New storage location"), max_length=200, required=False)
    new_seal_number = forms.CharField(
        label=_("Seal number after the transfer"),
        max_length=64,
        required=False,
        help_text=_("Keep the current number if the seal is intact; a new number records a re-seal."),
    )

    def __init__(self, *args: Any, receivers: QuerySet[User], physical: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = receivers  # type: ignore[attr-defined]
        if physical:
            self.fields["to_location"].required = True
            self.fields["new_seal_number"].required = True
        else:
            del self.fields["to_location"]
            del self.fields["new_seal_number"]


class AnswerTransferForm(forms.Form):
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False)


class PhysicalItemForm(forms.Form):
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000, help_text=NEUTRAL
    )
    physical_location = forms.CharField(label=_("Storage location"), max_length=200)
    seal_number = forms.CharField(label=_("Seal number"), max_length=64)
    collected_by = forms.CharField(label=_("Collected by"), max_length=200)
    collected_at = forms.DateTimeField(
        label=_("Collected at (UTC)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )
    collection_place = forms.CharField(label=_("Place of collection"), max_length=200)

    def as_input(self) -> PhysicalItemInput:
        data = self.cleaned_data
        return PhysicalItemInput(
            description=data["description"].strip(),
            physical_location=data["physical_location"].strip(),
            seal_number=data["seal_number"].strip(),
            collected_by=data["collected_by"].strip(),
            collected_at=data["collected_at"],
            collection_place=data["collection_place"].strip(),
        )
