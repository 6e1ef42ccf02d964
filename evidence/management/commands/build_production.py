"""Build a court production from the command line, through the same services as the web pages.

``manage.py build_production --case REF --out DIR --as USER [--items UID ...] [--saved-search NAME]
[--recipient ...] [--forum ...] [--purpose ...]`` creates the production, selects the items, decides
and builds it in this process, releases it (consent re-checked) and writes the package to DIR. A
production holding originals stops after the build: a second coalition lead approves the request in
the web page, then ``--production REF`` releases it and writes the package.
"""

from __future__ import annotations

import os
import re
import uuid
import zipfile
from argparse import ArgumentParser
from pathlib import Path, PurePosixPath
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from cases.models import Case
from evidence.models import EvidenceItem
from evidence.production_access import production_ref
from evidence.production_build import run_build
from evidence.production_models import Production, ProductionState
from evidence.production_package import package_chunks, package_filename
from evidence.production_selectors import ItemFilter, matching, saved_search, selectable_items
from evidence.production_services import (
    ProductionRefused,
    do_create_production,
    do_record_download,
    do_release,
    do_select_items,
    do_start_build,
)
from teams.models import Team
from teams.policy import Perm, actor_for, decide

PRODUCTION_REF = re.compile(r"(.+)-P(\d{1,9})")


def _check_uids(values: list[str]) -> None:
    """Item uids are UUIDs: anything else is a usage error (exit 2), caught before any work."""
    for value in values:
        try:
            uuid.UUID(value)
        except ValueError:
            raise CommandError(f"--items takes item uids (UUIDs); {value!r} is not one.", returncode=2) from None


