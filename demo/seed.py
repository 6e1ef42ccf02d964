"""Demonstration data, one function per area; each is idempotent (safe to run at every start).

Everything here is fictional. Areas add their own ``seed_<area>()`` and list it in ``SEEDERS``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services as account_services
from accounts.models import User
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


SEEDERS: Final[list[Callable[[], None]]] = [seed_organisations, seed_people]


def seed_all() -> None:
    with transaction.atomic():
        for seeder in SEEDERS:
            seeder()
