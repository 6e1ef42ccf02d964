"""Typed readers for environment variables.

Every setting that comes from the environment goes through one of these so a
typo or a missing value stops the process at start-up with a message that
names the variable, instead of surfacing later as a confusing runtime error.
"""

from __future__ import annotations

import builtins
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from django.core.exceptions import ImproperlyConfigured

_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_FALSE: Final = frozenset({"0", "false", "no", "off"})


class _Missing:
    pass


MISSING: Final = _Missing()


class Env:
    """Reads from a mapping (``os.environ`` by default) so tests can pass their own.

    The readers are named after the type they return, so inside this class the
    annotations spell the built-in types as ``builtins.str`` etc.
    """

    def __init__(self, source: Mapping[builtins.str, builtins.str] | None = None) -> None:
        self._source: Mapping[str, str] = os.environ if source is None else source

    def _raw(self, name: builtins.str) -> builtins.str | None:
        value = self._source.get(name)
        if value is None:
            return None
        value = value.strip()
        return value or None

    def is_set(self, name: builtins.str) -> builtins.bool:
        return self._raw(name) is not None

    def str(self, name: builtins.str, default: builtins.str | _Missing = MISSING) -> builtins.str:
        value = self._raw(name)
        if value is not None:
            return value
        if isinstance(default, _Missing):
            raise ImproperlyConfigured(f"Environment variable {name} is required but not set.")
        return default

    def bool(self, name: builtins.str, default: builtins.bool | _Missing = MISSING) -> builtins.bool:
        value = self._raw(name)
        if value is None:
            if isinstance(default, _Missing):
                raise ImproperlyConfigured(f"Environment variable {name} is required but not set.")
            return default
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ImproperlyConfigured(
            f"Environment variable {name}={value!r} is not a boolean (use 1/0, true/false, yes/no, on/off)."
        )

    def int(
        self,
        name: builtins.str,
        default: builtins.int | _Missing = MISSING,
        *,
        minimum: builtins.int | None = None,
        maximum: builtins.int | None = None,
    ) -> builtins.int:
        value = self._raw(name)
        if value is None:
            if isinstance(default, _Missing):
                raise ImproperlyConfigured(f"Environment variable {name} is required but not set.")
            return default
        try:
            number = int(value)
        except ValueError:
            raise ImproperlyConfigured(f"Environment variable {name}={value!r} is not an integer.") from None
        if minimum is not None and number < minimum:
            raise ImproperlyConfigured(f"Environment variable {name}={number} is below the minimum {minimum}.")
        if maximum is not None and number > maximum:
            raise ImproperlyConfigured(f"Environment variable {name}={number} is above the maximum {maximum}.")
        return number

    def list(
        self, name: builtins.str, default: builtins.list[builtins.str] | _Missing = MISSING
    ) -> builtins.list[builtins.str]:
        value = self._raw(name)
        if value is None:
            if isinstance(default, _Missing):
                raise ImproperlyConfigured(f"Environment variable {name} is required but not set.")
            return list(default)
        return [part.strip() for part in value.split(",") if part.strip()]

    def choice(
        self, name: builtins.str, choices: tuple[builtins.str, ...], default: builtins.str | _Missing = MISSING
    ) -> builtins.str:
        value = self.str(name, default)
        if value not in choices:
            raise ImproperlyConfigured(f"Environment variable {name}={value!r} must be one of: {', '.join(choices)}.")
        return value

    def path(self, name: builtins.str, default: Path | _Missing = MISSING) -> Path:
        value = self._raw(name)
        if value is None:
            if isinstance(default, _Missing):
                raise ImproperlyConfigured(f"Environment variable {name} is required but not set.")
            return default
        return Path(value).expanduser().resolve()
