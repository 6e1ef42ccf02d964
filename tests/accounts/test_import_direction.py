"""accounts is the bottom of the app graph (evidence → cases → teams → accounts): it imports no other app."""

from __future__ import annotations

import ast
from pathlib import Path

import accounts

OTHER_APPS = {"teams", "cases", "evidence", "demo"}


def test_accounts_imports_no_app_above_it() -> None:
    offenders = []
    for path in Path(accounts.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in OTHER_APPS]
    assert offenders == []
