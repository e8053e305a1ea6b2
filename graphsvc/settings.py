"""Configuration, read from the environment by pydantic-settings.

Neo4j's own variables keep their usual names (``NEO4J_URI``, ``NEO4J_USER``,
``NEO4J_PASSWORD``, ``NEO4J_DATABASE``); everything else graphsvc reads starts
with ``GRAPHSVC_`` (``GRAPHSVC_API_KEYS``, ``GRAPHSVC_DATA_DIR``, ...).
Without ``NEO4J_URI`` graphsvc uses its local Neo4j (``graphsvc.localdb``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "default_data_dir", "default_heap_mb"]

_MIB = 1024 * 1024


def default_heap_mb() -> int:
    """The local Neo4j's heap when not set: an eighth of this machine's memory, at least
    1,024 and at most 4,096 MiB (1,024 where the memory cannot be read). A transaction
    may use 70 % of the heap (Neo4j's ``dbms.memory.transaction.total.max``); creating
    a 100,000-step plan in one needs more than the 717 MiB a 1 GiB heap gives."""
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return 1024
    return max(1024, min(4096, total // _MIB // 8))


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/graphsvc`` or ``~/.local/share/graphsvc``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "graphsvc"


class Settings(BaseSettings):
    """Every setting graphsvc reads, with its environment variable and default."""

    model_config = SettingsConfigDict(env_prefix="GRAPHSVC_", extra="ignore")

    neo4j_uri: str | None = Field(
        default=None,
        validation_alias=AliasChoices("NEO4J_URI", "neo4j_uri"),
        description="Bolt URI of an existing Neo4j 5; unset = the local Neo4j.",
    )
    neo4j_user: str = Field(
        default="neo4j", validation_alias=AliasChoices("NEO4J_USER", "neo4j_user")
    )
    neo4j_password: str | None = Field(
        default=None, validation_alias=AliasChoices("NEO4J_PASSWORD", "neo4j_password")
    )
    neo4j_database: str = Field(
        default="neo4j", validation_alias=AliasChoices("NEO4J_DATABASE", "neo4j_database")
    )

    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Where the local Neo4j keeps its store, password, pid and log.",
    )
    cache_dir: Path = Field(
        default_factory=lambda: Path.home() / ".cache" / "graphsvc",
        description="Where the local Neo4j launcher is built (jars and classes).",
    )
    local_bolt_port: int = Field(default=7687, ge=0, le=65535)
    local_http_port: int = Field(default=7474, ge=0, le=65535)
    local_heap_mb: int = Field(default_factory=default_heap_mb, ge=256, description="MiB.")
    local_pagecache_mb: int = Field(default=512, ge=32)
    local_start_timeout: float = Field(default=180.0, gt=0, description="Seconds.")

    api_keys: str = Field(
        default="",
        description="Comma-separated key:role[:principal]; roles admin/coordinator/worker/viewer. "
        "Unset: one admin key generated in the data folder (graphsvc.localkey).",
    )
    api_key: str | None = Field(
        default=None,
        description="The key CLI commands send (GRAPHSVC_API_KEY); unset: the local key.",
    )
    cors_origins: str = Field(
        default="",
        description="Comma-separated origins a browser may call the API from; empty: none.",
    )
    max_body_bytes: int = Field(
        default=16 * _MIB, ge=1024, le=1024 * _MIB, description="Largest request body (413)."
    )
    db_timeout: float = Field(
        default=10.0,
        gt=0,
        le=600,
        description="Seconds a request waits for an unreachable Neo4j before a 503.",
    )
    sweep_interval: float = Field(default=1.0, gt=0, description="Seconds between lease sweeps.")
    reconcile_on_start: bool = Field(
        default=True, description="Repair readiness drift of live plans when the API starts."
    )
    agent_inactive_after: float = Field(
        default=300.0, gt=0, description="Seconds unseen before an agent is INACTIVE."
    )
    tree_max_depth: int = Field(
        default=10, ge=1, le=100, description="Deepest status tree GET /v1/plans/{id}/tree gives."
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=0, le=65535)
    log_format: Literal["text", "json"] = Field(
        default="text", description="Logs as readable text, or as JSON lines (json)."
    )
