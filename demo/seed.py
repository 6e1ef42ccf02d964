"""Demonstration data, one function per area; each is idempotent (safe to run at every start).

Everything here is fictional. Areas add their own ``seed_<area>()`` and list it in ``SEEDERS``.
"""

from __future__ import annotations

import datetime
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services as account_services
from accounts.models import User
from cases import consent_services, mhpss, survivors
from cases import services as case_services
from cases.models import Case
from evidence import custody_services
from teams import services as team_services
from teams.models import Jurisdiction, Membership, Organisation, Role, Team

DEMO_PASSWORD: Final = "custody-demo-password"  # noqa: S105  (published on purpose: demo accounts only)
DEMO_DEVICE_NAME: Final = "demo authenticator"
HOST_COUNTRY: Final = "CF"  # Central African Republic, where MINUSCA is deployed
TCC_COUNTRY: Final = "MA"  # Morocco, a troop-contributing country


@dataclass(frozen=True)
class DemoPerson:
    username: str
    display_name: str
    team_slug: str
    role: Role


ORGANISATIONS: Final = [
    # (slug, name, country)
    ("bangui-legal-aid", "Bangui Legal Aid Collective (demo)", HOST_COUNTRY),
    ("rabat-law-clinic", "Rabat Accountability Law Clinic (demo)", TCC_COUNTRY),
    ("platform-operations", "Custody Platform Operations (demo)", HOST_COUNTRY),
]
TEAMS: Final = [
    # (slug, name, organisation slug, country)
    ("bangui-litigation", "Bangui litigation team", "bangui-legal-aid", HOST_COUNTRY),
    ("bambari-field", "Bambari field team", "bangui-legal-aid", HOST_COUNTRY),
    ("rabat-clinic", "Rabat clinic team", "rabat-law-clinic", TCC_COUNTRY),
    ("operations", "Platform operations", "platform-operations", HOST_COUNTRY),
]
PEOPLE: Final = [
    DemoPerson("demo-lead", "Amina (coalition lead)", "bangui-litigation", Role.COALITION_LEAD),
    DemoPerson("demo-lawyer", "Bertrand (lawyer)", "bangui-litigation", Role.LAWYER),
    DemoPerson("demo-investigator", "Chantal (investigator)", "bambari-field", Role.INVESTIGATOR),
    DemoPerson("demo-mhpss", "Didier (MHPSS expert)", "bangui-litigation", Role.MHPSS),
    DemoPerson("demo-auditor", "Esther (auditor)", "bangui-litigation", Role.AUDITOR),
    DemoPerson("demo-tcc-lead", "Fatima (coalition lead, Rabat)", "rabat-clinic", Role.COALITION_LEAD),
    DemoPerson("demo-tcc-lawyer", "Youssef (lawyer, Rabat)", "rabat-clinic", Role.LAWYER),
    DemoPerson("demo-admin", "Gaston (platform administrator)", "operations", Role.ADMIN),
]


def demo_totp_key(username: str) -> str:
    """A fixed, published secret per demo account, so anyone running the demo can compute its codes."""
    return hashlib.sha1(f"custody-demo:{username}".encode(), usedforsecurity=False).hexdigest()


def _jurisdiction(country: str) -> Jurisdiction:
    jurisdiction, _created = Jurisdiction.objects.get_or_create(country=country)
    return jurisdiction


def seed_organisations() -> None:
    for slug, name, country in ORGANISATIONS:
        if not Organisation.objects.filter(slug=slug).exists():
            team_services.do_create_organisation(name=name, slug=slug, jurisdiction=_jurisdiction(country), by=None)
    for slug, name, organisation_slug, country in TEAMS:
        if not Team.objects.filter(slug=slug).exists():
            team_services.do_create_team(
                organisation=Organisation.objects.get(slug=organisation_slug),
                jurisdiction=_jurisdiction(country),
                name=name,
                slug=slug,
                by=None,
            )


def _ensure_device(user: User) -> None:
    key = demo_totp_key(user.username)
    if not TOTPDevice.objects.filter(user=user, name=DEMO_DEVICE_NAME).exists():
        TOTPDevice.objects.create(user=user, name=DEMO_DEVICE_NAME, key=key, confirmed=True)


