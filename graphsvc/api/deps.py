"""Request dependencies as ``Annotated`` aliases: the database and the caller's role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from graphsvc._errors import AuthenticationFailed, PermissionDenied
from graphsvc.api.auth import LOCAL_PRINCIPAL, Principal, Role
from graphsvc.settings import Settings
from graphsvc.store import Database

__all__ = ["Admin", "Author", "Coordinator", "DbDep", "Reader", "SettingsDep", "Worker"]

_bearer = HTTPBearer(auto_error=False)
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


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
    if not keys:
        host = request.client.host if request.client else ""
        if host in _LOOPBACK:
            return LOCAL_PRINCIPAL
        raise AuthenticationFailed(
            "no API keys are configured, so this API answers only 127.0.0.1; set GRAPHSVC_API_KEYS"
        )
    if credentials is None:
        raise AuthenticationFailed("missing API key: send 'Authorization: Bearer <key>'")
    principal = keys.get(credentials.credentials)
    if principal is None:
        raise AuthenticationFailed("unknown API key")
    return principal


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
Coordinator = Annotated[Principal, Depends(_require(Role.COORDINATOR))]
Worker = Annotated[Principal, Depends(_require(Role.WORKER))]
# Records what people and agents said and concluded: coordinators and agents (workers).
Author = Annotated[Principal, Depends(_require(Role.COORDINATOR, Role.WORKER))]
Admin = Annotated[Principal, Depends(_require())]