class Command(BaseCommand):
    help = "Build (and release) a court production and write its package to a directory. Audited as the given user."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--case", dest="case_ref", help="case reference, e.g. CAF-MINUSCA-0042")
        parser.add_argument("--production", dest="production_ref", help="release an existing built production")
        parser.add_argument("--out", type=Path, required=True, help="directory to write the package into")
        parser.add_argument("--as", dest="username", required=True, help="the lawyer or lead the work is done as")
        parser.add_argument("--items", nargs="*", default=[], help="item uids (default: every original of the case)")
        parser.add_argument("--saved-search", dest="search", default="", help="select the items of a saved search")
        parser.add_argument("--recipient", default="", help="court, forum or jurisdiction receiving the package")
        parser.add_argument("--forum", default="", help="the forum named in the survivors' consent")
        parser.add_argument("--purpose", default="", help="why the material is produced")
        parser.add_argument("--recipient-team", dest="team", default="", help="slug of the recipient team in the vault")
        parser.add_argument("--recipient-country", dest="country", default="", help="ISO 3166 code of the recipient")
        parser.add_argument("--recipient-key", dest="key", type=Path, help="recipient's OpenPGP public key file")
        parser.add_argument("--bates-prefix", dest="prefix", default="", help="default: <ISO3>-<MISSION>-")
        parser.add_argument("--extract", action="store_true", help="write the bag extracted instead of the ZIP")

    def handle(self, *args: Any, **options: Any) -> None:
        _check_uids(options["items"])
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {options['username']!r}.")
        out: Path = options["out"]
        out.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            production = self._existing(options, user) if options["production_ref"] else self._build(options, user)
            if production.state != ProductionState.RELEASED:
                production = do_release(production=production, user=user)
        except ProductionRefused as refused:
            raise CommandError(refused.message) from refused
        self._write(production, user, out, extract=options["extract"])

    def _case(self, reference: str, user: User) -> Case:
        case = Case.objects.filter(reference=reference).first()
        if case is None or not decide(actor_for(user), Perm.PRODUCTION_MANAGE, case.as_ref()):
            raise CommandError(f"No case {reference!r} that {user.get_username()} may prepare productions for.")
        return case

    def _existing(self, options: dict[str, Any], user: User) -> Production:
        reference: str = options["production_ref"]
        found = PRODUCTION_REF.fullmatch(reference)
        if found is None:
            raise CommandError(f"Malformed --production {reference!r}: expected <case>-P<number>.", returncode=2)
        case_ref, number = found.group(1), int(found.group(2))
        production = Production.objects.filter(case__reference=case_ref, number=number).first()
        if production is None:
            raise CommandError(f"No production {reference!r}.")
        self._case(case_ref, user)
        if production.state not in {ProductionState.BUILT, ProductionState.RELEASED}:
            raise CommandError(f"{reference} is {production.get_state_display()}: it cannot be released.")
        return production

    def _items(self, case: Case, options: dict[str, Any]) -> list[EvidenceItem]:
        if options["search"]:
            search = saved_search(case, options["search"])
            if search is None:
                raise CommandError(f"No saved search {options['search']!r} in {case.reference}.")
            return list(matching(case, ItemFilter.from_json(search.filters)))
        items = selectable_items(case)
        if options["items"]:
            items = items.filter(uid__in=options["items"])
            if items.count() != len(set(options["items"])):
                raise CommandError("Some --items are not originals of this case.")
        return list(items.order_by("number"))

    def _build(self, options: dict[str, Any], user: User) -> Production:
        if not options["case_ref"] or not options["forum"] or not options["recipient"] or not options["purpose"]:
            raise CommandError("--case, --recipient, --forum and --purpose are needed to build a new production.")
        case = self._case(options["case_ref"], user)
        team = Team.objects.filter(slug=options["team"]).first() if options["team"] else None
        if options["team"] and team is None:
            raise CommandError(f"No team {options['team']!r}.")
        production = do_create_production(
            case=case,
            recipient=options["recipient"],
            forum=options["forum"],
            purpose=options["purpose"],
            recipient_team=team,
            recipient_country=options["country"],
            recipient_key=options["key"].read_text(encoding="ascii") if options["key"] else "",
            bates_prefix=options["prefix"],
            user=user,
        )
        items = self._items(case, options)
        do_select_items(production=production, items=items, user=user, source=options["search"] or "command line")
        do_start_build(production=production, user=user, queue=False)
        run_build(production.pk)
        production.refresh_from_db()
        self._summary(production)
        if production.state == ProductionState.FAILED:
            raise CommandError(f"The build failed: {production.failure}")
        if production.contains_originals:
            raise CommandError(
                f"{production.reference} holds originals: ask a second coalition lead to approve its release in "
                f"the web page, then run build_production --production {production.reference} --out DIR --as USER."
            )
        return production

    def _summary(self, production: Production) -> None:
        rows = list(production.rows.all())
        withheld = sum(1 for r in rows if r.form == "withheld")
        self.stdout.write(
            f"{production.reference}: {production.get_state_display()}; {len(rows) - withheld} item(s) produced, "
            f"{withheld} withheld; Bates {production.bates_first or '-'} to {production.bates_last or '-'}"
        )

    def _write(self, production: Production, user: User, out: Path, *, extract: bool) -> None:
        if not decide(actor_for(user), Perm.PRODUCTION_DOWNLOAD, production_ref(production)):
            raise CommandError(f"{user.get_username()} may not take out the package of {production.reference}.")
        do_record_download(production=production, user=user, channel="command line")
        path = out / package_filename(production)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            for chunk in package_chunks(production):
                handle.write(chunk)
        if extract and path.suffix == ".zip":
            _extract(path, out)
            path.unlink()
            self.stdout.write(f"Package extracted into {out / production.package_name}")
        else:
            self.stdout.write(f"Package written to {path}")
        self.stdout.write(f"SHA-256 {production.package_sha256}  signed by {production.signature_fingerprint}")


def _extract(path: Path, out: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            parts = PurePosixPath(name).parts
            if name.startswith("/") or ".." in parts:
                raise CommandError(f"Refusing a package member outside the bag: {name!r}")
        archive.extractall(out)
