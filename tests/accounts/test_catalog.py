"""The French catalog is complete: every extracted string has a translation, none is a fuzzy guess."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

CATALOG = Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES" / "django.po"


def entries(text: str) -> list[list[str]]:
    return [block.splitlines() for block in text.split("\n\n") if "msgid" in block]


def has_empty_translation(lines: list[str]) -> bool:
    for index, line in enumerate(lines):
        if line.startswith("msgstr") and line.endswith('""'):
            following = lines[index + 1] if index + 1 < len(lines) else ""
            if not following.startswith('"'):
                return True
    return False


def test_the_checker_sees_gaps() -> None:
    assert has_empty_translation(['msgid "Save"', 'msgstr ""'])
    assert has_empty_translation(['msgid "a"', 'msgid_plural "b"', 'msgstr[0] "x"', 'msgstr[1] ""'])
    assert not has_empty_translation(['msgid "Save"', 'msgstr ""', '"Enregistrer"'])


def test_every_french_string_is_translated() -> None:
    header, *messages = entries(CATALOG.read_text(encoding="utf-8"))
    assert "Plural-Forms: nplurals=2; plural=(n > 1);" in "".join(header)
    assert len(messages) > 500
    untranslated = [lines for lines in messages if has_empty_translation(lines)]
    fuzzy = [lines for lines in messages if any(line.startswith("#,") and "fuzzy" in line for line in lines)]
    assert untranslated == []
    assert fuzzy == []
