"""Redaction jobs: a proposal made in the background, reviewed by a lawyer, approved by a second person.

No row here holds identifier text. Identifiers are re-derived from the survivors' sealed identities
at every run, proposals are referred to by page, category and their rank on the page, and terms
added by hand are stored sealed under a data key of their own (``cases.sealing``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class JobState(models.TextChoices):
    PROPOSING = "proposing", _("Looking for identifiers")
    PROPOSED = "proposed", _("Awaiting review")
    REVIEWED = "reviewed", _("Awaiting approval")
    APPROVED = "approved", _("Approved; producing the redacted copy")
    RELEASED = "released", _("Redacted copy stored")
    FAILED = "failed", _("Failed; nothing released")


class MarkKind(models.TextChoices):
    IDENTIFIER = "identifier", _("Survivor identifier")
    PATTERN = "pattern", _("Pattern (phone, e-mail, GPS, date, ID number)")
    NEAR_MISS = "near_miss", _("Near miss of a name")
    MANUAL_TERM = "manual_term", _("Term added by hand")
    MANUAL_AREA = "manual_area", _("Area drawn by hand")
    UNREADABLE = "unreadable", _("Page needing OCR, which is not available: nothing can be released")


# Marks a reviewer adds, as opposed to what the engine proposes.
MANUAL_KINDS = (MarkKind.MANUAL_TERM, MarkKind.MANUAL_AREA)


class RedactionJob(models.Model):
    item = models.ForeignKey(
        "evidence.EvidenceItem", on_delete=models.PROTECT, related_name="redaction_jobs", verbose_name=_("original")
    )
    state = models.CharField(_("state"), max_length=16, choices=JobState.choices, default=JobState.PROPOSING)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("proposed by")
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    created_at = models.DateTimeField(_("proposed at"), auto_now_add=True)
    proposal_ready_at = models.DateTimeField(_("proposal ready at"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    pages = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    # What failed and where (a category and a place such as "page 2 text"), never the text itself.
    failure_category = models.CharField(_("failure category"), max_length=64, blank=True)
    failure_location = models.CharField(_("failure location"), max_length=255, blank=True)
    output = models.OneToOneField(
        "evidence.EvidenceItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="redaction_job",
        verbose_name=_("redacted copy"),
    )

    class Meta:
        ordering = ("-created_at", "-pk")
        verbose_name = _("redaction job")
        verbose_name_plural = _("redaction jobs")

    def __str__(self) -> str:
        return f"redaction {self.pk} of item {self.item_id} ({self.state})"


class RedactionMark(models.Model):
    job = models.ForeignKey(RedactionJob, on_delete=models.CASCADE, related_name="marks", verbose_name=_("job"))
    page = models.PositiveIntegerField(_("page"), null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=MarkKind.choices)
    category = models.CharField(_("category"), max_length=64)
    # Rank of this proposal among the proposals of the same category on the same page, so the
    # match is found again in the document at approval without keeping its text.
    rank = models.PositiveIntegerField(_("rank on the page"), default=0)
    count = models.PositiveIntegerField(_("occurrences"), default=1)
    accepted = models.BooleanField(_("accepted"), default=True)
    # Identifiers and default patterns are always removed; proposals wait for a reviewer's decision.
    decidable = models.BooleanField(_("needs a decision"), default=False)
    # Where on the page: [left, top, right, bottom] in points from the visible page's top-left corner
    # (as rendered). Position and size only, never the text; for a drawn area, the area itself.
    boxes = models.JSONField(_("boxes on the page"), default=list, blank=True)
    sealed_term = models.BinaryField(_("term (encrypted)"), blank=True, default=b"")
    sealed_key = models.BinaryField(_("term data key (wrapped)"), blank=True, default=b"")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )

    class Meta:
        ordering = ("page", "category", "rank", "pk")
        verbose_name = _("proposed redaction")
        verbose_name_plural = _("proposed redactions")

    def __str__(self) -> str:
        return f"{self.kind}:{self.category}@{self.page}"


class RedactionLogEntry(models.Model):
    """What the released copy had removed: category, page, count."""

    job = models.ForeignKey(RedactionJob, on_delete=models.CASCADE, related_name="log", verbose_name=_("job"))
    category = models.CharField(_("category"), max_length=64)
    page = models.PositiveIntegerField(_("page"), null=True, blank=True)
    count = models.PositiveIntegerField(_("occurrences"))

    class Meta:
        ordering = ("page", "category", "pk")
        verbose_name = _("redaction log entry")
        verbose_name_plural = _("redaction log entries")

    def __str__(self) -> str:
        return f"{self.category}@{self.page}x{self.count}"
