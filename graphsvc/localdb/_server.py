"""Start, stop and inspect the local Neo4j: a JVM child process graphsvc manages.

Layout of the data folder (``Settings.data_dir``, default
``~/.local/share/graphsvc``)::

    neo4j/            the DBMS home: store files (data/) and Neo4j's logs (logs/)
    password          the password of user ``neo4j`` (mode 0600)
    neo4j.json        pid and ports of the running process
    neo4j.log         the JVM's stdout and stderr

Authentication is on. On first start graphsvc generates a random password
and keeps it in ``password``: Bolt listens on 127.0.0.1 only, but any local
process could reach it, and a fixed well-known password would let any of
them write the graph. ``graphsvc db status`` shows the file's path, and
``graphsvc db start`` prints the login for Neo4j Browser.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import neo4j

from graphsvc._errors import LocalDbError
from graphsvc.localdb._build import LAUNCHER_CLASS, build_launcher, launcher_classpath
from graphsvc.localkey import private_dir, secret_file
from graphsvc.settings import Settings

log = logging.getLogger("graphsvc.localdb")

__all__ = ["LocalNeo4j", "choose_port", "free_port", "local_status", "start", "stop"]

USER = "neo4j"

# The JVM flags of Neo4j 5's own conf/neo4j.conf (server.jvm.additional).
JVM_FLAGS = (
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields",
    "-XX:+DisableExplicitGC",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Djdk.tls.ephemeralDHKeySize=2048",
    "-Djdk.tls.rejectClientInitiatedRenegotiation=true",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "-Dlog4j2.disable.jmx=true",
)


@dataclass(frozen=True)
class LocalNeo4j:
    """A running local Neo4j: where to reach it and how to log in."""

    pid: int
    bolt_port: int
    http_port: int
    data_dir: str
    password: str

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.bolt_port}"

    @property
    def browser_url(self) -> str:
        """Neo4j Browser with the connection filled in (Bolt URL and user; the password
        is asked)."""
        return (
            f"http://127.0.0.1:{self.http_port}/browser/?preselectAuthMethod=basic"
            f"&dbms=bolt://{USER}@127.0.0.1:{self.bolt_port}"
        )

    @property
    def user(self) -> str:
        return USER


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _password(data_dir: Path) -> str:
    """The password of user ``neo4j``, generated on first start (the data folder 0700)."""
    private_dir(data_dir)
    return secret_file(data_dir / "password", 18)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.exists():  # guard against a recycled pid
        return LAUNCHER_CLASS.encode() in cmdline.read_bytes()
    return True


def local_status(data_dir: Path) -> LocalNeo4j | None:
    """The running local Neo4j of ``data_dir``, or None when none runs."""
    state_file = data_dir / "neo4j.json"
    if not state_file.exists():
        return None
    try:
        state = json.loads(state_file.read_text())
    except ValueError:
        return None
    if not _alive(int(state["pid"])):
        return None
    return LocalNeo4j(
        pid=int(state["pid"]),
        bolt_port=int(state["bolt_port"]),
        http_port=int(state["http_port"]),
        data_dir=str(data_dir),
        password=_password(data_dir),
    )


def _log_tail(log: Path, lines: int = 20) -> str:
    if not log.exists():
        return "(no log written)"
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def _wait_until_ready(
    info: LocalNeo4j, proc: subprocess.Popen[bytes], log: Path, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    last_error = "no answer yet"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise LocalDbError(
                f"the local Neo4j exited with code {proc.returncode} while starting; "
                f"last lines of {log}:\n{_log_tail(log)}"
            )
        try:
            with neo4j.GraphDatabase.driver(info.uri, auth=(USER, info.password)) as driver:
                driver.verify_connectivity()
            return
        except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError, OSError) as exc:
            last_error = f"{type(exc).__name__}: {exc}"
        time.sleep(0.5)
    _terminate(proc.pid)
    raise LocalDbError(
        f"the local Neo4j did not answer on {info.uri} within {timeout:.0f} s "
        f"({last_error}); last lines of {log}:\n{_log_tail(log)}"
    )


def choose_port(wanted: int, explicit: bool, what: str) -> int:
    """The port for the local Neo4j's ``what`` (Bolt or HTTP) connector: ``wanted`` when it
    is free (``0``: any free port); a default port that something else holds (another
    Neo4j on 7687) gives way to a free one, said in the log; a port asked for
    (``explicit``: a flag or GRAPHSVC_LOCAL_*_PORT) that is in use is a ``LocalDbError``."""
    if wanted and not _port_in_use(wanted):
        return wanted
    if wanted and explicit:
        var = what.upper()
        raise LocalDbError(
            f"port {wanted} for the local Neo4j's {what} connector is in use; choose another "
            f"with `graphsvc db start --{what.lower()}-port` or GRAPHSVC_LOCAL_{var}_PORT"
        )
    port = free_port()
    if wanted:
        log.warning(
            "port %d is in use: the local Neo4j's %s connector takes %d", wanted, what, port
        )
    return port


def start(
    settings: Settings,
    bolt_port: int | None = None,
    http_port: int | None = None,
    data_dir: Path | None = None,
) -> tuple[LocalNeo4j, bool]:
    """Start the local Neo4j, or find it running; returns ``(info, started_now)``.

    Ports: ``None`` takes the settings (default 7687 and 7474; a default port in use
    gives way to a free one: ``choose_port``), ``0`` picks a free port. Builds the
    launcher on first use (Maven Central, a minute).
    Blocks until ``verify_connectivity()`` answers or
    ``settings.local_start_timeout`` seconds pass. Raises ``LocalDbError``
    (a busy port, no Java or Maven, a start that failed, with the log's last
    lines).
    """
    data_dir = data_dir or settings.data_dir
    running = local_status(data_dir)
    if running is not None:
        return running, False
    chosen = settings.model_fields_set
    bolt = choose_port(
        settings.local_bolt_port if bolt_port is None else bolt_port,
        bolt_port is not None or "local_bolt_port" in chosen,
        "Bolt",
    )
    http = choose_port(
        settings.local_http_port if http_port is None else http_port,
        http_port is not None or "local_http_port" in chosen,
        "HTTP",
    )
    launcher = build_launcher(settings.cache_dir)
    password = _password(data_dir)
    log = data_dir / "neo4j.log"
    cmd = [
        "java",
        f"-Xms{min(512, settings.local_heap_mb)}m",
        f"-Xmx{settings.local_heap_mb}m",
        *JVM_FLAGS,
        "-cp",
        launcher_classpath(launcher),
        LAUNCHER_CLASS,
        str(data_dir / "neo4j"),
        str(bolt),
        str(http),
        str(settings.local_pagecache_mb),
    ]
    env = {**os.environ, "GRAPHSVC_NEO4J_PASSWORD": password}
    with open(log, "ab") as log_fh:
        proc = subprocess.Popen(
            cmd,
            stdout=log_fh,
            stderr=subprocess.STDOUT,
            env=env,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    info = LocalNeo4j(
        pid=proc.pid, bolt_port=bolt, http_port=http, data_dir=str(data_dir), password=password
    )
    state = {k: v for k, v in asdict(info).items() if k != "password"}
    (data_dir / "neo4j.json").write_text(json.dumps(state))
    _wait_until_ready(info, proc, log, settings.local_start_timeout)
    return info, True


def _terminate(pid: int, timeout: float = 60.0) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            finished, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:  # not our child: poll for its exit
            finished = 0 if _alive(pid) else pid
        if finished == pid:
            return
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def stop(data_dir: Path) -> bool:
    """Stop the local Neo4j of ``data_dir`` (SIGTERM, a clean shutdown; SIGKILL after 60 s).

    Returns False when none was running. The store stays for the next start.
    """
    info = local_status(data_dir)
    (data_dir / "neo4j.json").unlink(missing_ok=True)
    if info is None:
        return False
    _terminate(info.pid)
    return True
