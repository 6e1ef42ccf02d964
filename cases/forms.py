"""Forms for case, survivor, consent, MHPSS and interview pages. Bad input is answered, never lost."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from cases.models import (
    AgeBand,
    AllegationType,
    CaseStatus,
    ChildAssent,
    ConsentAction,
    ConsentMethod,
    Decision,
    GivenBy,
    Guardian,
    Mission,
    PersonnelCategory,
    ReceiptLanguage,
    reference_validator,
)
from teams.models import Team

DATE = forms.DateInput(attrs={"type": "date"})


class CaseForm(forms.Form):
    reference = forms.CharField(label=_("Reference"), max_length=32, validators=[reference_validator])
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none())
    mission = forms.ChoiceField(label=_("Peacekeeping mission"), choices=[("", "—"), *Mission.choices], required=False)
    allegation_type = forms.ChoiceField(label=_("Allegation type"), choices=AllegationType.choices)
    child_involved = forms.BooleanField(label=_("A child was involved"), required=False)
    incident_date = forms.DateField(label=_("Date of the incident"), required=False, widget=DATE)
    reported_on = forms.DateField(label=_("Date first reported"), required=False, widget=DATE)

    def __init__(self, *args: Any, teams: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams if teams is not None else Team.objects.none()  # type: ignore[attr-defined]


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=CaseStatus.choices)
    on = forms.DateField(label=_("Date"), widget=DATE)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class PerpetratorForm(forms.Form):
    contributing_country = forms.ChoiceField(
        label=_("Contributing country"), choices=[("", "—"), *countries], required=False
    )
    category = forms.ChoiceField(label=_("Personnel category"), choices=PersonnelCategory.choices)
    unit = forms.CharField(label=_("Unit, where known"), max_length=120, required=False)


class AvenueForm(forms.Form):
    forum = forms.CharField(label=_("Forum"), max_length=200)
    jurisdiction = forms.ChoiceField(
        label=_("Jurisdiction"), choices=[("", _("International")), *countries], required=False
    )
    description = forms.CharField(label=_("What is pursued"), max_length=300, required=False)
    started_on = forms.DateField(label=_("Started on"), required=False, widget=DATE)


class DeadlineForm(forms.Form):
    description = forms.CharField(label=_("What expires"), max_length=300)
    due_on = forms.DateField(label=_("Due on"), widget=DATE)
    remind_days_before = forms.IntegerField(label=_("Remind this many days before"), min_value=0, initial=30)


IDENTITY_LISTS = ("aliases", "contacts", "id_numbers", "relatives", "places")
IDENTITY_TEXT = ("legal_name", "address", "date_of_birth")


def identity_from(data: dict[str, Any]) -> dict[str, Any]:
    """The sealed identity's fields from a form's cleaned data (lists: one entry per line)."""
    out: dict[str, Any] = {k: data.get(k, "").strip() for k in IDENTITY_TEXT}
    out.update({k: [v.strip() for v in data.get(k, "").splitlines() if v.strip()] for k in IDENTITY_LISTS})
    return out


class SurvivorForm(forms.Form):
    age_band = forms.ChoiceField(label=_("Age band"), choices=AgeBand.choices)
    child_at_incident = forms.BooleanField(label=_("A child at the time of the incident"), required=False)
    child_now = forms.BooleanField(label=_("A child now"), required=False)
    preferred_language = forms.ChoiceField(label=_("Preferred language"), choices=ReceiptLanguage.choices)
    safety_notes = forms.CharField(label=_("Safety notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    guardian_relationship = forms.CharField(
        label=_("Guardian (relationship, e.g. mother)"), max_length=64, required=False
    )
    legal_name = forms.CharField(label=_("Legal name"), max_length=200, required=False)
    aliases = forms.CharField(
        label=_("Aliases (one per line)"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    contacts = forms.CharField(
        label=_("Contacts (one per line)"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    id_numbers = forms.CharField(
        label=_("ID numbers (one per line)"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    relatives = forms.CharField(
        label=_("Relatives' names, guardians included (one per line)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    date_of_birth = forms.CharField(label=_("Date of birth"), max_length=32, required=False)
    places = forms.CharField(label=_("Places (one per line)"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("child_now") and not data.get("guardian_relationship"):
            self.add_error("guardian_relationship", _("A child needs at least one guardian."))
        return data

    def identity(self) -> dict[str, Any]:
        return identity_from(self.cleaned_data)


class ConsentForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), choices=ConsentAction.choices)
    target = forms.CharField(
        label=_("Target"),
        max_length=200,
        required=False,
        help_text=_("Team id, country code (e.g. BD), forum, UN body or media outlet, as the action needs."),
    )
    decision = forms.ChoiceField(label=_("Decision"), choices=[c for c in Decision.choices if c[0] != "withdrawn"])
    conditions = forms.CharField(label=_("Conditions"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    given_by = forms.ChoiceField(label=_("Given by"), choices=GivenBy.choices)
    guardian = forms.ModelChoiceField(label=_("Guardian"), queryset=Guardian.objects.none(), required=False)
    child_assent = forms.ChoiceField(label=_("Child's own assent"), choices=ChildAssent.choices)
    method = forms.ChoiceField(label=_("How"), choices=ConsentMethod.choices)
    language = forms.CharField(label=_("Language used"), max_length=64)
    interpreter = forms.CharField(label=_("Interpreter"), max_length=120, required=False)
    given_on = forms.DateField(label=_("Date given"), widget=DATE)
    expires_on = forms.DateField(label=_("Expires on"), required=False, widget=DATE)

    def __init__(self, *args: Any, survivor: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if survivor is not None:
            self.fields["guardian"].queryset = survivor.guardians.all()  # type: ignore[attr-defined]


class WithdrawForm(forms.Form):
    action = forms.ChoiceField(choices=ConsentAction.choices, widget=forms.HiddenInput)
    target = forms.CharField(max_length=200, required=False, widget=forms.HiddenInput)
    given_by = forms.ChoiceField(label=_("Withdrawn by"), choices=GivenBy.choices)
    guardian = forms.ModelChoiceField(label=_("Guardian"), queryset=Guardian.objects.none(), required=False)
    method = forms.ChoiceField(label=_("How"), choices=ConsentMethod.choices)
    language = forms.CharField(label=_("Language used"), max_length=64)

    def __init__(self, *args: Any, survivor: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if survivor is not None:
            self.fields["guardian"].queryset = survivor.guardians.all()  # type: ignore[attr-defined]


class RevealForm(forms.Form):
    purpose = forms.CharField(label=_("Why do you need to see this identity?"), min_length=10, max_length=500)


class ReceiptForm(forms.Form):
    language = forms.ChoiceField(label=_("Language of the receipt"), choices=ReceiptLanguage.choices)
    contact_details = forms.CharField(label=_("Contact details to print"), max_length=300, required=False)
    print_legal_name = forms.BooleanField(label=_("Print the legal name instead of the code"), required=False)
    purpose = forms.CharField(label=_("Purpose (when printing the name)"), max_length=500, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("print_legal_name") and len(data.get("purpose", "").strip()) < 10:
            self.add_error("purpose", _("State why the name must be printed (at least 10 characters)."))
        return data


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 6}))
    safety_flag = forms.CharField(
        label=_("Safety flag for the legal team (non-clinical)"), max_length=200, required=False
    )
    no_contact_before = forms.DateField(label=_("No contact before"), required=False, widget=DATE)


class InterviewForm(forms.Form):
    held_on = forms.DateField(label=_("Date"), widget=DATE)
    purpose = forms.CharField(label=_("Purpose"), max_length=300)
    mhpss_present = forms.BooleanField(label=_("An MHPSS expert was present"), required=False)


class CustodianForm(forms.Form):
    custodian: forms.ModelChoiceField[Any] = forms.ModelChoiceField(label=_("New identity custodian"), queryset=None)

    def __init__(self, *args: Any, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["custodian"].queryset = candidates  # type: ignore[attr-defined]


class SurvivorUpdateForm(forms.Form):
    age_band = forms.ChoiceField(label=_("Age band"), choices=AgeBand.choices)
    child_at_incident = forms.BooleanField(label=_("A child at the time of the incident"), required=False)
    child_now = forms.BooleanField(label=_("A child now"), required=False)
    preferred_language = forms.ChoiceField(label=_("Preferred language"), choices=ReceiptLanguage.choices)
    safety_notes = forms.CharField(label=_("Safety notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class IdentityEditForm(forms.Form):
    """Replace the sealed identity; the lists are one entry per line."""

    legal_name = SurvivorForm.base_fields["legal_name"]
    aliases = SurvivorForm.base_fields["aliases"]
    contacts = SurvivorForm.base_fields["contacts"]
    address = SurvivorForm.base_fields["address"]
    id_numbers = SurvivorForm.base_fields["id_numbers"]
    relatives = SurvivorForm.base_fields["relatives"]
    date_of_birth = SurvivorForm.base_fields["date_of_birth"]
    places = SurvivorForm.base_fields["places"]
    reason = forms.CharField(label=_("Why is it changed?"), min_length=10, max_length=500)

    @classmethod
    def initial_from(cls, identity: Any) -> dict[str, str]:
        lists = {k: "\n".join(getattr(identity, k)) for k in IDENTITY_LISTS}
        return {**{k: getattr(identity, k) for k in IDENTITY_TEXT}, **lists}

    def identity(self) -> dict[str, Any]:
        return identity_from(self.cleaned_data)
