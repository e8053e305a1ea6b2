"""The query folder: one Cypher query per ``cypher/*.cypher`` file, loaded once.

The files of ``cypher/`` are the public, Browser-runnable queries of DESIGN.md
section 5; those of ``cypher/engine/`` are the service's own (every write, every
transition): no Cypher text lives in Python.
Each opens with a ``//`` comment whose ``Parameters:`` line names every
``$param`` the body uses (or ``none``) and whose ``Result columns:`` line names
what it returns. In a wheel they live in ``graphsvc/cypher``; in a source
checkout, in the top-level ``cypher/`` folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from graphsvc._errors import NotFoundError
from graphsvc.domain.transitions import query_parameters

__all__ = [
    "QueryFile",
    "cypher_dir",
    "engine_queries",
    "engine_query",
    "list_queries",
    "load_query",
    "schema_statements",
    "table_parameters",
]

_PARAM = re.compile(r"(?<![\w$])\$([A-Za-z_][A-Za-z0-9_]*)")
_STRING = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")


@dataclass(frozen=True)
class QueryFile:
    """One query file: its name (file stem), header, body and declared/used parameters."""

    name: str
    header: str
    body: str
    declared_params: frozenset[str]
    result_columns: tuple[str, ...]

    @property
    def used_params(self) -> frozenset[str]:
        """The ``$params`` the body uses (string literals and comments excluded)."""
        code = "\n".join(line.split("//", 1)[0] for line in self.body.splitlines())
        return frozenset(_PARAM.findall(_STRING.sub("''", code)))


def cypher_dir() -> Traversable:
    """The folder holding the ``.cypher`` files (packaged copy first, else the checkout's)."""
    packaged = resources.files("graphsvc") / "cypher"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "cypher"


def _header_list(header: str, label: str) -> list[str]:
    match = re.search(rf"^{label}:\s*(.*)$", header, re.MULTILINE | re.IGNORECASE)
    if not match:
        return []
    value = match.group(1).strip().rstrip(".")
    if value.lower() in {"none", "-", ""}:
        return []
    return [part.strip().lstrip("$").split(" ", 1)[0] for part in value.split(",") if part.strip()]


def _parse(name: str, text: str) -> QueryFile:
    lines = text.splitlines()
    header_lines: list[str] = []
    for line in lines:
        if not line.startswith("//"):
            break
        header_lines.append(line[2:].strip())
    header = "\n".join(header_lines)
    body = "\n".join(lines[len(header_lines) :]).strip()
    return QueryFile(
        name=name,
        header=header,
        body=body,
        declared_params=frozenset(_header_list(header, "Parameters")),
        result_columns=tuple(_header_list(header, "Result columns")),
    )


@cache
def _all_queries() -> dict[str, QueryFile]:
    folder = cypher_dir()
    found: dict[str, QueryFile] = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".cypher") and entry.name != "schema.cypher":
            name = entry.name.removesuffix(".cypher")
            found[name] = _parse(name, entry.read_text(encoding="utf-8"))
    return dict(sorted(found.items()))


@cache
def engine_queries() -> dict[str, QueryFile]:
    """The service's own queries, ``cypher/engine/<name>.cypher``, by name."""
    folder = cypher_dir() / "engine"
    found = {
        entry.name.removesuffix(".cypher"): _parse(
            entry.name.removesuffix(".cypher"), entry.read_text(encoding="utf-8")
        )
        for entry in folder.iterdir()
        if entry.name.endswith(".cypher")
    }
    return dict(sorted(found.items()))


def engine_query(name: str) -> str:
    """The body of ``cypher/engine/<name>.cypher`` (loaded once); ``KeyError`` if there is
    none: a missing file is a packaging bug, found at import."""
    return engine_queries()[name].body


@cache
def _table_parameters_by_body() -> dict[str, dict[str, object]]:
    table = query_parameters()
    return {
        query.body: {name: table[name] for name in query.used_params if name in table}
        for query in engine_queries().values()
    }


def table_parameters(query: str) -> dict[str, object]:
    """The statuses a service query (the body of a ``cypher/engine`` file) names as
    parameters, with their values from the transition table
    (``graphsvc.domain.transitions.query_parameters``); ``{}`` for any other text."""
    return _table_parameters_by_body().get(query, {})


def list_queries() -> list[QueryFile]:
    """Every named query (``schema.cypher`` excepted), sorted by name."""
    return list(_all_queries().values())


def load_query(name: str) -> QueryFile:
    """The query file ``cypher/<name>.cypher``; ``NotFoundError`` if there is none."""
    try:
        return _all_queries()[name]
    except KeyError:
        raise NotFoundError(
            f"no query named {name!r}; GET /v1/queries lists them",
            {"name": name},
        ) from None


def schema_statements() -> list[str]:
    """The statements of ``schema.cypher``, comments removed, in file order."""
    text = (cypher_dir() / "schema.cypher").read_text(encoding="utf-8")
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
    return [stmt.strip() for stmt in code.split(";") if stmt.strip()]