def seed_people() -> None:
    for person in PEOPLE:
        user = User.objects.filter(username=person.username).first()
        if user is None:
            user = account_services.do_create_user(
                username=person.username,
                display_name=person.display_name,
                email="",
                password=DEMO_PASSWORD,
                by=None,
                request=None,
            )
        _ensure_device(user)
        team = Team.objects.get(slug=person.team_slug)
        if not Membership.objects.filter(user=user, team=team).exists():
            team_services.do_add_membership(user=user, team=team, role=person.role, by=None)


DEMO_CASE: Final = "CAF-MINUSCA-0001"


def seed_cases() -> None:
    """A fictional case in the Central African Republic (MINUSCA) with a child survivor."""
    if Case.objects.filter(reference=DEMO_CASE).exists():
        return
    lawyer = User.objects.get(username="demo-lawyer")
    team = Team.objects.get(slug="bangui-litigation")
    case = case_services.do_create_case(
        reference=DEMO_CASE,
        team=team,
        user=lawyer,
        extra_teams=[Team.objects.get(slug="bambari-field")],
        mission="MINUSCA",
        allegation_type="abuse",
        child_involved=True,
        incident_date=datetime.date(2024, 3, 14),
        reported_on=datetime.date(2024, 4, 2),
    )
    case_services.do_add_status(case=case, status="un_investigation", on=datetime.date(2024, 6, 1), user=lawyer)
    case_services.do_add_perpetrator(
        case=case, contributing_country=TCC_COUNTRY, category="military", unit="Demo battalion 7", user=lawyer
    )
    case_services.do_add_avenue(
        case=case, forum="Tribunal de grande instance de Bangui (demo)", jurisdiction=HOST_COUNTRY, user=lawyer
    )
    case_services.do_add_deadline(
        case=case, description="Civil claim limitation (demo)", due_on=datetime.date(2027, 3, 14), user=lawyer
    )
    survivor = survivors.do_create_survivor(
        case=case,
        user=lawyer,
        identity=survivors.IdentityData(
            legal_name="Demo Person Alpha",
            aliases=["Alpha"],
            contacts=["+236 00 00 00 01 (demo)"],
            address="Demo district, Bangui",
            relatives=["Demo Guardian Beta"],
            date_of_birth="2010-05-05",
            places=["Demo village"],
        ),
        guardians=[("G1", "mother")],
        age_band="12-17",
        child_now=True,
        preferred_language="fr",
        safety_notes="Meet only at the partner clinic; never call the family phone.",
    )
    guardian = survivor.guardians.get(label="G1")
    common: dict[str, Any] = {
        "user": lawyer,
        "method": "thumbprint",
        "language": "Sango",
        "interpreter": "Demo interpreter",
        "given_on": datetime.date(2024, 4, 2),
        "given_by": "guardian",
        "guardian": guardian,
        "child_assent": "given",
    }
    consent_services.do_record_consent(survivor=survivor, action="store_evidence", decision="granted", **common)
    consent_services.do_record_consent(
        survivor=survivor,
        action="proceedings",
        target="Tribunal de grande instance de Bangui (demo)",
        decision="conditional",
        conditions="Only with the survivor's name withheld in public hearings.",
        **common,
    )
    consent_services.do_record_consent(survivor=survivor, action="share_media", decision="refused", **common)
    consent_services.do_record_consent(survivor=survivor, action="contact", decision="granted", **common)
    mhpss.do_write_note(
        survivor=survivor,
        body="Demo note: follow-up sessions planned; details are fictional.",
        user=User.objects.get(username="demo-mhpss"),
        safety_flag="Risk of re-traumatisation: interview only with MHPSS present",
        no_contact_before=datetime.date(2026, 6, 1),
    )
    mhpss.do_record_interview(
        survivor=survivor,
        held_on=datetime.date(2024, 4, 2),
        conducted_by=lawyer,
        team=team,
        purpose="First account",
        mhpss_present=True,
        user=lawyer,
    )


DEMO_SEAL: Final = "CAR-DEMO-SEAL-0001"


