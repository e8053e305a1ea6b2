"""The local Neo4j: Browser over HTTP, Bolt, stop and a restart that keeps the data."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import neo4j
import pytest

from graphsvc import LocalDbError, localdb
from graphsvc.ids import new_id
from graphsvc.settings import Settings

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("NEO4J_URI")), reason="NEO4J_URI points at another Neo4j"
)


def _count(uri: str, password: str, node_id: str) -> int:
    with neo4j.GraphDatabase.driver(uri, auth=("neo4j", password)) as driver:
        records, _, _ = driver.execute_query(
            "MATCH (u:User {id: $id}) RETURN count(u) AS n", id=node_id, database_="neo4j"
        )
        return int(records[0]["n"])


def test_stop_then_start_reuses_the_data_and_serves_browser(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, local_heap_mb=512, local_pagecache_mb=64)
    info, started = localdb.start(settings, bolt_port=0, http_port=0)
    try:
        assert started
        assert (tmp_path / "password").stat().st_mode & 0o777 == 0o600
        response = httpx.get(info.browser_url, timeout=30)
        assert response.status_code == 200
        assert "<html" in response.text.lower()
        with (
            neo4j.GraphDatabase.driver(info.uri, auth=("neo4j", "wrong-password")) as driver,
            pytest.raises(neo4j.exceptions.AuthError),
        ):
            driver.verify_connectivity()
        node_id = new_id()
        with neo4j.GraphDatabase.driver(info.uri, auth=("neo4j", info.password)) as driver:
            driver.execute_query("CREATE (:User {id: $id})", id=node_id, database_="neo4j")
        again, started_again = localdb.start(settings, bolt_port=0, http_port=0)
        assert not started_again and again.pid == info.pid
    finally:
        assert localdb.stop(tmp_path)
    assert localdb.local_status(tmp_path) is None
    assert not localdb.stop(tmp_path)

    info2, started2 = localdb.start(settings, bolt_port=0, http_port=0)
    try:
        assert started2 and info2.password == info.password
        assert _count(info2.uri, info2.password, node_id) == 1
    finally:
        localdb.stop(tmp_path)


def test_a_busy_port_is_a_clear_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        busy = sock.getsockname()[1]
        with pytest.raises(LocalDbError, match=f"port {busy}.*in use"):
            localdb.start(Settings(data_dir=tmp_path), bolt_port=busy, http_port=0)
