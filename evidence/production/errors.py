"""Errors the production engine raises: each names the document it concerns when there is one.

The message is an English template with ``%(name)s`` parameters, marked for translation where it is
raised (``gettext_noop``): logs, the command line and ``str()`` read it in English, and the vault
keeps ``template`` and ``params`` so each reader sees it in their own language (production_texts).
Parameters are plain values (file names, numbers, a library's own message), never translated.
"""

from __future__ import annotations

from typing import Any


class ProductionError(Exception):
    """The package cannot be written as asked; ``control`` names the document at fault, if any."""

    def __init__(self, template: str, *, control: str | None = None, **params: Any) -> None:
        self.template = template
        self.params = params
        self.control = control
        self.reason = template % params if params else template
        super().__init__(f"{control}: {self.reason}" if control else self.reason)
