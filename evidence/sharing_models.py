"""Items a grant is limited to, linked from the evidence side (cases never imports evidence)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.models import Grant


class GrantedItem(models.Model):
    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="granted_items")
    item = models.ForeignKey("evidence.EvidenceItem", on_delete=models.PROTECT, related_name="grants")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["grant", "item"], name="granted_item_once")]
        verbose_name = _("granted item")
        verbose_name_plural = _("granted items")

    def __str__(self) -> str:
        return f"grant {self.grant_id} item {self.item_id}"


class Annotation(models.Model):
    """A comment on an item, seen by the case's teams and by the team it was written from."""

    item = models.ForeignKey("evidence.EvidenceItem", on_delete=models.PROTECT, related_name="annotations")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey("teams.Team", on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("comment"), max_length=4000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("annotation")
        verbose_name_plural = _("annotations")

    def __str__(self) -> str:
        return f"annotation {self.pk} on item {self.item_id}"
