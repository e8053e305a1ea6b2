"""Agents, their capabilities and workload; agent communications; execution contexts
(DESIGN.md section 1)."""

from __future__ import annotations

from typing import Any

from graphsvc._errors import ConflictError, NotFoundError, PermissionDenied, ValidationFailed
from graphsvc.ids import new_id
from graphsvc.store._convert import from_neo4j, node_props, to_json
from graphsvc.store._db import Database, Tx
from graphsvc.store._exists import missing_ids
from graphsvc.store._queries import engine_query, load_query

__all__ = [
    "COMMUNICATION_STATUSES",
    "create_context",
    "list_communications",
    "mark_inactive",
    "register_agent",
    "send_communication",
    "set_communication_status",
    "workload",
]

COMMUNICATION_STATUSES = ("SENT", "RECEIVED", "ACKNOWLEDGED", "RESPONDED")

_REGISTER = engine_query("register_agent")
_INACTIVE = engine_query("mark_agents_inactive")
_SEND = engine_query("send_communication")
_STATUS = engine_query("lock_communication")
_CONTEXT = engine_query("create_context")
_LIST_COMMUNICATIONS = engine_query("list_communications")


def register_agent(
    db: Database,
    agent_id: str,
    name: str | None = None,
    capabilities: list[str] | None = None,
    status: str = "ACTIVE",
) -> None:
    """Create or update an agent with exactly these capabilities (``HAS_CAPABILITY``)."""
    caps = [{"name": c, "id": new_id()} for c in sorted(set(capabilities or []))]
    db.write(
        lambda tx: tx.run(
            _REGISTER, id=agent_id, name=name, status=status, capabilities=caps
        ).consume()
    )


def workload(db: Database, agent_id: str) -> dict[str, Any]:
    """``cypher/get_agent_workload.cypher``: what the agent holds, has reserved and has
    done. ``NotFoundError`` for an unknown agent."""
    query = load_query("get_agent_workload").body
    record = db.read(lambda tx: tx.run(query, agent_id=agent_id).single())
    if record is None:
        raise NotFoundError(f"no agent with id {agent_id!r}", {"agent_id": agent_id})
    return {k: node_props(v) if isinstance(v, dict) else from_neo4j(v) for k, v in record.items()}


def mark_inactive(db: Database, seconds: float) -> int:
    """Agents not seen for ``seconds`` become INACTIVE; returns how many."""
    return int(db.write(lambda tx: tx.run(_INACTIVE, seconds=seconds).single(strict=True)["n"]))


def send_communication(db: Database, body: dict[str, Any], agent: str | None = None) -> str:
    """Record a message between agents: ``{from_agent_id, to_agent_id, message_type,
    subject, content, priority, requires_action, plan_id?, step_id?, responds_to?}``.
    SENT; a reply marks the message it answers RESPONDED. Returns its id.
    ``ValidationFailed`` names each unknown id (nothing written); ``PermissionDenied``
    when ``agent`` (the one agent the caller may act as) answers a message that was not
    sent to it."""
    comm_id = new_id()

    def work(tx: Tx) -> str:
        if agent is not None and body.get("responds_to"):
            answered = tx.run(_STATUS, id=body["responds_to"]).single()
            if answered is not None and answered["receiver"] != agent:
                raise PermissionDenied(
                    f"communication {body['responds_to']} was not sent to agent {agent!r}",
                    {"responds_to": body["responds_to"]},
                )
        missing = missing_ids(
            tx,
            {
                "from_agent_id": ("Agent", body["from_agent_id"]),
                "to_agent_id": ("Agent", body["to_agent_id"]),
                "plan_id": ("ExecutionPlan", body.get("plan_id")),
                "step_id": ("ExecutionStep", body.get("step_id")),
                "responds_to": ("AgentCommunication", body.get("responds_to")),
            },
        )
        if missing:
            raise ValidationFailed(missing)
        tx.run(
            _SEND,
            id=comm_id,
            from_id=body["from_agent_id"],
            to_id=body["to_agent_id"],
            message_type=body["message_type"],
            subject=body["subject"],
            content=body["content"],
            priority=body["priority"],
            requires_action=body.get("requires_action", False),
            plan_id=body.get("plan_id"),
            step_id=body.get("step_id"),
            responds_to=body.get("responds_to"),
        ).consume()
        return comm_id

    return db.write(work)


def set_communication_status(
    db: Database, comm_id: str, status: str, agent: str | None = None
) -> str:
    """Move a communication forward: SENT -> RECEIVED -> ACKNOWLEDGED -> RESPONDED.
    ``ConflictError`` for a step backwards, ``NotFoundError`` for an unknown id,
    ``PermissionDenied`` when ``agent`` (the one agent the caller may act as) is not
    its receiver."""

    def work(tx: Tx) -> str:
        record = tx.run(_STATUS, id=comm_id).single()
        if record is None:
            raise NotFoundError(f"no communication with id {comm_id!r}", {"id": comm_id})
        if agent is not None and record["receiver"] != agent:
            raise PermissionDenied(
                f"communication {comm_id} was not sent to agent {agent!r}", {"id": comm_id}
            )
        current = record["status"]
        if COMMUNICATION_STATUSES.index(status) <= COMMUNICATION_STATUSES.index(current):
            raise ConflictError(
                f"a communication that is {current} cannot become {status}",
                {"id": comm_id, "status": current},
            )
        tx.run(
            engine_query("set_communication_status"),
            id=comm_id,
            status=status,
        ).consume()
        return status

    return db.write(work)


def list_communications(
    db: Database, to_agent_id: str, status: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """The communications sent to ``to_agent_id``, unread (SENT) first, then newest first:
    ``{id, message_type, subject, content, priority, status, timestamp, requires_action,
    from_agent, to_agent, plan_id, step_id, responds_to}``; ``status`` filters."""
    rows = db.read(
        lambda tx: tx.run(
            _LIST_COMMUNICATIONS, to_agent_id=to_agent_id, status=status, limit=limit
        ).data()
    )
    return [node_props(r["communication"]) for r in rows]


def create_context(db: Database, plan_id: str, body: dict[str, Any]) -> str:
    """The plan's new active ``ExecutionContext`` (``EXECUTES_IN``; the previous one
    becomes inactive): ``environment`` and JSON ``variables``, ``constraints``,
    ``resources``, ``policies``, ``permissions``. Returns its id."""
    context_id = new_id()

    def work(tx: Tx) -> str:
        payloads: dict[str, Any] = {
            k: to_json(body.get(k) or {})
            for k in ("variables", "constraints", "resources", "policies", "permissions")
        }
        record = tx.run(
            _CONTEXT, plan_id=plan_id, id=context_id, environment=body["environment"], **payloads
        ).single()
        if record is None:
            raise NotFoundError(f"no plan with id {plan_id!r}", {"plan_id": plan_id})
        return context_id

    return db.write(work)
