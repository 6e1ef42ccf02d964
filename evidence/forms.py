from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from evidence.models import Sensitivity
from evidence.services import Collection


class CollectionForm(forms.Form):
    """How the item was collected. Never asks for the file's name: it is taken, sealed, from the upload."""

    collected_by = forms.CharField(label=_("Collected by"), max_length=200, required=False)
    collected_at = forms.DateTimeField(label=_("Collected at (UTC)"), required=False)
    place = forms.CharField(label=_("Place of collection"), max_length=200, required=False)
    source = forms.CharField(label=_("Source"), max_length=200, required=False)
    method = forms.CharField(label=_("Method of collection"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    sensitivity = forms.ChoiceField(label=_("Sensitivity"), choices=Sensitivity.choices, initial=Sensitivity.HIGH)

    def collection(self) -> Collection:
        data = self.cleaned_data
        return Collection(
            collected_by=data["collected_by"],
            collected_at=data["collected_at"],
            place=data["place"],
            source=data["source"],
            method=data["method"],
            sensitivity=data["sensitivity"],
        )


class PurposeForm(forms.Form):
    purpose = forms.CharField(
        label=_("Purpose of this access"),
        min_length=5,
        max_length=500,
        help_text=_("Recorded in the audit log with your name, e.g. 'prepare witness statement for hearing'."),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), min_length=5, max_length=500)


class LegalHoldForm(ReasonForm):
    hold = forms.BooleanField(label=_("Under legal hold"), required=False)
