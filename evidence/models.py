"""Evidence items. The content lives encrypted in object storage; this row holds what a court asks about it."""

from __future__ import annotations

import uuid

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
    # Bound into every encrypted segment as associated data, and known before the row exists, so an
    # object cannot be swapped between items and no row is written for an upload that never completes.
    uid = models.UUIDField(_("object id"), default=uuid.uuid4, unique=True, editable=False)
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
    object_size = models.PositiveBigIntegerField(_("size of the stored object"), null=True, blank=True)
    last_verified_at = models.DateTimeField(_("last verified at"), null=True, blank=True)
    integrity_ok = models.BooleanField(_("integrity confirmed"), null=True, blank=True)
    shredded_at = models.DateTimeField(_("crypto-shredded at"), null=True, blank=True)
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
    # Survivors this item concerns: viewing or downloading its content needs their consent.
    survivors = models.ManyToManyField(
        "cases.Survivor", related_name="evidence_items", blank=True, verbose_name=_("survivors concerned")
    )
    # Set by an editor who checked that the item concerns none of the case's survivors; without it (or a
    # link) the content of an item of a case with survivors stays closed (see evidence.consent).
    no_survivor_material = models.BooleanField(_("concerns no survivor"), default=False)
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


class KeyRole(models.TextChoices):
    PRIMARY = "primary", _("Server key")
    ESCROW = "escrow", _("Recovery key (escrow)")


class WrappedDataKey(models.Model):
    """An item's data key, wrapped by one key-encryption key.

    Rotation rewrites these rows (never the content); crypto-shredding deletes them.
    """

    item = models.ForeignKey(EvidenceItem, on_delete=models.CASCADE, related_name="wrapped_keys")
    role = models.CharField(_("role"), max_length=16, choices=KeyRole.choices, default=KeyRole.PRIMARY)
    provider = models.CharField(_("key provider"), max_length=32)
    kek_scope = models.CharField(_("key scope"), max_length=128, db_index=True)
    kek_version = models.CharField(_("key version"), max_length=128, blank=True)
    wrapped = models.BinaryField(_("wrapped key"))
    created_at = models.DateTimeField(auto_now_add=True)
    rewrapped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("wrapped data key")
        verbose_name_plural = _("wrapped data keys")

    def __str__(self) -> str:
        return f"{self.item_id}:{self.role}:{self.kek_scope}@{self.kek_version}"


class UploadSession(models.Model):
    """A resumable (tus) upload in progress. Only whole encrypted segments are ever stored."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    item_uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="upload_sessions")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    length = models.PositiveBigIntegerField(_("declared length"))
    offset = models.PositiveBigIntegerField(_("bytes durably stored"), default=0)
    # Storage keys of the stored parts, in order; each holds whole encrypted segments only.
    part_keys = models.JSONField(default=list)
    # Segment indexes below this number have been handed to the encryptor under the current data key
    # (claimed and committed before encrypting). One of them not stored means it may be encrypted again
    # with other bytes under the same nonce: such a session restarts under a new key instead.
    burned_segments = models.PositiveBigIntegerField(default=0)
    # Bumped when the session restarts under a new data key; writes of an older key are refused.
    generation = models.PositiveIntegerField(default=0)
    storage_location = models.CharField(max_length=64)
    kek_scope = models.CharField(max_length=128)
    provider = models.CharField(max_length=32)
    kek_version = models.CharField(max_length=128, blank=True)
    wrapped_key = models.BinaryField()
    sealed_original_name = models.BinaryField(blank=True, default=b"")
    # The first bytes, for media type detection at completion; sealed like the name.
    sealed_head = models.BinaryField(blank=True, default=b"")
    # How the item was collected, as sent in Upload-Metadata (validated by CollectionForm at creation).
    collection = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("upload in progress")
        verbose_name_plural = _("uploads in progress")

    def __str__(self) -> str:
        return str(self.id)


class IntegrityCheck(models.Model):
    """One verification of one stored object, by the sweep or on download."""

    item = models.ForeignKey(EvidenceItem, on_delete=models.CASCADE, related_name="integrity_checks")
    checked_at = models.DateTimeField(auto_now_add=True, db_index=True)
    ok = models.BooleanField(_("intact"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["-checked_at"]
        verbose_name = _("integrity check")
        verbose_name_plural = _("integrity checks")

    def __str__(self) -> str:
        return f"{self.item_id}:{'ok' if self.ok else 'failed'}"


from evidence.custody_models import CustodyTransfer, TransferState  # noqa: E402, F401  (registers the models)
from evidence.production_models import (  # noqa: E402, F401
    BatesCounter,
    Production,
    ProductionItem,
    ProductionKey,
    SavedSearch,
)
from evidence.redaction_models import RedactionJob, RedactionLogEntry, RedactionMark  # noqa: E402, F401
from evidence.sharing_models import GrantedItem  # noqa: E402, F401  (registers the model)
