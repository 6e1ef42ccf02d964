from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from teams.models import Jurisdiction, Organisation, Team
from teams.policy import CaseRef

# References are codes, never names: letters, digits and dashes only.
reference_validator = RegexValidator(
    r"^[A-Z]{2,5}-[A-Z0-9]{2,12}-\d{3,6}$",
    _("Use a code such as CAF-MINUSCA-0001: capital letters, digits and dashes, never a name."),
)


class Case(models.Model):
    reference = models.CharField(_("reference"), max_length=32, unique=True, validators=[reference_validator])
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="cases", verbose_name=_("owning organisation")
    )
    host_jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="hosted_cases", verbose_name=_("host country")
    )
    teams = models.ManyToManyField(Team, related_name="cases", verbose_name=_("teams working on it"))
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
        )
