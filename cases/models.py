"""Cases, survivors, their sealed identities, consent records, MHPSS notes and interviews.

Survivors appear everywhere under a pseudonym code. What identifies them (legal
name, contacts, relatives, ...) lives only in ``SealedIdentity`` and MHPSS notes
only in ``MhpssNote``, both encrypted under their own data key; destroying that
key (crypto-shredding) makes the ciphertext unreadable for good.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_countries.fields import CountryField

from teams.models import Jurisdiction, Organisation, Team
from teams.policy import CaseRef, GrantFact

# References are codes, never names: letters, digits and dashes only.
reference_validator = RegexValidator(
    r"^[A-Z]{2,5}-[A-Z0-9]{2,12}-\d{3,6}$",
    _("Use a code such as CAF-MINUSCA-0001: capital letters, digits and dashes, never a name."),
)


class Mission(models.TextChoices):
    MINUSCA = "MINUSCA", "MINUSCA"
    MONUSCO = "MONUSCO", "MONUSCO"
    MINUSTAH = "MINUSTAH", "MINUSTAH"
    MINUJUSTH = "MINUJUSTH", "MINUJUSTH"
    MINUSMA = "MINUSMA", "MINUSMA"
    UNMISS = "UNMISS", "UNMISS"
    UNMIL = "UNMIL", "UNMIL"
    UNOCI = "UNOCI", "UNOCI"
    OTHER = "OTHER", _("Other mission")


class AllegationType(models.TextChoices):
    EXPLOITATION = "exploitation", _("Sexual exploitation")
    ABUSE = "abuse", _("Sexual abuse")
    PATERNITY = "paternity", _("Paternity and child-support claim")


class CaseStatus(models.TextChoices):
    REPORTED = "reported", _("Reported")
    UN_INVESTIGATION = "un_investigation", _("UN investigation")
    NATIONAL_INVESTIGATION = "national_investigation", _("National investigation")
    PROSECUTION = "prosecution", _("Prosecution")
    JUDGMENT = "judgment", _("Judgment")
    APPEAL = "appeal", _("Appeal")
    REPARATIONS = "reparations", _("Reparations")
    CLOSED = "closed", _("Closed")


class PersonnelCategory(models.TextChoices):
    MILITARY = "military", _("Military")
    POLICE = "police", _("Police")
    CIVILIAN = "civilian", _("Civilian")
    UNKNOWN = "unknown", _("Unknown")


class Case(models.Model):
    reference = models.CharField(_("reference"), max_length=32, unique=True, validators=[reference_validator])
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="cases", verbose_name=_("owning organisation")
    )
    host_jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="hosted_cases", verbose_name=_("host country")
    )
    mission = models.CharField(_("peacekeeping mission"), max_length=16, choices=Mission.choices, blank=True)
    allegation_type = models.CharField(
        _("allegation type"), max_length=16, choices=AllegationType.choices, default=AllegationType.ABUSE
    )
    child_involved = models.BooleanField(_("a child was involved"), default=False)
    incident_date = models.DateField(_("date of the incident"), null=True, blank=True)
    reported_on = models.DateField(_("date first reported"), null=True, blank=True)
    teams = models.ManyToManyField(Team, related_name="cases", verbose_name=_("teams working on it"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["reference"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")

    def __str__(self) -> str:
        return self.reference

    def as_ref(self) -> CaseRef:
        return CaseRef(
            case_id=self.pk,
            organisation_id=self.organisation_id,
            team_ids=frozenset(self.teams.values_list("pk", flat=True)),
            grants=grant_facts(self.pk),
        )


class AllegedPerpetrator(models.Model):
    """What is known of one alleged perpetrator: never a name, only country, category and unit."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="perpetrators")
    contributing_country = CountryField(_("troop- or police-contributing country"), blank=True)
    category = models.CharField(
        _("personnel category"), max_length=16, choices=PersonnelCategory.choices, default=PersonnelCategory.UNKNOWN
    )
    unit = models.CharField(_("unit, where known"), max_length=120, blank=True)

    class Meta:
        ordering = ["case", "pk"]
        verbose_name = _("alleged perpetrator")
        verbose_name_plural = _("alleged perpetrators")

    def __str__(self) -> str:
        return f"{self.contributing_country} {self.get_category_display()}"


