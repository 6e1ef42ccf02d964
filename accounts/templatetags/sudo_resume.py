"""``{% sudo_resume %}``: on the page of a form sudo mode interrupted, its kept entries and the restoring script."""

from __future__ import annotations

from typing import Any

from django import template
from django.templatetags.static import static
from django.utils.html import format_html, json_script
from django.utils.safestring import SafeString, mark_safe

from accounts.sudo import pending_form

register = template.Library()


@register.simple_tag(takes_context=True)
def sudo_resume(context: dict[str, Any]) -> SafeString:
    request = context.get("request")
    kept = pending_form(request) if request is not None else None
    if kept is None:
        return mark_safe("")
    return format_html(
        '{}<script src="{}" defer></script>', json_script(kept, "sudo-resume"), static("accounts/sudo-resume.js")
    )
