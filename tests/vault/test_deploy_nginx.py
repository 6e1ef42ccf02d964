"""The nginx site never spools plaintext (uploads in, decrypted evidence or forms out) to its temp files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "nginx"


def _directives(path: Path) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line]


def test_every_proxied_response_is_relayed_from_memory() -> None:
    snippet = _directives(DEPLOY / "custody-proxy.conf")
    assert "proxy_buffering off;" in snippet
    assert "proxy_max_temp_file_size 0;" in snippet


def test_every_proxied_location_uses_the_shared_snippet() -> None:
    site = (DEPLOY / "custody.conf").read_text(encoding="utf-8")
    proxied = re.findall(r"location [^{]*\{(?:[^{}])*?proxy_http_version[^}]*\}", site)
    assert proxied, "no proxied location found"
    for block in proxied:
        assert "include /etc/nginx/snippets/custody-proxy.conf;" in block


@pytest.mark.parametrize("directive", ["proxy_request_buffering off;", "client_body_buffer_size 10m;"])
def test_request_bodies_are_not_spooled(directive: str) -> None:
    assert directive in _directives(DEPLOY / "custody.conf")
