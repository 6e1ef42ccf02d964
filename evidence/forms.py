from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Survivor
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
    survivors = forms.ModelMultipleChoiceField(
        label=_("Survivors concerned"),
        queryset=Survivor.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Their consent is checked before anyone views or downloads the content."),
    )
    no_survivor_material = forms.BooleanField(label=_("This item concerns no survivor"), required=False)

    def __init__(self, *args: Any, case: Case | None = None, **kwargs: Any) -> None:
        # Without the case (resumable intake) no survivor can be chosen: the item stays undetermined, and
        # closed, until an editor links its survivors on the item page.
        super().__init__(*args, **kwargs)
        if case is not None:
            self.fields["survivors"].queryset = case.survivors.order_by("code")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("survivors") and data.get("no_survivor_material"):
            raise forms.ValidationError(_("Either choose the survivors concerned or mark it as concerning none."))
        return data

    def collection(self) -> Collection:
        data = self.cleaned_data
        return Collection(
            survivor_ids=tuple(s.pk for s in data["survivors"]),
            no_survivor_material=data["no_survivor_material"],
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


class SurvivorLinkForm(forms.Form):
    """Link or unlink the survivors of the item's case; or say explicitly that it concerns none of them."""

    survivors = forms.ModelMultipleChoiceField(
        label=_("Survivors concerned"),
        queryset=Survivor.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    no_survivor_material = forms.BooleanField(label=_("This item concerns no survivor"), required=False)

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["survivors"].queryset = case.survivors.order_by("code")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("survivors") and data.get("no_survivor_material"):
            raise forms.ValidationError(_("Either choose the survivors concerned or mark it as concerning none."))
        return data
