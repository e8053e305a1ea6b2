"""Where a running ``graphsvc serve`` listens, recorded in the data folder, so the CLI
talks to it instead of starting an API of its own for each command (issue 31: a
command against a running serve answers in about the time of its request, not the
seconds an in-process API takes to start).

``serve`` writes ``serve.json`` (its URL, its process id, its Neo4j, whether it takes
the local key) when it starts, mode 0600 in the private data folder, unless another
serve recorded there still answers; and removes its own record when it stops. A command
given no ``--api`` uses the recorded API only when the record is this user's and no one
else may read it, its process still runs, it serves the Neo4j this command would use
(``NEO4J_URI``, or the local one), ``/healthz`` answers there within half a second, and
the command can send a key that API takes (one given, or the local key when that is the
API's): a stale record of a serve killed with SIGKILL never hands the local key to
whatever listens on its port now. Otherwise it serves its own API in process.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import httpx

from graphsvc.localkey import private_dir

__all__ = ["SERVE_FILE", "recorded_serve", "running_serve"]

SERVE_FILE = "serve.json"
_PROBE_SECONDS = 0.5


def _loopback(host: str) -> str:
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


@contextlib.contextmanager
def recorded_serve(
    data_dir: Path, host: str, port: int, local_key: bool, neo4j: str
) -> Iterator[None]:
    """Record, for the block's length, that this process serves the API at ``host:port``
    on Neo4j ``neo4j`` (``NEO4J_URI``, or ``""`` for the local one) with the local key
    (``local_key``) or keys of GRAPHSVC_API_KEYS."""
    path = data_dir / SERVE_FILE
    record = {
        "url": f"http://{_loopback(host)}:{port}",
        "pid": os.getpid(),
        "local_key": local_key,
        "neo4j": neo4j,
    }
    if _answering(_read(path)) is None:  # no other serve recorded here still answers
        private_dir(data_dir)
        temporary = path.with_name(f".{SERVE_FILE}.{os.getpid()}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(record))
        os.replace(temporary, path)
    try:
        yield
    finally:
        with contextlib.suppress(OSError, ValueError):
            if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
                path.unlink()


def _read(path: Path) -> dict[str, object] | None:
    """The record at ``path`` when it is this user's, private, and well formed."""
    try:
        st = path.stat()
        if st.st_uid != os.getuid() or st.st_mode & 0o077:
            return None
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _answering(record: dict[str, object] | None) -> str | None:
    """The record's URL when its process runs and ``/healthz`` answers there."""
    if record is None:
        return None
    try:
        os.kill(int(str(record["pid"])), 0)
        url = str(record["url"])
        answer = httpx.get(f"{url}/healthz", timeout=_PROBE_SECONDS)
    except (KeyError, ValueError, ProcessLookupError, PermissionError, httpx.HTTPError):
        return None
    return url if answer.status_code == 200 else None


def running_serve(data_dir: Path, api_key: str | None, neo4j: str) -> str | None:
    """The URL of the ``serve`` recorded in ``data_dir`` if it may be trusted (module
    docstring), serves Neo4j ``neo4j`` and takes a key this command can send
    (``api_key``, or the local key when the serve uses it)."""
    record = _read(data_dir / SERVE_FILE)
    if record is None or record.get("neo4j", "") != neo4j:
        return None
    if api_key is None and not record.get("local_key"):
        return None
    return _answering(record)
