"""graphsvc for LLM agents over the Model Context Protocol (``graphsvc mcp``)."""

from graphsvc.mcp.server import TOOLS_BY_ROLE, build_server

__all__ = ["TOOLS_BY_ROLE", "build_server"]
