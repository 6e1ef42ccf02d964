"""Redact one file with the same engine as the review workflow.

Exit status 0 only when the output is written and verified; otherwise non-zero with the
reason, and no output is left behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from evidence.redaction.detection import DEFAULT_APPLIED_PATTERNS, PATTERN_CATEGORIES, Policy, Term
from evidence.redaction.engine import redact_file
from evidence.redaction.result import RedactionError


def read_identifiers(path: Path) -> list[Term]:
    """One identifier per line (UTF-8); blank lines and lines starting with # are ignored.

    A line may name its category first, ``category: value`` (e.g. ``contact: +236 72 12 34 56``).
    """
    terms: list[Term] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        value = line.strip()
        if not value or value.startswith("#"):
            continue
        category, sep, rest = value.partition(":")
        if sep and category.strip() in _CATEGORIES and rest.strip():
            terms.append(Term(category.strip(), rest.strip()))
        else:
            terms.append(Term("identifier", value))
    return terms


_CATEGORIES = {
    "legal_name",
    "alias",
    "contact",
    "address",
    "id_number",
    "relative",
    "date_of_birth",
    "place",
    "manual",
}


class Command(BaseCommand):
    help = _("Redact survivor identifiers from a PDF, image, text, CSV or .eml file, and verify the result.")

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("input", type=Path)
        parser.add_argument("output", type=Path)
        parser.add_argument("--identifiers", type=Path, required=True, help=_("UTF-8 file, one identifier a line"))
        parser.add_argument("--report", type=Path, help=_("write a JSON report (categories, pages, counts)"))
        parser.add_argument(
            "--apply",
            action="append",
            default=[],
            choices=PATTERN_CATEGORIES,
            help=_("also remove this proposed pattern category without review (repeatable)"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        source: Path = options["input"]
        target: Path = options["output"]
        if not source.is_file():
            raise CommandError(_("Input file not found."))
        if not options["identifiers"].is_file():
            raise CommandError(_("Identifiers file not found."))
        try:
            terms = read_identifiers(options["identifiers"])
        except UnicodeDecodeError as exc:
            raise CommandError(_("The identifiers file must be UTF-8.")) from exc
        if not terms:
            raise CommandError(_("The identifiers file lists no identifier."))
        policy = Policy(applied_patterns=DEFAULT_APPLIED_PATTERNS | frozenset(options["apply"]))
        if target.exists() and target.resolve() == source.resolve():
            raise CommandError(_("The output must not overwrite the input."))
        try:
            outcome = redact_file(source, target, terms, policy)
        except RedactionError as exc:
            raise CommandError(exc.message) from exc
        except Exception as exc:
            # The exception's own message could quote document content: only its type is shown.
            raise CommandError(
                _("Redaction failed (%(type)s); nothing was written.") % {"type": type(exc).__name__}
            ) from None
        if options["report"]:
            _write_json(options["report"], outcome.report.as_dict())
        self.stdout.write(
            _("Redacted and verified: %(count)d removals, %(proposed)d proposals for review.")
            % {"count": sum(outcome.report.removed.values()), "proposed": sum(outcome.report.proposed.values())}
        )


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".report-", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
    os.replace(tmp, path)
