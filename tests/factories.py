"""Factories for the test suite. Defaults are fixed strings, never random names that could look like people."""

from __future__ import annotations

from functools import cache

import factory
from django.contrib.auth.hashers import make_password
from factory.django import DjangoModelFactory

from accounts.models import User
from cases.models import Case
from teams.models import Jurisdiction, Membership, Organisation, Role, Team

TEST_PASSWORD = "correct horse battery staple 42"


@cache
def password_hash_for_tests() -> str:
    """One real Argon2 hash of TEST_PASSWORD per test process: hashing costs ~0.5 s, and a fixture makes many users."""
    return make_password(TEST_PASSWORD)


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.LazyAttribute(lambda o: o.username.title())
    password = factory.LazyFunction(password_hash_for_tests)
    is_active = True


class JurisdictionFactory(DjangoModelFactory[Jurisdiction]):
    class Meta:
        model = Jurisdiction
        django_get_or_create = ("country",)

    country = "CF"


class OrganisationFactory(DjangoModelFactory[Organisation]):
    class Meta:
        model = Organisation
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")
    jurisdiction = factory.SubFactory(JurisdictionFactory)


class TeamFactory(DjangoModelFactory[Team]):
    class Meta:
        model = Team
        django_get_or_create = ("slug",)

    organisation = factory.SubFactory(OrganisationFactory)
    jurisdiction = factory.SelfAttribute("organisation.jurisdiction")
    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class MembershipFactory(DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    team = factory.SubFactory(TeamFactory)
    role = Role.LAWYER


class CaseFactory(DjangoModelFactory[Case]):
    class Meta:
        model = Case

    reference = factory.Sequence(lambda n: f"CAF-MINUSCA-{n + 1:04d}")
    organisation = factory.SubFactory(OrganisationFactory)
    host_jurisdiction = factory.SubFactory(JurisdictionFactory, country="CF")

    @factory.post_generation
    def teams(self, create: bool, extracted: list[Team] | None, **kwargs: object) -> None:
        if create and extracted:
            self.teams.set(extracted)