class StatusEntry(models.Model):
    """One dated step of the case's timeline; the latest by date is the current status."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="status_entries")
    status = models.CharField(_("status"), max_length=32, choices=CaseStatus.choices)
    on = models.DateField(_("date"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "on", "pk"]
        verbose_name = _("status entry")
        verbose_name_plural = _("status timeline")

    def __str__(self) -> str:
        return f"{self.on} {self.get_status_display()}"


class LegalAvenue(models.Model):
    """A forum in which the case is pursued, with the jurisdiction whose law applies there."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="legal_avenues")
    forum = models.CharField(_("forum"), max_length=200)
    jurisdiction = CountryField(_("jurisdiction"), blank=True, help_text=_("Leave empty for an international forum."))
    description = models.CharField(_("what is pursued"), max_length=300, blank=True)
    started_on = models.DateField(_("started on"), null=True, blank=True)

    class Meta:
        ordering = ["case", "forum"]
        verbose_name = _("legal avenue")
        verbose_name_plural = _("legal avenues")

    def __str__(self) -> str:
        return self.forum


class LimitationDeadline(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="deadlines")
    description = models.CharField(_("what expires"), max_length=300)
    due_on = models.DateField(_("due on"))
    remind_days_before = models.PositiveSmallIntegerField(_("remind this many days before"), default=30)
    # The reminder task sends at most one reminder per deadline and day.
    last_reminded_on = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["due_on"]
        verbose_name = _("limitation deadline")
        verbose_name_plural = _("limitation deadlines")

    def __str__(self) -> str:
        return f"{self.due_on}: {self.description}"


class Notification(models.Model):
    """An in-app notice for one person (deadline reminders, consent withdrawals)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="case_notifications")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notifications")
    # English, for notices written before ``code`` existed and for logs; people read ``text``.
    message = models.CharField(_("message"), max_length=400)
    code = models.CharField(_("message code"), max_length=64, blank=True, default="")
    params = models.JSONField(_("message parameters"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return self.message

    @property
    def text(self) -> str:
        """The notice in the active language (the reader's); the stored message for a notice without a code."""
        from cases.notices import notice_text  # notices names the choices defined below

        return notice_text(self.code, self.params, fallback=self.message)


# --- Survivors -----------------------------------------------------------------


class AgeBand(models.TextChoices):
    UNDER_12 = "0-11", _("under 12")
    TEEN = "12-17", _("12 to 17")
    YOUNG_ADULT = "18-24", _("18 to 24")
    ADULT = "25-39", _("25 to 39")
    OLDER = "40+", _("40 and over")
    UNKNOWN = "unknown", _("unknown")


class ReceiptLanguage(models.TextChoices):
    """Languages the consent receipt is printed in."""

    EN = "en", _("English")
    FR = "fr", _("French")
    ES = "es", _("Spanish")


pseudonym_validator = RegexValidator(r"^S-[A-Z]{3}-\d{4,6}$", _("A pseudonym code looks like S-CAF-0042."))


class Survivor(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="survivors")
    code = models.CharField(_("pseudonym code"), max_length=16, unique=True, validators=[pseudonym_validator])
    age_band = models.CharField(_("age band"), max_length=8, choices=AgeBand.choices, default=AgeBand.UNKNOWN)
    child_at_incident = models.BooleanField(_("a child at the time of the incident"), default=False)
    child_now = models.BooleanField(_("a child now"), default=False)
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=ReceiptLanguage.choices, default=ReceiptLanguage.FR
    )
    safety_notes = models.TextField(
        _("safety notes"), blank=True, help_text=_("Practical precautions only: no names, places or clinical detail.")
    )
    custodians = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="custodian_of", blank=True, verbose_name=_("identity custodians")
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("survivor")
        verbose_name_plural = _("survivors")

    def __str__(self) -> str:
        return self.code


