from __future__ import annotations

from typing import cast

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import Country, CountryField


class Role(models.TextChoices):
    COALITION_LEAD = "lead", _("Coalition lead")
    LAWYER = "lawyer", _("Lawyer")
    INVESTIGATOR = "investigator", _("Investigator")
    MHPSS = "mhpss", _("MHPSS expert")
    AUDITOR = "auditor", _("Auditor")
    ADMIN = "admin", _("Platform administrator")


class Jurisdiction(models.Model):
    """A country whose law applies (ISO 3166-1 alpha-2)."""

    country = CountryField(_("country"), unique=True)

    class Meta:
        ordering = ["country"]
        verbose_name = _("jurisdiction")
        verbose_name_plural = _("jurisdictions")

    def __str__(self) -> str:
        return str(self.iso_country.name)

    @property
    def iso_country(self) -> Country:
        # CountryField subclasses CharField, so the django-stubs plugin types it as str;
        # its descriptor returns a Country object.
        return cast(Country, self.country)

    @property
    def code(self) -> str:
        return str(self.iso_country.code)


class Organisation(models.Model):
    """A coalition member: an NGO, law firm or clinic."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("short name"), max_length=64, unique=True)
    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="organisations", verbose_name=_("seat")
    )
    originals_stay_in_jurisdiction = models.BooleanField(
        _("originals stay in our jurisdiction"),
        default=False,
        help_text=_("Teams in other countries are then given redacted copies only, never originals."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    """A legal team of one organisation, working in one jurisdiction."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="teams", verbose_name=_("organisation")
    )
    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="teams", verbose_name=_("jurisdiction")
    )
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation__name", "name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "name"], name="team_name_unique_in_org")]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation.name})"


class Membership(models.Model):
    """A user's role in a team. One role per user and team; a user may sit in several teams."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["team__name", "user__username"]
        constraints = [models.UniqueConstraint(fields=["user", "team"], name="one_role_per_team")]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.team}"
