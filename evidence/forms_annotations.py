from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class AnnotationForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Never name a survivor: comments that contain a known identifier are refused."),
    )
