"""Build the local Neo4j launcher: Neo4j's jars from Maven Central plus one class.

The jars are collected with ``mvn dependency:copy-dependencies`` (not shaded:
Neo4j finds its extensions through ``META-INF/services`` files) and
``GraphsvcNeo4j.java`` is compiled against them with ``javac``. The result is
cached under ``<cache_dir>/launcher/<hash of pom.xml and the source>``, so a
changed launcher builds anew and an unchanged one is built once per machine.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from importlib import resources
from pathlib import Path

from graphsvc._errors import LocalDbError

__all__ = ["LAUNCHER_CLASS", "build_launcher", "launcher_classpath"]

LAUNCHER_CLASS = "GraphsvcNeo4j"
_SOURCES = ("pom.xml", f"{LAUNCHER_CLASS}.java")


def _source_texts() -> dict[str, bytes]:
    root = resources.files("graphsvc.localdb") / "launcher"
    return {name: (root / name).read_bytes() for name in _SOURCES}


def _launcher_dir(cache_dir: Path) -> Path:
    digest = hashlib.sha256()
    for name, data in sorted(_source_texts().items()):
        digest.update(name.encode() + b"\0" + data)
    return cache_dir / "launcher" / digest.hexdigest()[:16]


def _run(cmd: list[str], cwd: Path, what: str) -> None:
    exe = shutil.which(cmd[0])
    if exe is None:
        raise LocalDbError(f"{cmd[0]} is not installed; the local Neo4j needs Java 17 and Maven")
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise LocalDbError(f"{what} failed (exit {proc.returncode}): {tail}")


def build_launcher(cache_dir: Path) -> Path:
    """Return the launcher folder (``lib/`` jars, ``classes/``), building it if needed.

    Raises ``LocalDbError`` naming the failed step (Maven or javac) and the
    last lines of its output. Safe when several processes build at once: each
    builds in a temporary folder and the first to finish is kept.
    """
    target = _launcher_dir(cache_dir)
    if (target / "classes" / f"{LAUNCHER_CLASS}.class").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="build-", dir=target.parent))
    try:
        for name, data in _source_texts().items():
            (work / name).write_bytes(data)
        _run(
            [
                "mvn",
                "-q",
                "-B",
                "dependency:copy-dependencies",
                "-DoutputDirectory=lib",
                "-DincludeScope=runtime",
            ],
            work,
            "Fetching Neo4j from Maven Central (mvn dependency:copy-dependencies)",
        )
        (work / "classes").mkdir()
        _run(
            ["javac", "-cp", str(work / "lib" / "*"), "-d", "classes", f"{LAUNCHER_CLASS}.java"],
            work,
            "Compiling the Neo4j launcher (javac)",
        )
        try:
            work.rename(target)
        except OSError:
            if not (target / "classes" / f"{LAUNCHER_CLASS}.class").exists():
                raise
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return target


def launcher_classpath(folder: Path) -> str:
    """The ``-cp`` value for a built launcher folder."""
    return f"{folder / 'classes'}:{folder / 'lib' / '*'}"
