"""Errors the production engine raises: each names the document it concerns when there is one."""

from __future__ import annotations


class ProductionError(Exception):
    """The package cannot be written as asked; ``control`` names the document at fault, if any."""

    def __init__(self, message: str, *, control: str | None = None) -> None:
        super().__init__(f"{control}: {message}" if control else message)
        self.control = control
        self.reason = message
