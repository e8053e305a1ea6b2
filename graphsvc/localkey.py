"""Secrets kept on this machine: the local admin API key and the local Neo4j's password.

Keys are always on (DESIGN.md section 8). Without ``GRAPHSVC_API_KEYS`` the API
accepts one admin key, generated on first use and kept in
``$GRAPHSVC_DATA_DIR/api-key`` (mode 0600, in a 0700 folder, beside the local
Neo4j's ``password``); the CLI (``graphsvc run``, ``worker``, ``plan ...``) on
the same machine reads it when no ``--api-key`` / ``GRAPHSVC_API_KEY`` is given.
Another local user cannot read it, and a web page cannot read files at all: so
a browser on this machine cannot start a plan, whatever it sends.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

__all__ = ["KEY_FILE", "local_key", "private_dir", "read_local_key", "secret_file"]

KEY_FILE = "api-key"


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if needed and make it 0700; returns it."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def secret_file(path: Path, nbytes: int = 32) -> str:
    """The secret kept in ``path``, created (``secrets.token_urlsafe(nbytes)``, mode 0600,
    its folder 0700) if there is none. Two processes creating it at once agree: the file
    is created exclusively, and the loser reads the winner's."""
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    private_dir(path.parent)
    value = secrets.token_urlsafe(nbytes)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(value + "\n")
    return value


def local_key(data_dir: Path) -> str:
    """The local admin API key in ``data_dir``, generated on first use."""
    return secret_file(data_dir / KEY_FILE)


def read_local_key(data_dir: Path) -> str | None:
    """The local admin API key if one was generated in ``data_dir`` and this user may read
    it; else None."""
    try:
        return (data_dir / KEY_FILE).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None