def seed_custody() -> None:
    """A physical item of the demo case, collected in Bambari and handed over (and re-sealed) in Bangui."""
    case = Case.objects.get(reference=DEMO_CASE)
    if case.items.filter(kind="physical", collected_by="Chantal (investigator, demo)").exists():
        return
    investigator = User.objects.get(username="demo-investigator")
    lawyer = User.objects.get(username="demo-lawyer")
    item = custody_services.do_register_physical_item(
        case=case,
        user=investigator,
        acting_as=None,
        request=None,
        data=custody_services.PhysicalItemInput(
            description="Sealed evidence bag: one child's T-shirt (demo)",
            physical_location="Bambari field office, evidence cabinet 1 (demo)",
            seal_number=DEMO_SEAL,
            collected_by="Chantal (investigator, demo)",
            collected_at=datetime.datetime(2024, 4, 3, 9, 15, tzinfo=datetime.UTC),
            collection_place="Bambari (demo)",
        ),
    )
    transfer = custody_services.do_propose_transfer(
        item_id=item.pk,
        user=investigator,
        acting_as=None,
        request=None,
        to_user=lawyer,
        reason="Handed over to counsel in Bangui for the filing (demo)",
        to_location="Bangui office, safe A (demo)",
        new_seal_number="CAR-DEMO-SEAL-0002",
    )
    custody_services.do_accept_transfer(
        item_id=item.pk,
        transfer_id=transfer.pk,
        user=lawyer,
        acting_as=None,
        request=None,
        note="Received; bag opened for photographs and re-sealed (demo)",
    )


DEMO_COURT_MARTIAL: Final = "Tribunal militaire permanent de Rabat (demo)"


def _demo_pdf(lines: list[str]) -> bytes:
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out)
    for index, line in enumerate(lines):
        page.drawString(60, 760 - 18 * index, line)
    page.showPage()
    page.save()
    return out.getvalue()


def _demo_item(case: Case, user: User, content: bytes, name: str, **extra: Any) -> Any:
    from evidence import services as evidence_services
    from evidence.intake import SealedWriter

    writer = SealedWriter(evidence_services.plan_for(case))
    writer.write(content)
    survivor_ids = tuple(case.survivors.values_list("pk", flat=True))
    collection = evidence_services.Collection(
        collected_by="Bertrand (lawyer, demo)", place="Bangui (demo)", sensitivity="high", survivor_ids=survivor_ids
    )
    return evidence_services.do_register_item(
        case=case, sealed=writer.finish(), original_name=name, collection=collection, user=user, acting_as=None, **extra
    )


def seed_productions() -> None:
    """A built court production of redacted copies only, for the troop-contributing country's court-martial.

    The organisation keeps originals in the Central African Republic, so only the released redacted copy of
    the (fictional) statement goes into the package; nothing needs a second approval or leaves unredacted.
    """
    from evidence import services as evidence_services
    from evidence.production_build import run_build
    from evidence.production_services import do_create_production, do_select_items, do_start_build

    case = Case.objects.get(reference=DEMO_CASE)
    if case.productions.exists():
        return
    lawyer = User.objects.get(username="demo-lawyer")
    Organisation.objects.filter(pk=case.organisation_id).update(originals_stay_in_jurisdiction=True)
    survivor = case.survivors.get()
    consent_services.do_record_consent(
        survivor=survivor,
        action="proceedings",
        target=DEMO_COURT_MARTIAL,
        decision="granted",
        user=lawyer,
        method="thumbprint",
        language="Sango",
        given_on=datetime.date(2024, 9, 2),
        given_by="guardian",
        guardian=survivor.guardians.get(label="G1"),
        child_assent="given",
    )
    statement = _demo_item(
        case, lawyer, _demo_pdf(["Statement of Demo Person Alpha (demo)", "Taken in Bangui."]), "statement-demo.pdf"
    )
    redacted = _demo_pdf(["Statement of [REDACTED] (demo)", "Taken in Bangui."])
    derivative = evidence_services.Derivative(of=statement, kind="redacted")
    _demo_item(case, lawyer, redacted, "statement-demo-redacted.pdf", derivative=derivative)
    production = do_create_production(
        case=case,
        recipient=f"{DEMO_COURT_MARTIAL}, juge d'instruction",
        forum=DEMO_COURT_MARTIAL,
        purpose="Criminal proceedings against members of the contingent (demo)",
        recipient_country=TCC_COUNTRY,
        user=lawyer,
    )
    do_select_items(production=production, items=[statement], user=lawyer)
    do_start_build(production=production, user=lawyer, queue=False)
    run_build(production.pk)


SEEDERS: Final[list[Callable[[], None]]] = [
    seed_organisations,
    seed_people,
    seed_cases,
    seed_custody,
    seed_productions,
]


def seed_all() -> None:
    with transaction.atomic():
        for seeder in SEEDERS:
            seeder()
