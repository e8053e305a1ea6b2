"""No orphan work (issue 30): the commands a worker runs die with it, SIGKILL included.

Each command runs in a process group of its own (``executors._supervise``). One
watchdog process per worker, started with its first command, holds the read end of a
pipe whose write end only the worker holds; the worker tells it, one line each, which
groups run (``+PGID``) and which have ended (``-PGID``). When the worker ends, however it
ends (SIGKILL, a crash, a normal exit), the kernel closes the pipe; the watchdog reads
its end, sends SIGTERM to every group still running and SIGKILL ``ORPHAN_GRACE_SECONDS``
later. A command therefore never runs on while the step it belongs to is leased again
and run elsewhere (the step runs again: at-least-once, README "Workers").

A Linux parent-death signal (``PR_SET_PDEATHSIG``) would reach only the group's first
process, and fires when the forking *thread* ends, which in a worker's thread pool is
not when the worker ends; the watchdog reaches the whole group, on any POSIX system.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading

__all__ = ["ORPHAN_GRACE_SECONDS", "Watchdog", "watchdog"]

log = logging.getLogger("graphsvc.worker")

ORPHAN_GRACE_SECONDS = 1.0  # between SIGTERM and SIGKILL of an orphaned command's group

# The watchdog itself: no imports of graphsvc (it starts in a few milliseconds).
_SCRIPT = f"""
import os, signal, sys, time
signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C meant for the worker
groups = set()
for line in sys.stdin:
    op, pgid = line[:1], int(line[1:])
    (groups.add if op == "+" else groups.discard)(pgid)
for sig in (signal.SIGTERM, signal.SIGKILL):
    for pgid in list(groups):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            groups.discard(pgid)
    if groups and sig == signal.SIGTERM:
        time.sleep({ORPHAN_GRACE_SECONDS})
"""


class Watchdog:
    """The watchdog of this worker process (module docstring); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[str] | None = None

    def _tell(self, line: str) -> None:
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._proc = subprocess.Popen(
                    [sys.executable, "-I", "-c", _SCRIPT],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    text=True,
                    start_new_session=True,  # not in the worker's group: outlives a Ctrl-C
                )
            assert self._proc.stdin is not None
            try:
                self._proc.stdin.write(line + "\n")
                self._proc.stdin.flush()
            except (BrokenPipeError, OSError):
                log.warning("the command watchdog is gone: %s not recorded", line)

    def started(self, pgid: int) -> None:
        """A command's process group runs: killed if this worker ends before it does."""
        self._tell(f"+{pgid}")

    def ended(self, pgid: int) -> None:
        """That group ended (or was killed by the worker itself)."""
        self._tell(f"-{pgid}")


watchdog = Watchdog()
