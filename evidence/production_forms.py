"""Forms of the production pages. Text a person types is kept short and never used in a file name."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from cases.models import Case
from evidence.models import Sensitivity
from evidence.production_selectors import ItemFilter
from teams.models import Team


class ProductionForm(forms.Form):
    recipient = forms.CharField(label=_("Recipient (court, forum, jurisdiction)"), max_length=200)
    forum = forms.CharField(
        label=_("Forum named in the survivors' consent"),
        max_length=200,
        help_text=_("Exactly as recorded in the consent to use in proceedings before a named forum."),
    )
    purpose = forms.CharField(label=_("Purpose"), max_length=300, min_length=10)
    recipient_team = forms.ModelChoiceField(
        label=_("Recipient team in the vault (optional)"), queryset=Team.objects.none(), required=False
    )
    recipient_country = forms.ChoiceField(
        label=_("Recipient's country"),
        choices=lambda: [("", "—"), *countries],
        required=False,
        help_text=_("Where the package goes. Data residency decides on it: originals may not cross a border."),
    )
    recipient_key = forms.CharField(
        label=_("Recipient's OpenPGP public key (optional: the package is then encrypted to it)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    bates_prefix = forms.RegexField(
        label=_("Bates prefix"),
        regex=r"^[A-Z0-9][A-Z0-9-]{0,30}$",
        max_length=32,
        required=False,
        error_messages={"invalid": _("Capital letters, digits and dashes only.")},
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["recipient_team"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Team.objects.exclude(pk__in=case.teams.values("pk")).order_by("name")

    def clean_recipient_key(self) -> str:
        key = str(self.cleaned_data.get("recipient_key") or "").strip()
        if key and "BEGIN PGP PUBLIC KEY BLOCK" not in key:
            raise forms.ValidationError(_("Paste an ASCII-armoured OpenPGP public key."))
        return key


class SearchForm(forms.Form):
    name = forms.CharField(label=_("Name of the search"), max_length=80)
    sensitivity = forms.ChoiceField(label=_("Sensitivity"), choices=[("", "—"), *Sensitivity.choices], required=False)
    media_type = forms.CharField(label=_("Media type starts with"), max_length=127, required=False)
    collected_from = forms.DateField(label=_("Collected from"), required=False)
    collected_to = forms.DateField(label=_("Collected until"), required=False)
    survivor_code = forms.CharField(label=_("Concerns the survivor (code)"), max_length=32, required=False)
    number_from = forms.IntegerField(label=_("From item number"), min_value=1, required=False)
    number_to = forms.IntegerField(label=_("To item number"), min_value=1, required=False)

    def item_filter(self) -> ItemFilter:
        data = self.cleaned_data
        return ItemFilter(
            sensitivity=data.get("sensitivity") or "",
            media_type=data.get("media_type") or "",
            collected_from=data.get("collected_from"),
            collected_to=data.get("collected_to"),
            survivor_code=data.get("survivor_code") or "",
            number_from=data.get("number_from"),
            number_to=data.get("number_to"),
        )


class WithholdForm(forms.Form):
    reason = forms.CharField(label=_("Reason for withholding (privilege)"), max_length=300, required=False)


class ApprovalForm(forms.Form):
    purpose = forms.CharField(label=_("Why originals must be produced"), max_length=300, min_length=10)
