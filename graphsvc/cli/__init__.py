"""The ``graphsvc`` command line (DESIGN.md section 6), one module per command group:
``db`` (the local Neo4j), ``serve`` and ``worker``, ``run`` and ``compile``, ``plan``,
``step``, ``query``, ``decide``, ``mcp``; ``graphsvc --version``. Every command but
``db`` works through the REST API (``--api`` / ``GRAPHSVC_API_URL``, or an API served in
this process when none is given), so roles and attribution apply alike; none opens
Neo4j itself.

Errors print as one line on stderr (``error: ...``), never a traceback; the exit code
is 1 for a failure and 2 for bad input.
"""

from __future__ import annotations

from graphsvc.cli import db, decide, mcp, plan, query, run, serve, step
from graphsvc.cli._app import app

__all__ = ["app", "main"]

_COMMANDS = (
    db,
    decide,
    mcp,
    plan,
    query,
    run,
    serve,
    step,
)  # imported for the commands they register


def main() -> None:
    """Entry point of the ``graphsvc`` console script."""
    app(prog_name="graphsvc")


if __name__ == "__main__":  # pragma: no cover
    main()
