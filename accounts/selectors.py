"""Reads about accounts."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, QuerySet
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User


def accounts_overview() -> QuerySet[User]:
    """Every account with whether it has an authenticator and how many sessions it holds."""
    enrolled = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    return User.objects.annotate(has_otp=Exists(enrolled), session_count=Count("web_sessions")).order_by("username")
