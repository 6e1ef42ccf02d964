"""Court productions: items of a case chosen for a recipient, decided item by item, built into one package.

A production is referred to by its reference (``<case>-P<number>``), never by a name. Its package is
stored like an evidence item: encrypted under a data key of its own, wrapped per key scope. Bates
numbers come from one counter per case, so no number is ever given twice in a case.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from cases.models import Case
from evidence.production_texts import render
from teams.models import Team


class ProductionState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    BUILDING = "building", _("Building")
    BUILT = "built", _("Built, not released")
    FAILED = "failed", _("Build failed")
    RELEASED = "released", _("Released")
    REVOKED = "revoked", _("Revoked")


class ProducedForm(models.TextChoices):
    UNDECIDED = "", _("Not decided yet")
    ORIGINAL = "original", _("Original")
    REDACTED = "redacted", _("Redacted copy")
    WITHHELD = "withheld", _("Withheld")


class BatesCounter(models.Model):
    """The next Bates number free in a case. Moved forward only, under a row lock (see production_build)."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="bates_counter")
    next_number = models.PositiveBigIntegerField(_("next free number"), default=1)

    class Meta:
        verbose_name = _("Bates counter")
        verbose_name_plural = _("Bates counters")

    def __str__(self) -> str:
        return f"{self.case_id}:{self.next_number}"


