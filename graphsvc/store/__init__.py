"""The store: the only code that runs Cypher.

Every query graphsvc runs either lives in ``cypher/`` (the public, named
queries) or in a store module as a constant, always with parameters: values
never become Cypher text.
"""

from graphsvc.store._db import Database, Neo4jTarget, resolve_target
from graphsvc.store._queries import QueryFile, cypher_dir, list_queries, load_query

__all__ = [
    "Database",
    "Neo4jTarget",
    "QueryFile",
    "cypher_dir",
    "list_queries",
    "load_query",
    "resolve_target",
]
