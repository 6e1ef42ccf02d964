"""Custody transfers: who held an item, when it changed hands, and why.

A transfer is proposed by the current custodian and answered by the receiver. The item's
``custodian`` changes only when the receiver accepts, so an item is never without a holder
and never held by two people. At most one transfer per item is pending at a time (a partial
unique constraint, so concurrent proposals cannot both succeed).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TransferState(models.TextChoices):
    PENDING = "pending", _("Awaiting the receiver")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", pgettext_lazy("custody transfer state", "Declined")
    CANCELLED = "cancelled", _("Withdrawn by the proposer")


class CustodyTransfer(models.Model):
    item = models.ForeignKey(
        "evidence.EvidenceItem", on_delete=models.PROTECT, related_name="custody_transfers", verbose_name=_("item")
    )
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handed over by"),
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("received by")
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("proposed by")
    )
    reason = models.TextField(_("reason"))
    state = models.CharField(_("state"), max_length=16, choices=TransferState.choices, default=TransferState.PENDING)
    # Physical items: where the object was and goes, and its seal before and after (a re-seal).
    from_location = models.CharField(_("storage location before"), max_length=200, blank=True)
    to_location = models.CharField(_("storage location after"), max_length=200, blank=True)
    old_seal_number = models.CharField(_("seal number before"), max_length=64, blank=True)
    new_seal_number = models.CharField(_("seal number after"), max_length=64, blank=True)
    proposed_at = models.DateTimeField(_("proposed at"))
    decided_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    decision_note = models.TextField(_("note with the answer"), blank=True)

    class Meta:
        ordering = ["item", "proposed_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["item"],
                condition=models.Q(state="pending"),
                name="one_pending_custody_transfer_per_item",
            )
        ]
        verbose_name = _("custody transfer")
        verbose_name_plural = _("custody transfers")

    def __str__(self) -> str:
        return f"transfer {self.pk} of item {self.item_id} ({self.state})"

    @property
    def is_pending(self) -> bool:
        return self.state == TransferState.PENDING

    @property
    def is_reseal(self) -> bool:
        return bool(self.new_seal_number) and self.new_seal_number != self.old_seal_number
