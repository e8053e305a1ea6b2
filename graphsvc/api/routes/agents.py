"""Agents, their workload, their communications, and execution contexts."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from graphsvc._errors import Problem, ValidationFailed
from graphsvc.api._json import ParsedJsonRoute
from graphsvc.api.deps import Coordinator, DbDep, Reader, Worker, act_as
from graphsvc.domain.models import Created, RequestBody
from graphsvc.domain.states import AgentStatus
from graphsvc.store import agents

router = APIRouter(route_class=ParsedJsonRoute, prefix="/v1", tags=["agents"])


class AgentBody(RequestBody):
    id: str = Field(min_length=1, max_length=200)
    name: str | None = None
    capabilities: list[str] = Field(default_factory=list)
    status: AgentStatus = Field(default=AgentStatus.ACTIVE, strict=False)


class MessageType(StrEnum):
    REQUEST = "REQUEST"
    RESPONSE = "RESPONSE"
    NOTIFICATION = "NOTIFICATION"
    ESCALATION = "ESCALATION"


class CommPriority(StrEnum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    URGENT = "URGENT"


class CommunicationBody(RequestBody):
    from_agent_id: str = Field(min_length=1, max_length=200)
    to_agent_id: str = Field(min_length=1, max_length=200)
    message_type: MessageType = Field(strict=False)
    subject: str = Field(min_length=1)
    content: str = ""
    priority: CommPriority = Field(default=CommPriority.MEDIUM, strict=False)
    requires_action: bool = False
    plan_id: str | None = None
    step_id: str | None = None
    responds_to: str | None = Field(default=None, description="The communication answered.")


class CommStatus(StrEnum):
    RECEIVED = "RECEIVED"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    RESPONDED = "RESPONDED"


class CommState(StrEnum):
    SENT = "SENT"
    RECEIVED = "RECEIVED"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    RESPONDED = "RESPONDED"


class StatusBody(RequestBody):
    status: CommStatus = Field(strict=False)


class Environment(StrEnum):
    DEVELOPMENT = "DEVELOPMENT"
    STAGING = "STAGING"
    PRODUCTION = "PRODUCTION"


class ContextBody(RequestBody):
    environment: Environment = Field(strict=False)
    variables: dict[str, Any] = Field(default_factory=dict)
    constraints: dict[str, Any] = Field(default_factory=dict)
    resources: dict[str, Any] = Field(default_factory=dict)
    policies: dict[str, Any] = Field(default_factory=dict)
    permissions: dict[str, Any] = Field(default_factory=dict)


class WhoAmI(BaseModel):
    principal: str = Field(description="Who the key acts as in the audit trail.")
    role: str
    agent_id: str | None = Field(
        description="The one agent a worker key acts as; null for keys that may act as any."
    )


@router.get("/whoami", response_model=WhoAmI)
def whoami(who: Reader) -> WhoAmI:
    """The caller's key: its principal, role and, for a worker key, the agent it is bound
    to (a worker started with that key claims as that agent by default)."""
    return WhoAmI(principal=who.name, role=who.role.value, agent_id=who.agent)


@router.post("/agents", response_model=Created, status_code=201)
def register_agent(body: AgentBody, db: DbDep, who: Worker) -> Created:
    """Create or update an agent with exactly these capabilities (``HAS_CAPABILITY``);
    steps that require a capability go only to agents that have it. A worker key
    registers only its own agent (403 otherwise)."""
    act_as(who, body.id, "id")
    agents.register_agent(db, body.id, body.name, body.capabilities, body.status.value)
    return Created(id=body.id)


@router.get("/agents/{agent_id}/workload")
def get_agent_workload(agent_id: str, db: DbDep, _: Reader) -> dict[str, Any]:
    """What the agent holds now, what is reserved for it and what it has done. 404 if
    unknown."""
    return agents.workload(db, agent_id)


@router.post("/communications", response_model=Created, status_code=201)
def send_communication(body: CommunicationBody, db: DbDep, who: Worker) -> Created:
    """A message between agents (``SENDS``/``RECEIVES``), about a plan or step, maybe
    answering another (which becomes RESPONDED). 422 names unknown ids; 403 when a
    worker key sends as another agent than its own."""
    act_as(who, body.from_agent_id, "from_agent_id")
    return Created(id=agents.send_communication(db, body.model_dump(mode="json"), who.agent))


@router.get("/communications")
def list_communications(
    db: DbDep,
    who: Worker,
    to_agent_id: Annotated[
        str | None, Query(description="The receiver; a worker key's own agent by default.")
    ] = None,
    status: Annotated[
        CommState | None, Query(description="SENT (unread), RECEIVED, ACKNOWLEDGED, ...")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> list[dict[str, Any]]:
    """The communications sent to an agent, unread (SENT) first, then newest first, each
    with its sender, plan, step and the communication it answers. A worker key reads
    only its own agent's (403 for another); other keys name ``to_agent_id`` (422
    without one)."""
    receiver = to_agent_id or who.agent
    if receiver is None:
        raise ValidationFailed([Problem("to_agent_id", "name the agent whose messages to list")])
    act_as(who, receiver, "to_agent_id")
    return agents.list_communications(
        db, receiver, status.value if status is not None else None, limit
    )


@router.post("/communications/{comm_id}/status", response_model=StatusBody)
def set_communication_status(comm_id: str, body: StatusBody, db: DbDep, who: Worker) -> StatusBody:
    """Move a communication forward: SENT -> RECEIVED -> ACKNOWLEDGED -> RESPONDED
    (409 backwards). A worker key only for communications sent to its agent (403)."""
    agents.set_communication_status(db, comm_id, body.status.value, who.agent)
    return body


@router.post("/plans/{plan_id}/contexts", response_model=Created, status_code=201)
def create_context(plan_id: str, body: ContextBody, db: DbDep, _: Coordinator) -> Created:
    """The plan's new active ``ExecutionContext`` (``EXECUTES_IN``); claims of its steps
    carry it. 404 for an unknown plan."""
    return Created(id=agents.create_context(db, plan_id, body.model_dump(mode="json")))