class Guardian(models.Model):
    """A guardian, known by role and label; their name is part of the survivor's sealed identity."""

    survivor = models.ForeignKey(Survivor, on_delete=models.CASCADE, related_name="guardians")
    label = models.CharField(_("label"), max_length=32, help_text=_("A code such as G1, never a name."))
    relationship = models.CharField(_("relationship to the survivor"), max_length=64)

    class Meta:
        ordering = ["survivor", "label"]
        constraints = [models.UniqueConstraint(fields=["survivor", "label"], name="guardian_label_unique")]
        verbose_name = _("guardian")
        verbose_name_plural = _("guardians")

    def __str__(self) -> str:
        return f"{self.label} ({self.relationship})"


class SealedIdentity(models.Model):
    """The survivor's identifying data, encrypted under a data key of its own."""

    survivor = models.OneToOneField(Survivor, on_delete=models.PROTECT, related_name="sealed_identity")
    # Emptied to crypto-shred: without its wrapped data key the ciphertext cannot be read.
    wrapped_key = models.BinaryField(editable=False)
    # The same data key for the coalition's recovery keys (empty when escrow is off); shredding empties it too.
    escrow_key = models.BinaryField(editable=False, blank=True, default=b"")
    ciphertext = models.BinaryField(editable=False)
    shredded_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("sealed identity")
        verbose_name_plural = _("sealed identities")

    def __str__(self) -> str:
        return f"sealed identity of survivor {self.survivor_id}"

    @property
    def is_shredded(self) -> bool:
        return not self.wrapped_key and not self.escrow_key


# --- Consent -------------------------------------------------------------------


class ImmutableError(RuntimeError):
    """Raised for any attempt to change or remove a consent record through the ORM."""


def _refuse(*_args: Any, **_kwargs: Any) -> NoReturn:
    raise ImmutableError("Consent records are immutable: record a new decision instead.")


class ImmutableQuerySet(models.QuerySet["ConsentRecord"]):
    update = _refuse
    delete = _refuse
    bulk_update = _refuse
    update_or_create = _refuse


class ConsentAction(models.TextChoices):
    STORE_EVIDENCE = "store_evidence", _("Store evidence")
    SHARE_TEAM = "share_team", _("Share with a named team")
    SHARE_JURISDICTION = "share_jurisdiction", _("Share across a jurisdiction boundary")
    PROCEEDINGS = "proceedings", _("Use in proceedings before a named forum")
    SHARE_UN = "share_un", _("Share with UN bodies")
    SHARE_MEDIA = "share_media", _("Share with media")
    # The same words on the receipt address the survivor ("you"): see cases.receipt.
    CONTACT = "contact", pgettext_lazy("consent action", "Contact the survivor")
    STATISTICS = "statistics", _("Include in anonymised statistics")
    SHARE_MHPSS_NOTE = "share_mhpss_note", _("Share an MHPSS note with lawyers")


class Decision(models.TextChoices):
    GRANTED = "granted", _("Granted")
    REFUSED = "refused", _("Refused")
    CONDITIONAL = "conditional", _("Granted with conditions")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class GivenBy(models.TextChoices):
    SURVIVOR = "survivor", _("The survivor")
    GUARDIAN = "guardian", _("A guardian, with the child's own assent recorded")


class ChildAssent(models.TextChoices):
    NOT_APPLICABLE = "n/a", _("Not applicable (adult)")
    GIVEN = "given", _("The child assents")
    REFUSED = "refused", _("The child does not assent")


class ConsentMethod(models.TextChoices):
    WRITTEN = "written", _("Written")
    VERBAL = "verbal", _("Verbal")
    THUMBPRINT = "thumbprint", _("Thumbprint")


