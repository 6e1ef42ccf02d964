"""The filter form of the audit pages (platform, person, case)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from audit.actions import Action
from audit.selectors import EventFilter


class DateInput(forms.DateInput):
    input_type = "date"


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), required=False, choices=[("", _("Any action")), *Action.choices])
    person = forms.CharField(label=_("Person (user name)"), required=False, max_length=150)
    since = forms.DateField(label=_("From"), required=False, widget=DateInput)
    until = forms.DateField(label=_("To (inclusive)"), required=False, widget=DateInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data

    def event_filter(self, base: EventFilter) -> EventFilter:
        """``base`` narrowed by what the person asked for (call after is_valid)."""
        data = self.cleaned_data
        return dataclasses.replace(
            base,
            action=data.get("action") or None,
            actor_username=(data.get("person") or "").strip() or None,
            since=_midnight(data.get("since")),
            until=_midnight(data["until"] + timedelta(days=1)) if data.get("until") else None,
        )

    def audit_details(self) -> dict[str, str]:
        """The filters as plain strings, for the audit event of the view itself."""
        data = getattr(self, "cleaned_data", {})
        return {key: str(data[key]) for key in ("action", "person", "since", "until") if data.get(key)}


def _midnight(day: date | None) -> datetime | None:
    return datetime.combine(day, time.min, tzinfo=UTC) if day else None
