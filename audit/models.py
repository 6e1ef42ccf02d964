"""The append-only, hash-chained audit log."""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models
from django.utils.translation import gettext_lazy as _

from audit import chain
from audit.actions import Action, Outcome
from audit.alert_messages import alert_text


class AppendOnlyError(RuntimeError):
    """Raised for any attempt to change or remove an audit record through the ORM."""


def _refuse(*_args: Any, **_kwargs: Any) -> NoReturn:
    raise AppendOnlyError("The audit log is append-only: events cannot be changed or deleted.")


class AppendOnlyQuerySet(models.QuerySet["AuditEvent"]):
    update = _refuse
    delete = _refuse
    bulk_update = _refuse
    update_or_create = _refuse


class ActionField(models.CharField):
    """The action column. Its choices (``Action``) grow with every capability; they stay out of
    migrations so that adding an action never needs a schema change."""

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("choices", None)
        return name, path, args, kwargs


class AuditEvent(models.Model):
    seq = models.PositiveBigIntegerField(_("sequence"), unique=True)
    occurred_at = models.DateTimeField(_("time (UTC)"), db_index=True)
    action = ActionField(_("action"), max_length=64, choices=Action.choices, db_index=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    # Who acted is copied, not linked: the record must outlive and never follow later edits of accounts.
    actor_id = models.BigIntegerField(_("user id"), null=True, db_index=True)
    actor_username = models.CharField(_("user"), max_length=150, blank=True)
    actor_team_id = models.BigIntegerField(_("team id"), null=True)
    actor_organisation_id = models.BigIntegerField(_("organisation id"), null=True)
    actor_role = models.CharField(_("acting as"), max_length=32, blank=True)
    ip = models.CharField(_("address"), max_length=45, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=512, blank=True)
    purpose = models.TextField(_("purpose"), blank=True)
    consent_record_id = models.CharField(_("consent record"), max_length=64, blank=True)
    case_id = models.BigIntegerField(_("case id"), null=True, db_index=True)
    targets = models.JSONField(_("objects"), default=list)
    details = models.JSONField(_("details"), default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["seq"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.outcome}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None or not self._state.adding:
            _refuse()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse()

    def canonical_fields(self) -> dict[str, Any]:
        return chain.event_fields(
            seq=self.seq,
            occurred_at=self.occurred_at,
            action=self.action,
            outcome=self.outcome,
            actor_id=self.actor_id,
            actor_username=self.actor_username,
            actor_team_id=self.actor_team_id,
            actor_organisation_id=self.actor_organisation_id,
            actor_role=self.actor_role,
            ip=self.ip,
            user_agent=self.user_agent,
            purpose=self.purpose,
            consent_record_id=self.consent_record_id,
            case_id=self.case_id,
            targets=self.targets,
            details=self.details,
        )

    def computed_hash(self) -> str:
        return chain.chain_hash(self.prev_hash, self.canonical_fields())


class AuditTarget(models.Model):
    """Index of the objects an event touches, for per-object queries on every backend.

    Derived from ``AuditEvent.targets`` (which the hash covers) and written with it.
    """

    event = models.ForeignKey(AuditEvent, on_delete=models.PROTECT, related_name="target_rows")
    kind = models.CharField(max_length=48)
    key = models.CharField(max_length=64)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["kind", "key"])]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            _refuse()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse()


class CheckpointQuerySet(models.QuerySet["Checkpoint"]):
    update = _refuse
    delete = _refuse
    bulk_update = _refuse
    update_or_create = _refuse


class Checkpoint(models.Model):
    """A signed statement of the chain's head at one moment, also kept outside the database.

    ``statement`` holds the exact signed bytes; ``signature`` the ASCII-armored
    detached OpenPGP signature over them. Copies of both live in the "audit"
    storage under ``statement_key`` and ``signature_key``.
    """

    seq = models.PositiveBigIntegerField(_("sequence"), unique=True)
    head_hash = models.CharField(_("head hash"), max_length=64)
    signed_at = models.DateTimeField(_("signed at"))
    statement = models.TextField(_("statement"))
    signature = models.TextField(_("signature"))
    statement_key = models.CharField(_("statement object"), max_length=255)
    signature_key = models.CharField(_("signature object"), max_length=255)
    key_fingerprint = models.CharField(_("signing key fingerprint"), max_length=64)

    objects = CheckpointQuerySet.as_manager()

    class Meta:
        ordering = ["seq"]
        verbose_name = _("audit checkpoint")
        verbose_name_plural = _("audit checkpoints")

    def __str__(self) -> str:
        return f"checkpoint #{self.seq}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None or not self._state.adding:
            _refuse()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse()


class Alert(models.Model):
    """An integrity problem the operators must look at, shown as a banner until resolved."""

    kind = models.CharField(_("kind"), max_length=48, db_index=True)
    # Kept in English for the log and for alerts raised before ``code`` existed; people read ``text``.
    message = models.TextField(_("message"))
    code = models.CharField(_("message code"), max_length=64, blank=True, default="")
    params = models.JSONField(_("message parameters"), default=dict, blank=True)
    raised_at = models.DateTimeField(_("raised at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        ordering = ["-raised_at"]
        verbose_name = _("integrity alert")
        verbose_name_plural = _("integrity alerts")

    def __str__(self) -> str:
        return f"{self.kind}: {self.message[:60]}"

    @property
    def text(self) -> str:
        """The alert in the active language (the reader's), or the stored message for an alert without a code."""
        return alert_text(self.code, self.params, fallback=self.message)
