"""Request dependencies as ``Annotated`` aliases: the database and the caller's role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from graphsvc._errors import PermissionDenied
from graphsvc.api.auth import Principal, Role, authenticate
from graphsvc.settings import Settings
from graphsvc.store import Database

__all__ = [
    "Admin",
    "Author",
    "Coordinator",
    "DbDep",
    "Reader",
    "SettingsDep",
    "Worker",
    "act_as",
]

_bearer = HTTPBearer(auto_error=False)


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    keys: dict[str, Principal] = request.app.state.api_keys
    return authenticate(keys, credentials.credentials if credentials else None)


def act_as(who: Principal, agent_id: str, field: str = "agent_id") -> None:
    """``PermissionDenied`` unless ``who`` may act as agent ``agent_id``: a worker key only
    as its own agent (DESIGN.md section 8), other keys as any. ``field`` names the body
    field in the message."""
    if who.agent is not None and agent_id != who.agent:
        raise PermissionDenied(
            f"{field} {agent_id!r}: this worker key acts only as agent {who.agent!r}",
            {"field": field, "agent_id": who.agent},
        )


def _require(*roles: Role) -> Callable[[Principal], Principal]:
    allowed = {Role.ADMIN, *roles}

    def check(principal: Annotated[Principal, Depends(_principal)]) -> Principal:
        if principal.role not in allowed:
            raise PermissionDenied(
                f"role {principal.role.value!r} may not do this; it needs one of "
                f"{', '.join(sorted(r.value for r in allowed))}"
            )
        return principal

    return check


DbDep = Annotated[Database, Depends(_db)]
SettingsDep = Annotated[Settings, Depends(_settings)]
Reader = Annotated[Principal, Depends(_require(Role.COORDINATOR, Role.WORKER, Role.VIEWER))]
# Any valid key, whatever its role (GET /metrics).
any_key = _require(Role.COORDINATOR, Role.WORKER, Role.VIEWER)
Coordinator = Annotated[Principal, Depends(_require(Role.COORDINATOR))]
Worker = Annotated[Principal, Depends(_require(Role.WORKER))]
# Records what people and agents said and concluded: coordinators and agents (workers).
Author = Annotated[Principal, Depends(_require(Role.COORDINATOR, Role.WORKER))]
Admin = Annotated[Principal, Depends(_require())]
