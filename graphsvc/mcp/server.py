"""The MCP server for LLM agents (issue 20): graphsvc's operations as MCP tools, built with
the official Python SDK (``mcp``, its ``MCPServer``, formerly FastMCP).

The server is a client of the REST API with one API key, so roles, attribution and
every rule of the API apply; it offers only the tools its key's role allows
(``GET /v1/whoami``): viewers read, workers also claim and report, coordinators also
create and change plans and decide; an admin key gets them all. It holds the leases
of the steps it claimed and heartbeats them itself, so worker tools take step ids,
never lease tokens, and a step whose work takes longer than its lease keeps it.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import logging
import time
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations

from graphsvc import __version__
from graphsvc._errors import (
    ConflictError,
    GraphsvcError,
    NotFoundError,
)
from graphsvc.mcp._leases import Leases, SessionLeases
from graphsvc.mcp._results import (
    MAX_ITEMS,
    compact_json,
    compact_plan,
    cut_texts,
    page,
    refusal_text,
)
from graphsvc.worker.client import ApiClient

__all__ = [
    "AGENT_KINDS",
    "TOOLS_BY_ROLE",
    "Leases",
    "SessionLeases",
    "build_server",
    "compact_json",
    "refusal_text",
    "tool_annotations",
]

# What an LLM agent claims unless it asks for other kinds: the kinds whose work is an
# agent's, not a built-in worker's (command, noop, subplan).
AGENT_KINDS = ("task", "synthesize", "planner")

log = logging.getLogger("graphsvc.mcp")

VIEWER_TOOLS = (
    "list_plans",
    "get_plan",
    "get_step",
    "get_status_tree",
    "get_audit",
    "list_decisions",
    "list_modifications",
    "wait_for_steps",
    "list_queries",
    "run_query",
)
WORKER_TOOLS = (
    "claim_steps",
    "release_step",
    "heartbeat_step",
    "complete_step",
    "fail_step",
    "spawn_child_plans",
    "send_communication",
    "list_communications",
    "mark_communication",
    "respond_to_communication",
)
COORDINATOR_TOOLS = (
    "create_plan",
    "start_plan",
    "pause_plan",
    "resume_plan",
    "cancel_plan",
    "add_steps",
    "remove_step",
    "replan_plan",
    "update_step",
    "add_dependency",
    "remove_dependency",
    "cancel_step",
    "skip_step",
    "retry_step",
    "decide",
    "provide_input",
)
# Tool annotations (MCP specification, 2025-06-18, "Tool annotations"): hints a client
# shows its user or acts on, never guarantees.
DESTRUCTIVE_TOOLS = frozenset(
    {"cancel_plan", "cancel_step", "skip_step", "remove_step", "replan_plan"}
)
# A repeat with the same arguments changes nothing more (a repeated completion answers as
# the first did; a repeated cancel is refused and changes nothing).
IDEMPOTENT_TOOLS = frozenset(
    {
        "heartbeat_step",
        "complete_step",
        "update_step",
        "remove_dependency",
        "cancel_step",
        "skip_step",
        "cancel_plan",
        "pause_plan",
        "resume_plan",
        "remove_step",
        "mark_communication",
    }
)
# wait_for_steps blocks at most this long (seconds).
MAX_WAIT_SECONDS = 60.0
# Worker tools about a step this server holds a lease on.
LEASED_STEP_TOOLS = frozenset(
    {"release_step", "heartbeat_step", "complete_step", "fail_step", "spawn_child_plans"}
)
TOOLS_BY_ROLE: dict[str, tuple[str, ...]] = {
    "viewer": VIEWER_TOOLS,
    "worker": VIEWER_TOOLS + WORKER_TOOLS,
    "coordinator": VIEWER_TOOLS + COORDINATOR_TOOLS,
    "admin": VIEWER_TOOLS + WORKER_TOOLS + COORDINATOR_TOOLS,
}


def tool_annotations(name: str) -> ToolAnnotations:
    """The MCP annotations of the tool ``name``: viewer tools and list_communications read
    only; cancel, skip, remove and replan destroy work; see ``IDEMPOTENT_TOOLS``. None
    reaches outside graphsvc."""
    read_only = name in VIEWER_TOOLS or name == "list_communications"
    return ToolAnnotations(
        readOnlyHint=read_only,
        destructiveHint=None if read_only else name in DESTRUCTIVE_TOOLS,
        idempotentHint=True if read_only else name in IDEMPOTENT_TOOLS,
        openWorldHint=False,
    )


def _claimed_view(step: dict[str, Any]) -> dict[str, Any]:
    """A claimed step as the agent sees it: everything but the lease token."""
    return {k: v for k, v in step.items() if k != "lease_token"}


# The header that names a streamable HTTP request's MCP session. The SDK checks that a
# handshake-era session exists and belongs to the key that opened it; a client of the
# 2026 era names its own: either way leases are kept per key (``api._mcp``), so a session
# id reaches only leases its own key claimed.
SESSION_HEADER = "mcp-session-id"

# The leases of the session of the tool call running in this thread (``build_server``).
_session_leases: contextvars.ContextVar[Leases] = contextvars.ContextVar("session_leases")


def build_server(
    client: ApiClient,
    role: str,
    principal: str,
    agent_id: str | None,
    sessions: SessionLeases | None = None,
) -> MCPServer:
    """An MCP server whose tools call the API through ``client`` (one key of ``role``, with
    ``principal`` and, for a worker key, its ``agent_id``), offering only the tools of
    ``TOOLS_BY_ROLE[role]``. The leases its tools claim belong to the calling MCP session
    (``sessions``, by ``Mcp-Session-Id``; stdio has one session) and are heartbeated by a
    daemon thread; whoever runs the server ends the sessions (``SessionLeases.end``)."""
    server: MCPServer = MCPServer(
        "graphsvc",
        version=__version__,
        instructions=(
            "graphsvc runs plans of steps for AI agents. Read plans with list_plans, "
            "get_plan and get_status_tree; as a worker claim_steps, do the work, then "
            "complete_step or fail_step by step id (this server keeps your lease alive); "
            "as a coordinator change a running plan (add_steps, add_dependency, "
            "remove_dependency, cancel_step, skip_step, retry_step), each with a reason. "
            "A refused call says why, with the API's error code: read it and correct course."
        ),
    )
    sessions = sessions or SessionLeases(client)

    def leases() -> Leases:
        return _session_leases.get()

    allowed = set(TOOLS_BY_ROLE.get(role, VIEWER_TOOLS))
    me = agent_id or principal  # the agent that claims: a worker key's own, else the principal
    # Changes are attributed by the API to the key's principal, or to a worker key's agent.
    by: dict[str, str] = {"agent_id": agent_id} if agent_id else {}

    def tool(fn: Any) -> Any:
        """Offer ``fn`` as a tool if the key's role allows it: its docstring as the
        description, its result as compact JSON, a refusal of the API as the result's
        text with ``isError`` (``refusal_text``; no traceback: not a crash)."""
        name = fn.__name__
        if name not in allowed:
            return fn

        @functools.wraps(fn)
        def guarded(*args: Any, mcp_context: Context, **kwargs: Any) -> str:
            session_id = (mcp_context.headers or {}).get(SESSION_HEADER)
            held = _session_leases.set(sessions.of(session_id))
            try:
                return compact_json(fn(*args, **kwargs))
            except GraphsvcError as exc:
                step_id = kwargs.get("step_id")
                if step_id and name in LEASED_STEP_TOOLS and isinstance(exc, ConflictError):
                    leases().forget(step_id, exc.message)
                raise ToolError(
                    refusal_text(exc, name, step_id, name in LEASED_STEP_TOOLS)
                ) from None
            finally:
                _session_leases.reset(held)

        # The SDK hands the call's context to the parameter annotated ``Context``.
        signature = inspect.signature(fn, eval_str=True)
        context = inspect.Parameter(
            "mcp_context", inspect.Parameter.KEYWORD_ONLY, annotation=Context
        )
        guarded.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[*signature.parameters.values(), context], return_annotation=str
        )
        guarded.__annotations__ = {
            **{n: p.annotation for n, p in signature.parameters.items()},
            "mcp_context": Context,
            "return": str,
        }
        server.tool(
            description=inspect.cleandoc(fn.__doc__ or name),
            annotations=tool_annotations(name),
            structured_output=False,
        )(guarded)
        return fn

    def call(method: str, path: str, **kwargs: Any) -> Any:
        return client.call(method, path, **kwargs)

    # Viewer tools.
    @tool
    def list_plans(root_only: bool = True, status: str | None = None, limit: int = 50) -> Any:
        """Plans newest first with status and progress; root plans only unless root_only is
        false; status filters (DRAFT, EXECUTING, COMPLETED, FAILED, ...)."""
        params: dict[str, Any] = {"root_only": root_only, "limit": limit}
        if status:
            params["status"] = status
        return {"plans": call("GET", "/v1/plans", params=params)}

    def plan_view(plan_id: str, step_status: str | None = None) -> dict[str, Any]:
        # Its first page of steps; with step_status, every page (the API does not filter).
        plan = client.get_plan(plan_id, all_steps=step_status is not None)
        return compact_plan(plan.model_dump(mode="json"), step_status)

    def tree_view(plan_id: str, depth: int = 3) -> dict[str, Any]:
        tree = call("GET", f"/v1/plans/{quote(plan_id)}/tree", params={"depth": depth})
        return cut_texts(tree, "get_step with full=true")  # type: ignore[no-any-return]

    @tool
    def get_plan(plan_id: str, step_status: str | None = None) -> Any:
        """A plan's status, progress and steps (id, key, status, name; up to 100, those of
        step_status only if given, e.g. READY or FAILED); read one step with get_step."""
        return plan_view(plan_id, step_status)

    @tool
    def get_step(step_id: str, full: bool = False) -> Any:
        """A step with its inputs, outputs, dependencies, dependents, child plans and
        events; texts over 2000 characters are cut unless full is true."""
        step = call("GET", f"/v1/steps/{quote(step_id)}")
        return step if full else cut_texts(step, "get_step with full=true")

    @tool
    def get_status_tree(plan_id: str, depth: int = 3) -> Any:
        """The status tree of a plan and the child plans its steps spawned, to depth."""
        return tree_view(plan_id, depth)

    @tool
    def get_audit(plan_id: str, after: str | None = None) -> Any:
        """A plan's audit trail in time order: who asked, decisions and approvals, every
        change with its reason, every transition with its actor; 100 entries after the
        cursor ``after`` (from the start without one)."""
        params: dict[str, Any] = {"limit": MAX_ITEMS}
        if after:
            params["after"] = after
        rows, following = client.page(f"/v1/plans/{quote(plan_id)}/audit", **params)
        result: dict[str, Any] = {"audit": cut_texts(rows, "get_audit")}
        if following:
            cursor = parse_qs(urlsplit(following).query)["after"][0]
            result["note"] = f"more: call get_audit with after={cursor!r}"
        return result

    @tool
    def list_decisions(
        status: str | None = "PENDING",
        plan_id: str | None = None,
        type: str | None = None,
    ) -> Any:
        """Decisions newest first (PENDING ones unless status says otherwise, null for
        all), of one plan and its steps if plan_id is given, of one type (APPROVAL,
        EXECUTE, MODIFY_PLAN, CLARIFY, ESCALATE) if type is: id, type, action, status,
        plan_id, step_id. Answer one with decide."""
        params = {"status": status, "plan_id": plan_id, "type": type, "limit": MAX_ITEMS}
        found = call("GET", "/v1/decisions", params={k: v for k, v in params.items() if v})
        return {"decisions": cut_texts(found, "the REST API")}

    @tool
    def list_modifications(plan_id: str, status: str | None = None) -> Any:
        """The changes made to a plan while it ran, newest first (REQUESTED ones await
        approval; APPLIED, REJECTED): type, step, reason, who asked and who approved."""
        params = {"status": status} if status else {}
        found = call("GET", f"/v1/plans/{quote(plan_id)}/modifications", params=params)
        return page(found, 0, "modifications", "list_modifications")

    @tool
    def wait_for_steps(step_ids: list[str], timeout_seconds: float = 30.0) -> Any:
        """Block until one of these steps changes status (at most timeout_seconds, 60 at
        most): e.g. wait for a step you depend on to become READY or COMPLETED. Answers
        every step's status now and which changed ("changed", empty after a timeout)."""
        deadline = time.monotonic() + min(max(timeout_seconds, 0.0), MAX_WAIT_SECONDS)
        steps = {sid: call("GET", f"/v1/steps/{quote(sid)}") for sid in dict.fromkeys(step_ids)}
        status = {sid: d["step"]["status"] for sid, d in steps.items()}
        first = dict(status)
        cursors: dict[str, int] = {}
        for detail in steps.values():
            plan = detail["plan_id"]
            seqs = [e["seq"] for e in detail.get("events", [])]
            cursors[plan] = min(cursors.get(plan, 1 << 62), max(seqs, default=0))
        watched = set(status)
        while time.monotonic() < deadline:
            moved: set[str] = set()
            for plan, after in list(cursors.items()):
                events = call("GET", f"/v1/plans/{quote(plan)}/events", params={"after": after})
                if events:
                    cursors[plan] = events[-1]["seq"]
                moved |= {e["step_id"] for e in events if e.get("step_id") in watched}
            for sid in moved:
                status[sid] = call("GET", f"/v1/steps/{quote(sid)}")["step"]["status"]
            # Only a status other than the one seen at the start counts (the events read
            # may be older ones of a step, when several are watched).
            changed = sorted(sid for sid in moved if status[sid] != first[sid])
            if changed:
                return {"steps": status, "changed": changed}
            time.sleep(0.25)
        return {"steps": status, "changed": []}

    # Plans and their trees are resources too.
    @server.resource(
        "graphsvc://plans/{plan_id}",
        name="plan",
        description="A plan: status, progress and its steps (id, key, status, name).",
        mime_type="application/json",
    )
    def plan_resource(plan_id: str) -> dict[str, Any]:
        return plan_view(plan_id)

    @server.resource(
        "graphsvc://plans/{plan_id}/tree",
        name="plan_tree",
        description="The status tree of a plan and its child plans.",
        mime_type="application/json",
    )
    def tree_resource(plan_id: str) -> dict[str, Any]:
        return tree_view(plan_id)

    @tool
    def list_queries() -> Any:
        """The named read-only Cypher queries, with their parameters and result columns."""
        return {"queries": call("GET", "/v1/queries")}

    @tool
    def run_query(name: str, parameters: dict[str, Any] | None = None, offset: int = 0) -> Any:
        """Run a named read-only query (see list_queries) with its parameters; 100 rows
        from offset."""
        body = {"parameters": parameters or {}}
        answer = call("POST", f"/v1/queries/{quote(name)}", json=body)
        rows = answer.get("rows", answer) if isinstance(answer, dict) else answer
        return page(rows if isinstance(rows, list) else [rows], offset, "rows", "run_query")

    # Worker tools.
    @tool
    def claim_steps(
        kinds: list[str] | None = None,
        capabilities: list[str] | None = None,
        max_steps: int = 1,
        lease_seconds: float = 60.0,
        wait_seconds: float = 0.0,
        plan_ids: list[str] | None = None,
    ) -> Any:
        """Claim up to max_steps READY steps of these kinds (default the agent kinds: task,
        synthesize, planner; not the command or noop steps built-in workers run), of these
        plans and their child plans; each goes to you alone. This server keeps their
        leases alive until you complete or fail them. Returns the steps: id, key, kind,
        name, description, inputs, prior_work (the outputs of the steps they depend on),
        plan_id, attempt."""
        body: dict[str, Any] = {
            "agent_id": me,
            "capabilities": capabilities or [],
            "max_steps": max_steps,
            "lease_seconds": lease_seconds,
            "wait_seconds": wait_seconds,
            "plan_ids": plan_ids or [],
        }
        body["kinds"] = kinds or list(AGENT_KINDS)
        steps = client.claim(**body)
        for step in steps:
            leases().add(step["id"], step["lease_token"], lease_seconds)
        return {"steps": [_claimed_view(s) for s in steps]}

    @tool
    def release_step(step_id: str) -> Any:
        """Give back a step you claimed and will not do: it is READY again at once for
        another agent (not counted against it). A lease belongs to the MCP session that
        claimed the step (over stdio the server process, over HTTP the MCP session): when
        the session ends, the steps it still holds are given back the same way."""
        client.release(step_id, leases().token(step_id))
        leases().drop(step_id)
        return {"step_id": step_id, "status": "READY"}

    @tool
    def heartbeat_step(step_id: str) -> Any:
        """Renew the lease of a step you claimed now (this server also does so by itself,
        for up to an hour after your last tool call about the step)."""
        leases().touch(step_id)
        return leases().beat(step_id)

    @tool
    def complete_step(
        step_id: str,
        outputs: dict[str, Any] | None = None,
        changeset: dict[str, Any] | None = None,
    ) -> Any:
        """Complete a step you claimed, with its outputs (a JSON object) and changeset (a
        JSON object of keys to values): its dependents may run."""
        token = leases().token(step_id)
        body = {"lease_token": token, "outputs": outputs or {}, "changeset": changeset or {}}
        answer = call("POST", f"/v1/steps/{quote(step_id)}/complete", json=body)
        leases().drop(step_id)
        return answer

    @tool
    def fail_step(step_id: str, error_message: str, retryable: bool = True) -> Any:
        """Report that the attempt at a step you claimed failed; with retries left (and
        retryable) it runs again after a backoff, otherwise it FAILS."""
        body = {
            "lease_token": leases().token(step_id),
            "error_message": error_message,
            "retryable": retryable,
        }
        answer = call("POST", f"/v1/steps/{quote(step_id)}/fail", json=body)
        leases().drop(step_id)
        return answer

    @tool
    def spawn_child_plans(
        step_id: str,
        tickets: list[str] | None = None,
        plans: list[dict[str, Any]] | None = None,
        max_parallel: int = 1,
        summary: str | None = None,
    ) -> Any:
        """Hand a step you claimed to child plans (ticket texts or JSON plan specs): the
        step goes WAITING and completes when they all have. Returns the child plan ids."""
        token = leases().token(step_id)
        ids = client.subplans(step_id, token, plans, max_parallel, summary, tickets)
        leases().drop(step_id)  # a WAITING step holds no lease
        return {"step_id": step_id, "status": "WAITING", "child_plan_ids": ids}

    @tool
    def send_communication(
        to_agent_id: str,
        subject: str,
        content: str = "",
        message_type: str = "NOTIFICATION",
        plan_id: str | None = None,
        step_id: str | None = None,
        responds_to: str | None = None,
    ) -> Any:
        """Send a message to another agent (REQUEST, RESPONSE, NOTIFICATION, ESCALATION),
        about a plan or step, maybe answering another message."""
        body = {
            "from_agent_id": me,
            "to_agent_id": to_agent_id,
            "message_type": message_type,
            "subject": subject,
            "content": content,
            "plan_id": plan_id,
            "step_id": step_id,
            "responds_to": responds_to,
        }
        return call("POST", "/v1/communications", json=body)

    @tool
    def list_communications(status: str | None = None, limit: int = 50) -> Any:
        """The messages sent to you, unread (SENT) first, then newest first: id, type,
        subject, content, from_agent, plan_id, step_id. Mark one read with
        mark_communication; answer it with respond_to_communication."""
        params: dict[str, Any] = {"to_agent_id": me, "limit": min(limit, MAX_ITEMS)}
        if status:
            params["status"] = status
        return {
            "communications": cut_texts(
                call("GET", "/v1/communications", params=params), "the REST API"
            )
        }

    @tool
    def mark_communication(communication_id: str, status: str = "RECEIVED") -> Any:
        """Move a message sent to you forward: RECEIVED (read), ACKNOWLEDGED or
        RESPONDED; never backwards."""
        body = {"status": status}
        return call("POST", f"/v1/communications/{quote(communication_id)}/status", json=body)

    @tool
    def respond_to_communication(
        communication_id: str, content: str, subject: str | None = None
    ) -> Any:
        """Answer a message sent to you: a RESPONSE to its sender, about the same plan
        and step; the message becomes RESPONDED."""
        found = call(
            "POST",
            "/v1/queries/get_communication_thread",
            json={"parameters": {"communication_id": communication_id}},
        )
        rows = found.get("rows", []) if isinstance(found, dict) else found
        original = next((r for r in rows if r.get("id") == communication_id), None)
        if original is None:
            raise NotFoundError(
                f"no communication with id {communication_id!r}: list yours with "
                "list_communications",
                {"communication_id": communication_id},
            )
        body = {
            "from_agent_id": me,
            "to_agent_id": original["from_agent"],
            "message_type": "RESPONSE",
            "subject": subject or f"Re: {original['subject']}",
            "content": content,
            "plan_id": original.get("plan_id"),
            "step_id": original.get("step_id"),
            "responds_to": communication_id,
        }
        return call("POST", "/v1/communications", json=body)

    # Coordinator tools.
    @tool
    def create_plan(
        tickets: str | None = None, spec: dict[str, Any] | None = None, start: bool = False
    ) -> Any:
        """Create a plan from a ticket file's text (sections '# KEY: Title [tag]', tags
        agent, agent/synthesize, planner, prog; 'blocked_by: [KEY]') or a JSON spec
        ({name, steps: [{key, kind, description, depends_on}]}); start runs it at once."""
        suffix = "?start=true" if start else ""
        if tickets is not None:
            return call(
                "POST",
                f"/v1/plans/tickets{suffix}",
                content=tickets.encode(),
                headers={"Content-Type": "text/markdown"},
            )
        return call("POST", f"/v1/plans{suffix}", json=spec or {})

    def plan_verb(plan_id: str, verb: str, reason: str | None) -> Any:
        return call("POST", f"/v1/plans/{quote(plan_id)}/{verb}", json={"reason": reason})

    @tool
    def start_plan(plan_id: str, reason: str | None = None) -> Any:
        """Start a DRAFT or APPROVED plan: its steps without dependencies become READY."""
        return plan_verb(plan_id, "start", reason)

    @tool
    def pause_plan(plan_id: str, reason: str | None = None) -> Any:
        """Pause a running plan: no new claims until it resumes."""
        return plan_verb(plan_id, "pause", reason)

    @tool
    def resume_plan(plan_id: str, reason: str | None = None) -> Any:
        """Resume a paused plan."""
        return plan_verb(plan_id, "resume", reason)

    @tool
    def cancel_plan(plan_id: str, reason: str | None = None) -> Any:
        """Cancel a plan and its child plans: unfinished steps CANCELLED, leases revoked."""
        return plan_verb(plan_id, "cancel", reason)

    @tool
    def add_steps(plan_id: str, steps: list[dict[str, Any]], reason: str | None = None) -> Any:
        """Add steps to a plan while it runs, all or nothing (each {key, kind, description,
        depends_on: [key or id]}); they may depend on each other and on the plan's steps."""
        body = {"steps": steps, "reason": reason, **by}
        return call("POST", f"/v1/plans/{quote(plan_id)}/steps/batch", json=body)

    @tool
    def remove_step(step_id: str, reason: str | None = None) -> Any:
        """Remove a step that has not started from its plan (it will never run; it is
        CANCELLED and its dependents proceed without it)."""
        params = {**by, **({"reason": reason} if reason else {})}
        return call("DELETE", f"/v1/steps/{quote(step_id)}", params=params)

    @tool
    def replan_plan(
        plan_id: str,
        reason: str,
        spec: dict[str, Any] | None = None,
        tickets: str | None = None,
    ) -> Any:
        """Replace a live plan by a new version (a JSON spec or a ticket file's text):
        the old one becomes SUPERSEDED, its unfinished steps CANCELLED; COMPLETED steps
        whose key and definition the new version repeats are carried over, not run
        again. Returns the new plan's id."""
        body = {"reason": reason, "spec": spec, "tickets": tickets, **by}
        return call("POST", f"/v1/plans/{quote(plan_id)}/replan", json=body)

    @tool
    def update_step(step_id: str, patch: dict[str, Any], reason: str | None = None) -> Any:
        """Edit a step that has not started: name, description, inputs, kind, max_retries,
        timeout_seconds, requires_capabilities, assignee."""
        body = {**patch, "reason": reason, **by}
        return call("PATCH", f"/v1/steps/{quote(step_id)}", json=body)

    @tool
    def add_dependency(step_id: str, depends_on: str, reason: str | None = None) -> Any:
        """Make a step that has not started wait for another step of its plan (id or key)."""
        body = {"depends_on": depends_on, "reason": reason, **by}
        return call("POST", f"/v1/steps/{quote(step_id)}/dependencies", json=body)

    @tool
    def remove_dependency(step_id: str, depends_on: str, reason: str | None = None) -> Any:
        """Remove a dependency ("unblock"): the step runs if nothing else blocks it."""
        params = {**by, **({"reason": reason} if reason else {})}
        path = f"/v1/steps/{quote(step_id)}/dependencies/{quote(depends_on)}"
        return call("DELETE", path, params=params)

    def step_verb(step_id: str, verb: str, body: dict[str, Any]) -> Any:
        return call("POST", f"/v1/steps/{quote(step_id)}/{verb}", json={**body, **by})

    @tool
    def cancel_step(step_id: str, reason: str | None = None) -> Any:
        """Cancel an unfinished step (its lease revoked); its dependents proceed."""
        return step_verb(step_id, "cancel", {"reason": reason})

    @tool
    def skip_step(step_id: str, reason: str | None = None) -> Any:
        """Skip an unfinished step; its dependents proceed."""
        return step_verb(step_id, "skip", {"reason": reason})

    @tool
    def retry_step(step_id: str, reason: str | None = None, reset_downstream: bool = False) -> Any:
        """Re-arm a FAILED step (a FAILED plan runs again); reset_downstream re-runs what
        followed it."""
        return step_verb(step_id, "retry", {"reason": reason, "reset_downstream": reset_downstream})

    @tool
    def decide(decision_id: str, approve: bool, comment: str | None = None) -> Any:
        """Approve or reject a PENDING decision (an approval step, a plan awaiting
        approval), with a comment."""
        verb = "approve" if approve else "reject"
        body = {"user_id": principal, "comment": comment}
        return call("POST", f"/v1/decisions/{quote(decision_id)}/{verb}", json=body)

    @tool
    def provide_input(step_id: str, text: str) -> Any:
        """Answer a WAITING human_input step: the text becomes its output."""
        body = {"text": text, "user_id": principal}
        return call("POST", f"/v1/steps/{quote(step_id)}/input", json=body)

    return server
