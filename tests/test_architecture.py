"""What each package may import (README, "Architecture"; issue 19), read from the source
with ``ast``: the store decides nothing and so never reaches up into the engine, the
domain does no I/O, and no CLI module touches the driver."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "graphsvc"

# package -> prefixes of the modules it must not import
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "domain": ("neo4j", "graphsvc.store", "graphsvc.engine", "graphsvc.api", "httpx"),
    "store": ("graphsvc.engine", "graphsvc.api", "graphsvc.cli", "graphsvc.worker"),
    "engine": ("neo4j", "graphsvc.api", "graphsvc.cli", "graphsvc.worker"),
    "cli": ("neo4j", "graphsvc.store", "graphsvc.engine"),
    "worker": ("neo4j", "graphsvc.store", "graphsvc.engine", "graphsvc.api"),
    "mcp": ("neo4j", "graphsvc.store", "graphsvc.engine", "graphsvc.api"),
}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_each_package_imports_only_what_it_may(package: str) -> None:
    bad = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in sorted((PACKAGE / package).rglob("*.py"))
        for name in sorted(_imports(path))
        if any(name == p or name.startswith(p + ".") for p in FORBIDDEN[package])
    ]
    assert bad == []


def test_the_engine_holds_the_orchestration_and_the_store_none() -> None:
    engine = {p.stem for p in (PACKAGE / "engine").glob("*.py")}
    assert {"work", "progress", "family", "children", "gates", "decisions"} <= engine
    assert {"lifecycle", "changes", "reconcile", "sweeper", "plans"} <= engine
    store = {p.stem for p in (PACKAGE / "store").glob("*.py")}
    assert store.isdisjoint(engine - {"plans", "__init__"})
