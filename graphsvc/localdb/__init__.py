"""The local Neo4j: Neo4j 5.26 Community from Maven Central as a JVM child process.

Used whenever ``NEO4J_URI`` is not set. Needs only Java 17 and Maven.
"""

from graphsvc.localdb._build import build_launcher
from graphsvc.localdb._server import LocalNeo4j, free_port, local_status, start, stop

__all__ = ["LocalNeo4j", "build_launcher", "free_port", "local_status", "start", "stop"]
