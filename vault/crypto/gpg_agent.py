"""Stopping the gpg-agent that a secret-key operation starts, so no daemon holding an unlocked key
outlives the call. An agent already running for that home (the operator's, e.g. for a smartcard)
is left alone."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def gpgconf(home: Path, *args: str) -> str:
    tool = shutil.which("gpgconf")
    if not tool:
        return ""
    # Fixed arguments, no shell; the home is a configured GnuPG directory.
    done = subprocess.run([tool, "--homedir", str(home), *args], capture_output=True, text=True, check=False)  # noqa: S603
    return done.stdout.strip()


def agent_running(home: Path) -> bool:
    path = gpgconf(home, "--list-dirs", "agent-socket")
    if not path:
        return False
    with socket.socket(socket.AF_UNIX) as probe:
        try:
            probe.connect(path)
        except OSError:
            return False
    return True


@contextmanager
def stop_started_agent(home: Path) -> Iterator[None]:
    """Within the block gpg may start an agent for ``home``; it is stopped on exit unless one was
    already running before."""
    running = agent_running(home)
    try:
        yield
    finally:
        if not running:
            gpgconf(home, "--kill", "gpg-agent")
