"""Where a running ``graphsvc serve`` listens, recorded in the data folder, so the CLI
talks to it instead of starting an API of its own for each command (issue 31: a
command against a running serve answers in about the time of its request, not the
seconds an in-process API takes to start).

``serve`` writes ``serve.json`` (its URL, its process id, whether it takes the local
key) when it starts and removes it when it stops. A command given no ``--api`` uses the
recorded API when ``/healthz`` answers there within half a second and it can send a
key that API takes (one given, or the local key when that is the API's); otherwise it
serves its own API in process, as before.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import httpx

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
def recorded_serve(data_dir: Path, host: str, port: int, local_key: bool) -> Iterator[None]:
    """Record, for the block's length, that this process serves the API at ``host:port``
    (``local_key``: with the local key, not keys of GRAPHSVC_API_KEYS)."""
    path = data_dir / SERVE_FILE
    record = {
        "url": f"http://{_loopback(host)}:{port}",
        "pid": os.getpid(),
        "local_key": local_key,
    }
    data_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record), encoding="utf-8")
    try:
        yield
    finally:
        with contextlib.suppress(OSError, ValueError):
            if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
                path.unlink()


def running_serve(data_dir: Path, api_key: str | None) -> str | None:
    """The URL of the ``serve`` recorded in ``data_dir`` if it answers now and takes a key
    this command can send (``api_key``, or the local key when the serve uses it)."""
    try:
        record = json.loads((data_dir / SERVE_FILE).read_text(encoding="utf-8"))
        url = str(record["url"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if api_key is None and not record.get("local_key"):
        return None
    try:
        answer = httpx.get(f"{url}/healthz", timeout=_PROBE_SECONDS)
    except httpx.HTTPError:
        return None
    return url if answer.status_code == 200 else None
