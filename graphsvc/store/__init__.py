"""The store: the only code that talks to the driver, and it decides nothing.

It loads and runs the query files (``cypher/`` the public named queries,
``cypher/engine/`` the service's own), reads, writes plain records, keeps the event
and modification journal and takes locks, always with parameters (values never
become Cypher text; statuses come from the transition table, ``Tx``). What to
write, and when, is the engine's (``graphsvc.engine``).
"""

from graphsvc.store._db import Database, Neo4jTarget, Tx, resolve_target
from graphsvc.store._queries import QueryFile, cypher_dir, list_queries, load_query

__all__ = [
    "Database",
    "Neo4jTarget",
    "QueryFile",
    "Tx",
    "cypher_dir",
    "list_queries",
    "load_query",
    "resolve_target",
]
