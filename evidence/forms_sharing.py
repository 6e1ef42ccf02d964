"""The form of a grant limited to chosen items of a case."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import Case
from cases.sharing_forms import GrantForm
from evidence.models import EvidenceItem, State


class ItemChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: EvidenceItem) -> str:
        if obj.derivative_of_id is None:
            return obj.display_name
        return f"{obj.display_name} ({obj.get_derivative_kind_display()})"


class ItemGrantForm(GrantForm):
    """A grant form with the items it is limited to (each item also opens its derivatives)."""

    items = ItemChoice(
        queryset=EvidenceItem.objects.none(),
        label=_("Items"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Choosing an original also gives its redacted copies, as the level allows."),
    )

    field_order = ["items", "grantee_team", "grantee_user", "level", "rights", "purpose", "expires_on"]

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, case=case, **kwargs)
        self.fields["items"].queryset = (  # type: ignore[attr-defined]
            EvidenceItem.objects.filter(case=case)
            .exclude(state=State.SHREDDED)
            .select_related("case")
            .order_by("number")
        )
