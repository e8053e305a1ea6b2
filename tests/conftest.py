"""Test fixtures: one real Neo4j for the whole run (DESIGN.md section 6).

``NEO4J_URI`` when set; else a testcontainers Neo4j when a Docker engine
answers; else graphsvc's local Neo4j on free ports with a throw-away data
folder, stopped at the end. Tests isolate their data by the ids they create,
so they run in any order against a shared database.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from graphsvc.api.app import create_app
from graphsvc.cli._local_api import LocalApi
from graphsvc.settings import Settings
from graphsvc.store import Database, Neo4jTarget
from tests.helpers import KEYS, end_live_plans


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked ``last`` run after all others: they check what the suite wrote."""
    items.sort(key=lambda item: item.get_closest_marker("last") is not None)


def _docker_answers() -> bool:
    try:
        import docker
        from docker.errors import DockerException
    except ImportError:
        return False
    try:
        docker.from_env(timeout=3).ping()
    except (DockerException, OSError):
        return False
    return True


@pytest.fixture(scope="session")
def neo4j_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Neo4jTarget]:
    """Where the test Neo4j is; ``target.uri`` answers Bolt."""
    if os.environ.get("NEO4J_URI"):
        settings = Settings()
        yield Neo4jTarget(
            settings.neo4j_uri or "",
            settings.neo4j_user,
            settings.neo4j_password,
            settings.neo4j_database,
        )
        return
    if _docker_answers():
        from testcontainers.community.neo4j import Neo4jContainer

        with Neo4jContainer("neo4j:5.26-community", password="graphsvc-tests") as container:
            yield Neo4jTarget(container.get_connection_url(), "neo4j", "graphsvc-tests")
        return
    from graphsvc import localdb

    data_dir: Path = tmp_path_factory.mktemp("neo4j")
    settings = Settings(data_dir=data_dir, local_heap_mb=1024, local_pagecache_mb=256)
    info, _ = localdb.start(settings, bolt_port=0, http_port=0)
    try:
        yield Neo4jTarget(info.uri, info.user, info.password)
    finally:
        localdb.stop(data_dir)


@pytest.fixture(scope="session")
def db(neo4j_target: Neo4jTarget) -> Iterator[Database]:
    """A ``Database`` on the test Neo4j with the schema applied."""
    database = Database(neo4j_target)
    database.apply_schema()
    try:
        yield database
    finally:
        database.close()


@pytest.fixture(scope="session")
def live_api(db: Database) -> Iterator[str]:
    """The API served by uvicorn on a loopback port (for worker processes); its base URL."""
    settings = Settings(api_keys=",".join(f"{k}:{r}:{r}-user" for r, k in KEYS.items()))
    with LocalApi(settings, db) as api:
        yield api.url


@pytest.fixture(scope="session")
def client(db: Database) -> Iterator[TestClient]:
    """A TestClient of the API on the test Neo4j, with one key per role (tests.helpers)."""
    settings = Settings(api_keys=",".join(f"{k}:{r}:{r}-user" for r, k in KEYS.items()))
    with TestClient(create_app(settings, db=db)) as test_client:
        yield test_client


# Fixtures through which a test reaches the graph.
_GRAPH_FIXTURES = frozenset({"db", "client", "live_api"})


@pytest.fixture(autouse=True)
def isolated(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test that reaches the graph starts with no live plan of another test: before
    it, every plan left running or in DRAFT is cancelled (``end_live_plans``), so no
    READY step of an earlier test (or an earlier run on the same database) is there
    for its claims. Tests without Neo4j pay nothing. The test database must be one of
    its own (``NEO4J_URI``): its live plans are cancelled."""
    if not _GRAPH_FIXTURES.isdisjoint(request.fixturenames):
        end_live_plans(request.getfixturevalue("db"))
    yield
