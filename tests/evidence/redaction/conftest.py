from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from evidence.redaction.engine import redact_bytes
from evidence.redaction.result import Outcome
from tests.evidence.redaction.corpus import IDENTIFIERS, PRODUCERS


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("redaction-corpus")


@pytest.fixture(scope="session")
def corpus(corpus_dir: Path) -> dict[str, Path]:
    """Every corpus PDF whose producer is installed here, generated once per session."""
    made: dict[str, Path] = {}
    for name, (producer, tool) in PRODUCERS.items():
        if tool is not None and shutil.which(tool) is None:
            continue
        out = corpus_dir / name
        out.mkdir()
        made[name] = producer(out)
    return made


@pytest.fixture(scope="session")
def redacted(corpus: dict[str, Path]) -> dict[str, Outcome]:
    return {name: redact_bytes(path.read_bytes(), path.name, IDENTIFIERS) for name, path in corpus.items()}
