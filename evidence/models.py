"""Evidence items. The content lives encrypted in object storage; this row holds what a court asks about it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.models import Case


class Kind(models.TextChoices):
    DIGITAL = "digital", _("Digital")
    PHYSICAL = "physical", _("Physical")


class Sensitivity(models.TextChoices):
    STANDARD = "standard", _("Standard")
    HIGH = "high", _("High")
    RESTRICTED = "restricted", _("Restricted")


class State(models.TextChoices):
    RECEIVING = "receiving", _("Receiving")
    STORED = "stored", _("Stored")
    SHREDDED = "shredded", _("Crypto-shredded")


class DerivativeKind(models.TextChoices):
    REDACTED = "redacted", _("Redacted copy")
    CONVERTED = "converted", _("Converted copy")


class EvidenceItem(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="items", verbose_name=_("case"))
    # Numbered per case; the display name is derived from it and never from the file's name.
    number = models.PositiveIntegerField(_("number"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.DIGITAL)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.RECEIVING)
    media_type = models.CharField(_("media type"), max_length=127, blank=True)
    size = models.PositiveBigIntegerField(_("size in bytes"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256 of the content"), max_length=64, blank=True, db_index=True)
    ciphertext_sha256 = models.CharField(_("SHA-256 of the stored object"), max_length=64, blank=True)
    # The original file name can name a survivor: it is stored encrypted under the item's data key.
    sealed_original_name = models.BinaryField(_("original file name (encrypted)"), blank=True, default=b"")
    storage_location = models.CharField(_("storage location"), max_length=64, blank=True)
    object_key = models.CharField(_("object key"), max_length=255, blank=True)
    collected_by = models.CharField(_("collected by"), max_length=200, blank=True)
    collected_at = models.DateTimeField(_("collected at"), null=True, blank=True)
    collection_place = models.CharField(_("place of collection"), max_length=200, blank=True)
    collection_source = models.CharField(_("source"), max_length=200, blank=True)
    collection_method = models.TextField(_("method of collection"), blank=True)
    custodian = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="custody_items",
        verbose_name=_("custodian"),
    )
    sensitivity = models.CharField(
        _("sensitivity"), max_length=16, choices=Sensitivity.choices, default=Sensitivity.HIGH
    )
    legal_hold = models.BooleanField(_("legal hold"), default=False)
    # Physical items
    description = models.TextField(_("description"), blank=True)
    physical_location = models.CharField(_("storage location (physical)"), max_length=200, blank=True)
    seal_number = models.CharField(_("seal number"), max_length=64, blank=True)
    # Copies: the original is never modified; redacted or converted copies point to it.
    derivative_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="derivatives"
    )
    derivative_kind = models.CharField(max_length=16, choices=DerivativeKind.choices, blank=True)
    duplicate_of = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="duplicates")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "number"]
        constraints = [models.UniqueConstraint(fields=["case", "number"], name="item_number_unique_in_case")]
        verbose_name = _("evidence item")
        verbose_name_plural = _("evidence items")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return f"{self.case.reference}/E{self.number:04d}"

    @property
    def is_original(self) -> bool:
        return self.derivative_of_id is None