class ConsentRecord(models.Model):
    """One decision of a survivor (or guardian and child) about one action on one target.

    Never changed: a later record for the same survivor, action and target supersedes it,
    and a withdrawal is a record too.
    """

    survivor = models.ForeignKey(Survivor, on_delete=models.PROTECT, related_name="consent_records")
    action = models.CharField(_("action"), max_length=32, choices=ConsentAction.choices)
    target = models.CharField(_("target"), max_length=200, blank=True)
    decision = models.CharField(_("decision"), max_length=16, choices=Decision.choices)
    conditions = models.TextField(_("conditions"), blank=True)
    given_by = models.CharField(_("given by"), max_length=16, choices=GivenBy.choices, default=GivenBy.SURVIVOR)
    guardian = models.ForeignKey(Guardian, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    child_assent = models.CharField(
        _("child's assent"), max_length=8, choices=ChildAssent.choices, default=ChildAssent.NOT_APPLICABLE
    )
    method = models.CharField(_("how it was given"), max_length=16, choices=ConsentMethod.choices)
    language = models.CharField(_("language used"), max_length=64)
    interpreter = models.CharField(_("interpreter"), max_length=120, blank=True)
    given_on = models.DateField(_("date given"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    # The scanned consent form is an evidence item; the evidence side holds the link
    # (evidence depends on cases, never the reverse), so only its id is kept here.
    scanned_form_item_id = models.PositiveBigIntegerField(
        _("scanned consent form (evidence item)"), null=True, blank=True
    )
    supersedes = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        ordering = ["survivor", "action", "target", "recorded_at", "pk"]
        indexes = [models.Index(fields=["survivor", "action", "target"])]
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")

    def __str__(self) -> str:
        return f"consent {self.pk} {self.action} {self.decision}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None or not self._state.adding:
            _refuse()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse()


class DependencyState(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended by a withdrawal")


class ConsentDependency(models.Model):
    """Something that exists because consent was given: a share, an export in progress, ...

    Withdrawing (or refusing) that consent suspends every active dependency in the
    same transaction; their owners check ``is_active`` before continuing.
    """

    consent_record = models.ForeignKey(ConsentRecord, on_delete=models.PROTECT, related_name="dependencies")
    survivor = models.ForeignKey(Survivor, on_delete=models.PROTECT, related_name="consent_dependencies")
    action = models.CharField(max_length=32, choices=ConsentAction.choices)
    target = models.CharField(max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=48)
    object_id = models.CharField(_("object"), max_length=64)
    state = models.CharField(max_length=16, choices=DependencyState.choices, default=DependencyState.ACTIVE)
    suspended_by = models.ForeignKey(ConsentRecord, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    suspended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["kind", "object_id"]), models.Index(fields=["survivor", "action", "target"])]
        verbose_name = _("consent dependency")
        verbose_name_plural = _("consent dependencies")

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id} ({self.state})"

    @property
    def is_active(self) -> bool:
        return self.state == DependencyState.ACTIVE


# --- MHPSS and interviews ------------------------------------------------------------


class MhpssNote(models.Model):
    """A note by an MHPSS expert. The body is sealed; the safety flag is what lawyers may see."""

    survivor = models.ForeignKey(Survivor, on_delete=models.PROTECT, related_name="mhpss_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    wrapped_key = models.BinaryField(editable=False)
    # The data key for the coalition's recovery keys (empty when escrow is off).
    escrow_key = models.BinaryField(editable=False, blank=True, default=b"")
    sealed_body = models.BinaryField(editable=False)
    safety_flag = models.CharField(
        _("safety flag (non-clinical)"),
        max_length=200,
        blank=True,
        help_text=_("What the legal team must respect, e.g. 'interview only with MHPSS present'."),
    )
    no_contact_before = models.DateField(_("no contact before"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("MHPSS note")
        verbose_name_plural = _("MHPSS notes")

    def __str__(self) -> str:
        return f"MHPSS note {self.pk}"


class Interview(models.Model):
    """The re-interview register: every interview, so that none is repeated without need."""

    survivor = models.ForeignKey(Survivor, on_delete=models.PROTECT, related_name="interviews")
    held_on = models.DateField(_("date"))
    conducted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("conducted by")
    )
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+", verbose_name=_("team"))
    purpose = models.CharField(_("purpose"), max_length=300)
    mhpss_present = models.BooleanField(_("an MHPSS expert was present"), default=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-pk"]
        verbose_name = _("interview")
        verbose_name_plural = _("interviews")

    def __str__(self) -> str:
        return f"interview {self.held_on}"


# --- Sharing: grants and two-person approvals ----------------------------------------


class GrantLevel(models.TextChoices):
    METADATA = "metadata", _("Metadata only")
    REDACTED = "redacted", _("Redacted copies")
    ORIGINALS = "originals", _("Originals")


class GrantRight(models.TextChoices):
    VIEW = "view", _("View")
    DOWNLOAD = "download", _("Download")
    ANNOTATE = "annotate", _("Annotate")
    EXPORT = "export", _("Export")


class GrantState(models.TextChoices):
    ACTIVE = "active", _("Active")
    REVOKED = "revoked", _("Revoked")
    SUSPENDED = "suspended", _("Suspended: consent withdrawn")
    EXPIRED = "expired", _("Expired")


class Grant(models.Model):
    """Access to a case, or to chosen items of it, for a team outside it (or one member of that team).

    Items are linked from the evidence side (``evidence.GrantedItem``); no linked item
    means the whole case. A grant gives nothing once revoked, suspended or past ``expires_at``.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="grants")
    grantee_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="grants_received")
    grantee_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="grants_received"
    )
    level = models.CharField(_("level"), max_length=16, choices=GrantLevel.choices)
    rights = models.JSONField(_("rights"), default=list)
    purpose = models.CharField(_("purpose"), max_length=300)
    item_scoped = models.BooleanField(_("limited to chosen items"), default=False)
    cross_border = models.BooleanField(_("crosses a border"), default=False, editable=False)
    residency_limited = models.BooleanField(_("originals withheld by data residency"), default=False, editable=False)
    state = models.CharField(max_length=16, choices=GrantState.choices, default=GrantState.ACTIVE)
    expires_at = models.DateTimeField(_("expires at"))
    warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True, editable=False)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["case", "state"]), models.Index(fields=["state", "expires_at"])]
        verbose_name = _("grant")
        verbose_name_plural = _("grants")

    def __str__(self) -> str:
        return f"grant {self.pk} on case {self.case_id} ({self.state})"


def grant_facts(case_id: int) -> tuple[GrantFact, ...]:
    """The policy's facts about the live grants on a case: the one place they are built."""
    # One query whether the case has grants or not (a row per grant and linked item), so that judging a
    # case costs the same for every case, and for a case that does not exist. Items are linked from the
    # evidence side; the reverse lookup needs no import of it.
    fields = ("pk", "grantee_team_id", "grantee_user_id", "level", "rights", "state", "expires_at")
    rows = Grant.objects.filter(case_id=case_id, state=GrantState.ACTIVE).values_list(
        *fields, "item_scoped", "residency_limited", "granted_items__item_id"
    )
    grants: dict[int, tuple[Any, ...]] = {}
    items: dict[int, set[int]] = {}
    for *grant, item_id in rows:
        grants[grant[0]] = tuple(grant)
        if item_id is not None:
            items.setdefault(grant[0], set()).add(item_id)
    return tuple(
        GrantFact(
            grant_id=pk,
            team_id=team_id,
            user_id=user_id,
            level=level,
            rights=frozenset(rights),
            state=state,
            expires_at=expires_at,
            item_ids=frozenset(items.get(pk, ())) if item_scoped else None,
            residency_limited=residency_limited,
        )
        for pk, team_id, user_id, level, rights, state, expires_at, item_scoped, residency_limited in grants.values()
    )


class ApprovalKind(models.TextChoices):
    GRANT_ORIGINALS_ABROAD = "grant_originals_abroad", _("Grant originals to a team in another country")
    REVEAL_IDENTITY = "reveal_identity", _("Reveal a survivor's identity")
    EXPORT_ORIGINALS = "export_originals", _("Export originals")


class ApprovalState(models.TextChoices):
    PENDING = "pending", _("Waiting for a second coalition lead")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", pgettext_lazy("approval request state", "Declined")
    USED = "used", _("Used")


class ApprovalRequest(models.Model):
    """Two-person rule: a sensitive action waits until a second coalition lead approves it in time.

    ``subject`` names what is approved (``team:<id>``, ``survivor:<id>``, ...) so an approval is
    used once, for that action only, by the person who asked.
    """

    kind = models.CharField(_("kind"), max_length=32, choices=ApprovalKind.choices)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="approval_requests")
    subject = models.CharField(_("subject"), max_length=64)
    purpose = models.CharField(_("purpose"), max_length=300)
    state = models.CharField(max_length=16, choices=ApprovalState.choices, default=ApprovalState.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("approve before"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["case", "kind", "subject", "state"])]
        verbose_name = _("approval request")
        verbose_name_plural = _("approval requests")

    def __str__(self) -> str:
        return f"{self.kind} {self.subject} ({self.state})"
