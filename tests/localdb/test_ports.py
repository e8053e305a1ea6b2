"""The local Neo4j's ports, without starting it (issue 31, item 4)."""

from __future__ import annotations

import socket

import pytest

from graphsvc import LocalDbError
from graphsvc.localdb._server import choose_port


def test_a_default_port_in_use_gives_way_to_a_free_one() -> None:
    """Issue 31, item 4: where another Neo4j holds 7687 (a default port), the local one
    takes a free port and says so; a port asked for that is in use stays an error."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        busy = sock.getsockname()[1]
        other = choose_port(busy, explicit=False, what="Bolt")
        assert other != busy and other > 0
        with pytest.raises(LocalDbError, match=f"port {busy}.*in use.*--bolt-port"):
            choose_port(busy, explicit=True, what="Bolt")
    assert choose_port(0, explicit=True, what="HTTP") > 0
