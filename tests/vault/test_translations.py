"""The French catalog is complete and the interface really speaks French.

Users in Central Africa and Haiti read the vault in French: an untranslated or fuzzy entry shows them
English (or a wrong guess) in the middle of a legal workflow. The catalog is read with a small parser
so the check needs nothing beyond the standard library and gettext's msgfmt.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

CATALOG = Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdfr]|\{(\w+)\}")


@dataclass
class Entry:
    flags: set[str] = field(default_factory=set)
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def msgid(self) -> str:
        return self.fields.get("msgid", "")

    @property
    def translations(self) -> list[str]:
        return [value for key, value in self.fields.items() if key.startswith("msgstr")]


def parse(text: str) -> list[Entry]:
    """Entries of a .po file, obsolete (#~) ones left out, header included."""
    entries: list[Entry] = []
    current: Entry | None = None
    key = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#~"):
            current = None if not line else current
            continue
        if current is None:
            current = Entry()
            entries.append(current)
        if line.startswith("#,"):
            current.flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            current.fields[key] += ast.literal_eval(line)
        else:
            key, _, value = line.partition(" ")
            current.fields[key] = ast.literal_eval(value)
    return [entry for entry in entries if "msgid" in entry.fields]


def problems(entries: list[Entry]) -> list[str]:
    found = []
    for entry in entries:
        if entry.msgid == "":
            continue
        if "fuzzy" in entry.flags:
            found.append(f"fuzzy: {entry.msgid!r}")
        if not entry.translations or not all(entry.translations):
            found.append(f"untranslated: {entry.msgid!r}")
        names = {a or b for a, b in PLACEHOLDER.findall(entry.msgid + entry.fields.get("msgid_plural", ""))}
        for translation in entry.translations:
            extra = {a or b for a, b in PLACEHOLDER.findall(translation)} - names
            if extra:
                found.append(f"unknown placeholder {sorted(extra)}: {entry.msgid!r}")
    return found


def test_the_checker_sees_gaps_fuzzy_entries_and_wrong_placeholders() -> None:
    text = "\n".join(
        [
            'msgid ""',
            'msgstr ""',
            '"Language: fr\\n"',
            "",
            'msgid "Save"',
            'msgstr ""',
            "",
            "#, fuzzy, python-format",
            'msgid "Case %(ref)s"',
            'msgstr "Dossier %(ref)s"',
            "",
            'msgid "%(n)d item"',
            'msgid_plural "%(n)d items"',
            'msgstr[0] "%(n)d élément"',
            'msgstr[1] ""',
            "",
            'msgid "For %(who)s"',
            'msgstr "Pour %(qui)s"',
            "",
            'msgid ""',
            '"Long "',
            '"text"',
            'msgstr ""',
            '"Texte "',
            '"long"',
            "",
            '#~ msgid "Gone"',
            '#~ msgstr ""',
        ]
    )
    entries = parse(text)
    assert [entry.msgid for entry in entries] == ["", "Save", "Case %(ref)s", "%(n)d item", "For %(who)s", "Long text"]
    assert entries[-1].translations == ["Texte long"]
    assert problems(entries) == [
        "untranslated: 'Save'",
        "fuzzy: 'Case %(ref)s'",
        "untranslated: '%(n)d item'",
        "unknown placeholder ['qui']: 'For %(who)s'",
    ]


def test_every_french_entry_is_translated_and_none_is_fuzzy() -> None:
    entries = parse(CATALOG.read_text(encoding="utf-8"))
    header = entries[0]
    assert header.msgid == ""
    assert "Plural-Forms: nplurals=2; plural=(n > 1);" in header.translations[0]
    assert len(entries) > 500
    assert problems(entries) == []


# One French term per legal notion, so a lawyer never wonders whether two words mean two things.
GLOSSARY = [
    (r"\bchain of custody\b", "chaîne de possession"),
    (r"\bevidence items?\b", "élément"),
    (r"\bsurvivors?\b", "personne"),
    (r"\bMHPSS\b", "SMSPS"),
    (r"\blegal hold\b", "conservation légale"),
    (r"\bredact", "caviard"),
    (r"\bcoalition leads?\b", "responsable"),
]
# Addressed to the survivor on the consent receipt, where "the survivor" is "you".
GLOSSARY_EXCEPTIONS = {"Contact the survivor"}


def glossary_problems(entries: list[Entry]) -> list[str]:
    found = []
    for entry in entries:
        source = PLACEHOLDER.sub("", entry.msgid + " " + entry.fields.get("msgid_plural", ""))
        if entry.msgid in GLOSSARY_EXCEPTIONS:
            continue
        for english, french in GLOSSARY:
            if re.search(english, source, re.IGNORECASE) and not all(
                french.lower() in translation.lower() for translation in entry.translations
            ):
                found.append(f"{french!r} expected: {entry.msgid!r}")
        if any("·" in translation for translation in entry.translations):
            found.append(f"middle-dot form, write it out: {entry.msgid!r}")
    return found


def test_the_glossary_check_sees_a_stray_term() -> None:
    entries = parse(
        'msgid "Legal hold"\nmsgstr "Conservation judiciaire"\n\nmsgid "Survivors"\nmsgstr "Survivant·es"\n'
    )
    assert glossary_problems(entries) == [
        "'conservation légale' expected: 'Legal hold'",
        "'personne' expected: 'Survivors'",
        "middle-dot form, write it out: 'Survivors'",
    ]


def test_the_french_catalog_keeps_one_term_per_legal_notion() -> None:
    assert glossary_problems(parse(CATALOG.read_text(encoding="utf-8"))) == []


def test_msgfmt_accepts_the_french_catalog() -> None:
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "gettext's msgfmt is needed to build the catalogs (make messages)"
    result = subprocess.run(
        [msgfmt, "--check", "--statistics", "-o", "/dev/null", str(CATALOG)],
        capture_output=True,
        text=True,
        check=False,
        env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr
    assert "fuzzy" not in result.stderr


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["accept-language", "cookie"])
def test_the_login_page_speaks_french(client: Client, how: str) -> None:
    if how == "cookie":
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
        response = client.get(reverse("accounts:login"))
    else:
        response = client.get(reverse("accounts:login"), headers={"accept-language": "fr-FR,fr;q=0.9"})
    page = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fr">' in page
    assert "Connexion" in page
    assert "Continuer" in page
    assert "Sign in" not in page


@pytest.mark.django_db
def test_the_login_page_stays_english_without_a_french_preference(client: Client) -> None:
    page = client.get(reverse("accounts:login"), headers={"accept-language": "en"}).content.decode()
    assert '<html lang="en">' in page
    assert "Sign in" in page
