"""Finding survivor identifiers, pattern matches and near misses in extracted text.

Matching works on a normalised copy of the text (transliterated to ASCII, case-folded, every
character that is not a letter or digit dropped) with a map back to the source characters, so
"Aïcha", "AICHA", "A-i cha" and "+236 72 12 34 56" / "72123456" all meet the same key. Near
misses are returned as proposals and never applied without a person's decision.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from anyascii import anyascii
from rapidfuzz import fuzz

# Categories whose values are names: these get fuzzy near-miss proposals and initials variants.
NAME_CATEGORIES = frozenset({"legal_name", "alias", "relative", "identifier", "manual", "place"})
# Pattern categories applied without review by default; the others are proposed.
DEFAULT_APPLIED_PATTERNS = frozenset({"phone", "email", "gps", "date_of_birth"})
PATTERN_CATEGORIES = ("phone", "email", "gps", "date_of_birth", "date", "id_like")
MIN_KEY_LENGTH = 2
FUZZY_THRESHOLD = 80.0


@dataclass(frozen=True, slots=True)
class Term:
    """One value to remove. ``category`` is shown in reports; ``value`` never is."""

    category: str
    value: str

    def __repr__(self) -> str:
        return f"Term({self.category!r}, <sealed>)"


@dataclass(frozen=True, slots=True)
class Match:
    """A span ``[start, end)`` of the source text. ``applied`` is False for proposals."""

    start: int
    end: int
    category: str
    source: str  # "identifier", "pattern" or "near_miss"
    applied: bool


@dataclass(slots=True)
class Policy:
    """Which pattern categories are removed without review."""

    applied_patterns: frozenset[str] = DEFAULT_APPLIED_PATTERNS
    fuzzy: bool = True
    extra_applied: frozenset[str] = field(default_factory=frozenset)

    def applies(self, category: str) -> bool:
        return category in self.applied_patterns or category in self.extra_applied


# Large enough for every BMP character: the byte scan decodes binary data as UTF-16, which meets most of them.
@lru_cache(maxsize=1 << 17)
def _fold_char(ch: str) -> str:
    return "".join(c for c in anyascii(ch).casefold() if c.isalnum())


def normalise(text: str) -> str:
    return "".join(_fold_char(ch) for ch in text)


_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def normalise_fast(text: str) -> str:
    """Same result as ``normalise``, at C speed for long texts: only the distinct non-ASCII characters
    go through the per-character folding."""
    table = {ord(ch): _fold_char(ch) for ch in set(text) if not ch.isascii()}
    return _NOT_ALNUM.sub("", text.translate(table).lower())


def normalise_with_map(text: str) -> tuple[str, list[int]]:
    """Return the normalised text and, for each of its characters, the source index."""
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        folded = _fold_char(ch)
        if folded:
            out.append(folded)
            index.extend([i] * len(folded))
    return "".join(out), index


def _is_word_char(ch: str) -> bool:
    return bool(_fold_char(ch))


def _digits_only(key: str) -> bool:
    return key.isdigit()


@dataclass(frozen=True, slots=True)
class _Key:
    key: str
    category: str
    loose_start: bool  # long digit keys may follow a country code or prefix


def term_keys(terms: Iterable[Term]) -> list[_Key]:
    """Normalised search keys for terms, with phone-number variants (local part without prefix)."""
    keys: dict[tuple[str, str], _Key] = {}
    for term in terms:
        key = normalise(term.value)
        if len(key) < MIN_KEY_LENGTH:
            continue
        digits = _digits_only(key)
        keys.setdefault((key, term.category), _Key(key, term.category, digits and len(key) >= 6))
        if digits and len(key) > 9:
            local = key[-8:]
            keys.setdefault((local, term.category), _Key(local, term.category, True))
        for variant in _date_variants(term) if term.category == "date_of_birth" else ():
            keys.setdefault((variant, term.category), _Key(variant, term.category, False))
    return sorted(keys.values(), key=lambda k: -len(k.key))


_ISO_DATE = re.compile(r"^\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\s*$")
_DMY_DATE = re.compile(r"^\s*(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})\s*$")
_MONTHS = {
    1: ("janvier", "january", "jan"),
    2: ("fevrier", "february", "feb", "fev"),
    3: ("mars", "march", "mar"),
    4: ("avril", "april", "apr", "avr"),
    5: ("mai", "may"),
    6: ("juin", "june", "jun"),
    7: ("juillet", "july", "jul"),
    8: ("aout", "august", "aug"),
    9: ("septembre", "september", "sep", "sept"),
    10: ("octobre", "october", "oct"),
    11: ("novembre", "november", "nov"),
    12: ("decembre", "december", "dec"),
}


def _date_variants(term: Term) -> list[str]:
    iso = _ISO_DATE.match(term.value)
    dmy = _DMY_DATE.match(term.value)
    if iso:
        year, month, day = (int(g) for g in iso.groups())
    elif dmy:
        day, month, year = (int(g) for g in dmy.groups())
    else:
        return []
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return []
    numeric = [
        f"{day:02d}{month:02d}{year}",
        f"{day}{month}{year}",
        f"{year}{month:02d}{day:02d}",
        f"{month:02d}{day:02d}{year}",
    ]
    words = [f"{day}{name}{year}" for name in _MONTHS[month]] + [f"{name}{day}{year}" for name in _MONTHS[month]]
    return numeric + words


def find_terms(text: str, keys: Sequence[_Key]) -> list[Match]:
    """Exact (normalised) occurrences of the keys, on word boundaries of the source text."""
    quick = normalise_fast(text)
    if not any(key.key in quick for key in keys):
        return []  # the usual case in verification: no key at all, no need for the character map
    folded, index = normalise_with_map(text)
    found: list[Match] = []
    for key in keys:
        pos = folded.find(key.key)
        while pos >= 0:
            start = index[pos]
            end = index[pos + len(key.key) - 1] + 1
            if _bounded(text, start, end, key.loose_start):
                found.append(Match(start, end, key.category, "identifier", True))
            pos = folded.find(key.key, pos + 1)
    return found


def _bounded(text: str, start: int, end: int, loose_start: bool) -> bool:
    if start > 0 and _is_word_char(text[start - 1]) and not (loose_start and text[start - 1].isdigit()):
        return False
    return end >= len(text) or not _is_word_char(text[end])


_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+", re.UNICODE)
_DATE_NUMERIC = re.compile(r"(?<!\d)(?:\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})|\d{4}-\d{1,2}-\d{1,2})(?!\d)")
_MONTH_WORDS = "|".join(sorted({m for names in _MONTHS.values() for m in names}, key=len, reverse=True))
_DATE_WORDS = re.compile(
    rf"(?i)\b(?:\d{{1,2}}(?:er)?\s+(?:{_MONTH_WORDS}|f[ée]vrier|ao[uû]t|d[ée]cembre)\.?\s+\d{{4}}"
    rf"|(?:{_MONTH_WORDS})\.?\s+\d{{1,2}},?\s+\d{{4}})\b"
)
_DOB_CONTEXT = re.compile(
    r"(?i)\b(n[ée]e?\s+le|born(?:\s+on)?|birth|naissance|d\.?o\.?b\.?|date\s+de\s+naissance)[\s:,]*$"
)
_PHONE = re.compile(r"(?<![\w./\-])(?:\+|00)?\d(?:[ .\-()]{0,2}\d){7,14}(?![\w])")
_GPS_DECIMAL = re.compile(r"(?<![\d.])-?\d{1,2}\.\d{3,}\s*[,;]\s*-?\d{1,3}\.\d{3,}(?!\.?\d)")
_GPS_DMS = re.compile(
    r"\d{1,3}\s*°\s*\d{1,2}\s*['′]\s*(?:\d{1,2}(?:[.,]\d+)?\s*(?:\"|″|'')\s*)?[NSEWO]"  # noqa: RUF001
    r"(?:[\s,;]+\d{1,3}\s*°\s*\d{1,2}\s*['′]\s*(?:\d{1,2}(?:[.,]\d+)?\s*(?:\"|″|'')\s*)?[NSEWO])?"  # noqa: RUF001
)
_ID_LIKE = re.compile(r"\b(?=[A-Z0-9/\-]*\d{4})[A-Z]{0,4}[/\-]?\d[\d/\-]{5,}[A-Z]{0,2}\b")


def find_patterns(text: str, policy: Policy) -> list[Match]:
    found: list[Match] = []
    taken: list[tuple[int, int]] = []

    def add(start: int, end: int, category: str) -> None:
        if any(s < end and start < e for s, e in taken):
            return
        taken.append((start, end))
        found.append(Match(start, end, category, "pattern", policy.applies(category)))

    for m in _EMAIL.finditer(text):
        add(m.start(), m.end(), "email")
    for m in _GPS_DMS.finditer(text):
        add(m.start(), m.end(), "gps")
    for m in _GPS_DECIMAL.finditer(text):
        add(m.start(), m.end(), "gps")
    for regex in (_DATE_WORDS, _DATE_NUMERIC):
        for m in regex.finditer(text):
            context = text[max(0, m.start() - 40) : m.start()]
            add(m.start(), m.end(), "date_of_birth" if _DOB_CONTEXT.search(context) else "date")
    for m in _PHONE.finditer(text):
        digits = sum(ch.isdigit() for ch in m.group())
        if 8 <= digits <= 15:
            add(m.start(), m.end(), "phone")
    for m in _ID_LIKE.finditer(text):
        add(m.start(), m.end(), "id_like")
    return found


_WORD = re.compile(r"\w+(?:[.'’]\w+)*\.?", re.UNICODE)  # noqa: RUF001


def _name_variants(terms: Iterable[Term]) -> list[tuple[list[str], str]]:
    variants: list[tuple[list[str], str]] = []
    for term in terms:
        if term.category not in NAME_CATEGORIES:
            continue
        tokens = [normalise(t) for t in _WORD.findall(term.value)]
        tokens = [t for t in tokens if t]
        if not tokens:
            continue
        variants.append((tokens, term.category))
    return variants


def find_near_misses(text: str, terms: Sequence[Term], exact: Sequence[Match]) -> list[Match]:
    """Proposals: misspellings, transliterations, initials and lone parts of multi-word names."""
    words = [(m.start(), m.end(), normalise(m.group())) for m in _WORD.finditer(text)]
    covered = [(m.start, m.end) for m in exact]
    found: dict[tuple[int, int], Match] = {}

    def propose(start: int, end: int, category: str) -> None:
        if any(s <= start and end <= e for s, e in covered):
            return
        found.setdefault((start, end), Match(start, end, category, "near_miss", False))

    for tokens, category in _name_variants(terms):
        joined = "".join(tokens)
        n = len(tokens)
        initials = {tokens[0][0] + "".join(tokens[1:])} if n > 1 else set()
        if n > 1:
            initials.add("".join(tokens[:-1]) + tokens[-1][0])
        for i in range(len(words)):
            window = words[i : i + n]
            if len(window) == n:
                candidate = "".join(w[2] for w in window)
                if candidate in initials or (
                    abs(len(candidate) - len(joined)) <= 2
                    and candidate != joined
                    and fuzz.ratio(candidate, joined) >= FUZZY_THRESHOLD
                ):
                    propose(window[0][0], window[-1][1], category)
            if n > 1:
                word = words[i][2]
                if any(len(t) >= 3 and (word == t or (len(t) >= 5 and fuzz.ratio(word, t) >= 85)) for t in tokens):
                    propose(words[i][0], words[i][1], category)
    return list(found.values())


def detect(text: str, terms: Sequence[Term], policy: Policy | None = None) -> list[Match]:
    """All matches in ``text``: identifiers and applied patterns (``applied``) and proposals."""
    policy = policy or Policy()
    exact = find_terms(text, term_keys(terms))
    patterns = find_patterns(text, policy)
    near = find_near_misses(text, terms, exact) if policy.fuzzy else []
    return exact + patterns + near


def applied_spans(matches: Iterable[Match]) -> list[tuple[int, int]]:
    """Merged spans of the applied matches."""
    spans = sorted((m.start, m.end) for m in matches if m.applied)
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def leak_categories(text: str, keys: Sequence[_Key]) -> list[str]:
    """Categories of the keys still present in ``text`` (for verification; values never returned)."""
    return sorted({m.category for m in find_terms(text, keys)})
