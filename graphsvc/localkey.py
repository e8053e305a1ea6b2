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

import contextlib
import os
import secrets
import stat
from pathlib import Path

from graphsvc._errors import LocalDbError

__all__ = ["KEY_FILE", "local_key", "private_dir", "read_local_key", "secret_file"]

KEY_FILE = "api-key"


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if needed and make it 0700; returns it."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def _check_private(path: Path) -> None:
    """``LocalDbError`` unless ``path`` belongs to this user and no one else may read it: a
    secret planted by another user, or one others could have read, is not trusted."""
    st = path.stat()
    if st.st_uid != os.getuid():
        raise LocalDbError(f"{path} belongs to another user; remove it to generate a new one")
    if st.st_mode & 0o077:
        raise LocalDbError(
            f"{path} may be read by others (mode {stat.S_IMODE(st.st_mode):o}); remove it to "
            "generate a new one, or make it private with `chmod 600`"
        )


def secret_file(path: Path, nbytes: int = 32) -> str:
    """The secret kept in ``path``, created (``secrets.token_urlsafe(nbytes)``, mode 0600,
    its folder 0700) if there is none. It is written to a temporary file first and
    linked into place, so no reader sees it half written, and two processes creating it
    at once agree on the first. ``LocalDbError`` for a file of another user, one others
    may read, or an empty one."""
    if not path.exists():
        private_dir(path.parent)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(secrets.token_urlsafe(nbytes) + "\n")
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            temporary.unlink()
    _check_private(path)
    value = path.read_text(encoding="utf-8").strip()
    if not value:
        raise LocalDbError(f"{path} is empty; remove it to generate a new one")
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
