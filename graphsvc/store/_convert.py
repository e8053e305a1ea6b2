"""Values between Python and Neo4j: temporal types to ``datetime``, JSON text to objects."""

from __future__ import annotations

import json
from typing import Any

from neo4j.time import Date, DateTime, Duration, Time

from graphsvc.domain.leases import SECRET_PROPERTIES

__all__ = ["JSON_PROPERTIES", "from_neo4j", "node_props", "to_json"]

# Structured payloads stored as JSON text (Neo4j properties cannot hold maps).
JSON_PROPERTIES = frozenset(
    {
        "inputs",
        "outputs",
        "changeset",
        "parameters",
        "variables",
        "constraints",
        "resources",
        "policies",
        "permissions",
        "detail",
        "old_value",
        "new_value",
        "impact_assessment",
    }
)


def from_neo4j(value: Any) -> Any:
    """Neo4j driver values to plain Python: temporal types become ``datetime`` and friends.
    Secrets (``SECRET_PROPERTIES``: lease token hashes) are dropped from every map, so no
    read, named query or event answers them."""
    if isinstance(value, (DateTime, Date, Time)):
        return value.to_native()
    if isinstance(value, Duration):
        return str(value)
    if isinstance(value, list):
        return [from_neo4j(v) for v in value]
    if isinstance(value, dict):
        return {k: from_neo4j(v) for k, v in value.items() if k not in SECRET_PROPERTIES}
    return value


def node_props(props: dict[str, Any]) -> dict[str, Any]:
    """A node's properties as a dict, with JSON-text payloads decoded."""
    out = from_neo4j(props)
    for key in JSON_PROPERTIES & out.keys():
        if isinstance(out[key], str):
            out[key] = json.loads(out[key])
    return dict(out)


def to_json(value: Any) -> str | None:
    """A payload as compact JSON text for a string property (None stays None)."""
    return None if value is None else json.dumps(value, separators=(",", ":"), sort_keys=True)
