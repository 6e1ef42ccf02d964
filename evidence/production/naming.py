"""Names inside a package: built from controls, Bates numbers and fixed words only.

Nothing typed by a person (file names, titles) ever becomes a path in the package: a file name
can name a survivor. Controls, the production reference and the Bates prefix are checked against
a narrow alphabet instead of being rewritten, so two different inputs never collide.
"""

from __future__ import annotations

import mimetypes
import re

from django.utils.translation import gettext_noop

from evidence.production.errors import ProductionError

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_PREFIX = re.compile(r"[A-Za-z0-9._-]{0,40}")
_EXTENSION = re.compile(r"\.[a-z0-9]{1,8}")


def _token(value: str, template: str) -> str:
    if not _TOKEN.fullmatch(value) or ".." in value:
        raise ProductionError(template, value=value)
    return value


def check_control(value: str) -> str:
    return _token(
        value, gettext_noop("the control %(value)r may hold only letters, digits, '.', '_' and '-' (64 at most)")
    )


def check_reference(value: str) -> str:
    template = gettext_noop(
        "the production reference %(value)r may hold only letters, digits, '.', '_' and '-' (64 at most)"
    )
    return _token(value, template)


def check_prefix(prefix: str) -> str:
    if not _PREFIX.fullmatch(prefix):
        raise ProductionError(
            gettext_noop("the Bates prefix %(prefix)r may hold only letters, digits, '.', '_' and '-'"), prefix=prefix
        )
    return prefix


def bates_label(prefix: str, number: int, width: int) -> str:
    digits = str(number)
    if number < 0 or len(digits) > width:
        raise ProductionError(
            gettext_noop("Bates number %(number)s does not fit in %(width)s digits"), number=number, width=width
        )
    return f"{prefix}{digits.zfill(width)}"


def native_extension(media_type: str) -> str:
    """A file extension for the media type, or ``.bin``: never taken from the original file name."""
    guessed = (mimetypes.guess_extension(media_type.split(";")[0].strip(), strict=False) or "").lower()
    return guessed if _EXTENSION.fullmatch(guessed) else ".bin"


def one_line(value: str) -> str:
    """Text safe for a tag-file value or a load-file cell: no line breaks or control characters."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in value).split())