class Production(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="productions", verbose_name=_("case"))
    number = models.PositiveIntegerField(_("number"))
    recipient = models.CharField(_("recipient (court, forum, jurisdiction)"), max_length=200)
    forum = models.CharField(_("forum named in the survivors' consent"), max_length=200)
    purpose = models.CharField(_("purpose"), max_length=300)
    recipient_team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="productions_received",
        verbose_name=_("recipient team in the vault"),
    )
    # A validated ISO 3166 country: data residency decides on it (empty: unknown, originals stay home).
    recipient_country = CountryField(_("recipient's country"), blank=True)
    recipient_key = models.TextField(_("recipient's OpenPGP public key"), blank=True)
    bates_prefix = models.CharField(_("Bates prefix"), max_length=32)
    state = models.CharField(_("state"), max_length=16, choices=ProductionState.choices, default=ProductionState.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    built_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    build_started_at = models.DateTimeField(null=True, blank=True)
    # One build = one token (set when it is started, passed to its task); one run of it = one run token,
    # taken when the task actually starts. Every write of a run requires both: a stale or redelivered
    # run of an earlier build (or an overtaken run) changes nothing.
    build_token = models.UUIDField(null=True, blank=True, editable=False)
    run_token = models.UUIDField(null=True, blank=True, editable=False)
    build_running_at = models.DateTimeField(null=True, blank=True)
    # The run's heartbeat (claim, then each document written). Another delivery of the build takes it
    # over only once it has been silent longer than RUN_SILENCE (its worker died); before, it does nothing.
    run_seen_at = models.DateTimeField(null=True, blank=True)
    # Set when a survivor linked later to a released item lacks consent: downloads stop until a coalition
    # lead lifts it with every consent on record (production_linking.do_lift_suspension).
    consent_suspended_at = models.DateTimeField(null=True, blank=True)
    built_at = models.DateTimeField(null=True, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    # A fixed message or the engine's message naming a control number, never document text.
    failure = models.CharField(_("failure"), max_length=300, blank=True)
    # The same failure as a message id and parameters (production_texts), shown in each reader's language.
    failure_text = models.JSONField(default=dict, blank=True)
    # Bates numbers used: [bates_start, bates_next). Null when nothing was stamped.
    bates_start = models.PositiveBigIntegerField(null=True, blank=True)
    bates_next = models.PositiveBigIntegerField(null=True, blank=True)
    bates_first = models.CharField(_("first Bates number"), max_length=64, blank=True)
    bates_last = models.CharField(_("last Bates number"), max_length=64, blank=True)
    contains_originals = models.BooleanField(_("contains originals"), default=False)
    # Ids of the recipient team's grants that allowed the produced items' levels at build (see policy).
    recipient_grants = models.JSONField(default=list, blank=True)
    # The stored package (encrypted like an item, bound to package_uid).
    package_uid = models.UUIDField(null=True, blank=True, unique=True)
    storage_location = models.CharField(max_length=64, blank=True)
    object_key = models.CharField(max_length=255, blank=True)
    object_size = models.PositiveBigIntegerField(null=True, blank=True)
    ciphertext_sha256 = models.CharField(max_length=64, blank=True)
    package_size = models.PositiveBigIntegerField(_("package size"), null=True, blank=True)
    package_sha256 = models.CharField(_("SHA-256 of the package"), max_length=64, blank=True)
    package_name = models.CharField(max_length=128, blank=True)
    tagmanifest_sha256 = models.CharField(max_length=64, blank=True)
    signature_fingerprint = models.CharField(_("signing key"), max_length=64, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-pk")
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="production_number_unique_in_case"),
            # A backstop to the counter: two productions of a case never start at the same number.
            models.UniqueConstraint(
                fields=["case", "bates_start"],
                condition=models.Q(bates_start__isnull=False),
                name="production_bates_start_unique_in_case",
            ),
        ]
        verbose_name = _("court production")
        verbose_name_plural = _("court productions")

    def __str__(self) -> str:
        return self.reference

    @property
    def run_clock(self) -> datetime.datetime | None:
        """When the running build's task started (or, while it waits in the queue, when it was started)."""
        return self.build_running_at or self.build_started_at

    @property
    def reference(self) -> str:
        return f"{self.case.reference}-P{self.number:03d}"

    @property
    def failure_shown(self) -> str:
        """The failure in the reader's language."""
        return render(self.failure_text, fallback=self.failure)


class ProductionKey(models.Model):
    """The package's data key, wrapped by one key-encryption key (or to an escrow recipient)."""

    production = models.ForeignKey(Production, on_delete=models.CASCADE, related_name="wrapped_keys")
    escrow = models.BooleanField(default=False)
    provider = models.CharField(max_length=32)
    kek_scope = models.CharField(max_length=128)
    kek_version = models.CharField(max_length=128, blank=True)
    wrapped = models.BinaryField()

    class Meta:
        verbose_name = _("production data key")
        verbose_name_plural = _("production data keys")

    def __str__(self) -> str:
        return f"{self.production_id}:{self.kek_scope}"


class ProductionItem(models.Model):
    production = models.ForeignKey(Production, on_delete=models.CASCADE, related_name="rows")
    item = models.ForeignKey(
        "evidence.EvidenceItem", on_delete=models.PROTECT, related_name="production_rows", verbose_name=_("item")
    )
    # The item whose content goes into the package: the original or its redacted copy.
    produced = models.ForeignKey(
        "evidence.EvidenceItem", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    form = models.CharField(_("form"), max_length=16, choices=ProducedForm.choices, blank=True)
    reason_code = models.CharField(max_length=32, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    # The same reason as a message id and parameters (production_texts), shown in each reader's language.
    reason_text = models.JSONField(default=dict, blank=True)
    # Withheld by hand (privilege, work product): the reason is the lawyer's own words.
    privileged = models.BooleanField(_("withheld by hand"), default=False)
    privilege_reason = models.CharField(_("reason for withholding"), max_length=300, blank=True)
    control = models.CharField(_("control number"), max_length=32, blank=True)
    bates_first = models.CharField(max_length=64, blank=True)
    bates_last = models.CharField(max_length=64, blank=True)
    pages = models.PositiveIntegerField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("production", "item__number", "pk")
        constraints = [models.UniqueConstraint(fields=["production", "item"], name="production_item_once")]
        verbose_name = _("produced item")
        verbose_name_plural = _("produced items")

    def __str__(self) -> str:
        return f"{self.production_id}:{self.item_id}:{self.form}"

    @property
    def reason_shown(self) -> str:
        """The reason in the reader's language (a privilege reason is the lawyer's own words)."""
        return self.privilege_reason if self.privileged else render(self.reason_text, fallback=self.reason)


class SavedSearch(models.Model):
    """A named item filter of a case (see production_selectors.ItemFilter), to select items again."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="saved_searches")
    name = models.CharField(_("name"), max_length=80)
    filters = models.JSONField(_("filters"), default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("case", "name")
        constraints = [models.UniqueConstraint(fields=["case", "name"], name="saved_search_name_unique_in_case")]
        verbose_name = _("saved search")
        verbose_name_plural = _("saved searches")

    def __str__(self) -> str:
        return self.name
