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

import functools
import inspect
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations

from graphsvc import __version__
from graphsvc._errors import (
    ConflictError,
    GraphsvcError,
    NotFoundError,
    PermissionDenied,
    ValidationFailed,
)
from graphsvc.worker.client import ApiClient

__all__ = [
    "AGENT_KINDS",
    "TOOLS_BY_ROLE",
    "Leases",
    "build_server",
    "compact_json",
    "refusal_text",
    "tool_annotations",
]

# A lease no tool call has used for this long is no longer renewed (``Leases``).
MAX_IDLE_SECONDS = 3600.0
# Compact results: lists and texts longer than these are cut, with a note saying how to
# read the rest.
MAX_ITEMS = 100
MAX_TEXT = 2000

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
)
COORDINATOR_TOOLS = (
    "create_plan",
    "start_plan",
    "pause_plan",
    "resume_plan",
    "cancel_plan",
    "add_steps",
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
DESTRUCTIVE_TOOLS = frozenset({"cancel_plan", "cancel_step", "skip_step"})
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
    }
)
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


@dataclass
class Leases:
    """The leases this server holds, by step id, heartbeated every third of their length
    until they are reported or lost."""

    client: ApiClient
    # How long a lease is kept alive with no tool call about its step: an agent that
    # claimed a step and forgot it does not hold it for ever (its lease then expires
    # and the sweeper makes the step READY again).
    max_idle_seconds: float = MAX_IDLE_SECONDS
    held: dict[str, tuple[str, float]] = field(default_factory=dict)  # id -> (token, seconds)
    touched: dict[str, float] = field(default_factory=dict)  # id -> monotonic time of use
    lost: dict[str, str] = field(default_factory=dict)  # id -> why the API took it back
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def add(self, step_id: str, token: str, lease_seconds: float) -> None:
        with self.lock:
            self.held[step_id] = (token, lease_seconds)
            self.touched[step_id] = time.monotonic()

    def touch(self, step_id: str) -> None:
        """A tool call about the step: its lease is in use."""
        with self.lock:
            if step_id in self.held:
                self.touched[step_id] = time.monotonic()

    def token(self, step_id: str) -> str:
        """The token of a lease held here; ``NotFoundError`` naming what to do if none."""
        with self.lock:
            held = self.held.get(step_id)
            why = self.lost.get(step_id)
        if why is not None:
            raise ConflictError(
                f"the lease on step {step_id} was lost ({why}): it was cancelled or taken "
                "back; stop working on it and do not report it",
                {"step_id": step_id},
            )
        if held is None:
            raise NotFoundError(
                f"this MCP server holds no lease on step {step_id}: claim it with claim_steps",
                {"step_id": step_id},
            )
        return held[0]

    def drop(self, step_id: str) -> None:
        with self.lock:
            self.held.pop(step_id, None)
            self.touched.pop(step_id, None)

    def forget(self, step_id: str, why: str) -> None:
        """The API refused a call with this step's lease: it is not held any more."""
        self.drop(step_id)
        with self.lock:
            self.lost[step_id] = why

    def release_all(self) -> int:
        """Give back every lease still held (the session ends): each step READY again at
        once instead of when its lease expires. Returns how many were given back; a step
        the API refuses (already taken back) is skipped."""
        self.stop.set()
        with self.lock:
            held = {sid: token for sid, (token, _) in self.held.items()}
            self.held.clear()
            self.touched.clear()
        released = 0
        for step_id, token in held.items():
            try:
                self.client.release(step_id, token)
                released += 1
            except GraphsvcError as exc:
                log.info("step %s not given back: %s", step_id, exc.message)
        return released

    def _forget_idle(self) -> None:
        now = time.monotonic()
        with self.lock:
            idle = [sid for sid, at in self.touched.items() if now - at > self.max_idle_seconds]
        for step_id in idle:
            self.drop(step_id)
            with self.lock:
                self.lost[step_id] = (
                    f"no tool call about it for {self.max_idle_seconds:.0f} s, so this server "
                    "stopped renewing its lease"
                )
            log.warning("stopped renewing the lease of idle step %s", step_id)

    def beat(self, step_id: str) -> None:
        """Renew one lease now; a lease the API says is gone is dropped (and re-raised)."""
        token = self.token(step_id)
        with self.lock:
            seconds = self.held[step_id][1] if step_id in self.held else 60.0
        try:
            self.client.heartbeat(step_id, token, seconds)
        except (ConflictError, NotFoundError, PermissionDenied) as exc:
            self.drop(step_id)
            with self.lock:
                self.lost[step_id] = exc.message
            log.warning("lease of step %s lost: %s", step_id, exc.message)
            raise

    def run(self) -> None:
        """Heartbeat every held lease about every third of its length, until ``stop``."""
        last: dict[str, float] = {}
        while not self.stop.wait(0.5):
            self._forget_idle()
            with self.lock:
                due = [
                    sid
                    for sid, (_, seconds) in self.held.items()
                    if time.monotonic() - last.get(sid, 0.0) >= seconds / 3
                ]
            for step_id in due:
                try:
                    self.beat(step_id)
                    last[step_id] = time.monotonic()
                except (ConflictError, NotFoundError, PermissionDenied):
                    pass  # recorded in ``lost`` by beat()
                except GraphsvcError as exc:
                    log.warning("heartbeat of step %s not delivered: %s", step_id, exc)


def cut_texts(value: Any, whole: str) -> Any:
    """``value`` with each string longer than ``MAX_TEXT`` cut there, and a note saying
    how long it was and how to read it whole (``whole``: the tool call)."""
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return f"{value[:MAX_TEXT]}... [cut: {len(value)} characters in all; {whole} reads it]"
    if isinstance(value, dict):
        return {k: cut_texts(v, whole) for k, v in value.items()}
    if isinstance(value, list):
        return [cut_texts(v, whole) for v in value]
    return value


def page(items: list[Any], offset: int, name: str, tool: str) -> dict[str, Any]:
    """``MAX_ITEMS`` of ``items`` from ``offset`` under ``name``, texts cut; with a note
    naming the next offset when there are more."""
    start = max(offset, 0)
    shown = items[start : start + MAX_ITEMS]
    result: dict[str, Any] = {name: cut_texts(shown, f"{tool} with a smaller page")}
    result["total"] = len(items)
    if start + len(shown) < len(items):
        result["note"] = (
            f"{len(items) - start - len(shown)} more: call {tool} with offset={start + len(shown)}"
        )
    return result


def compact_plan(plan: dict[str, Any], step_status: str | None = None) -> dict[str, Any]:
    """A plan for a model: everything but its steps' details; each step as id, key,
    status and name (those of ``step_status`` only when given), at most ``MAX_ITEMS``,
    with a note on the rest."""
    steps = [s for s in plan.get("steps", []) if step_status in (None, s.get("status"))]
    view: dict[str, Any] = cut_texts(
        {k: v for k, v in plan.items() if k != "steps"}, "the REST API"
    )
    view["steps"] = [
        {"id": s["id"], "key": s["key"], "status": s["status"], "name": s.get("name")}
        for s in steps[:MAX_ITEMS]
    ]
    total = (
        len(steps)
        if step_status is not None
        else int((plan.get("progress") or {}).get("total") or len(steps))
    )
    if total > MAX_ITEMS:
        view["note"] = (
            f"{total - min(len(steps), MAX_ITEMS)} more steps not shown: pass step_status to "
            "see those of one status, or get_step for one step"
        )
    view.pop("next_steps_after", None)
    return view


def tool_annotations(name: str) -> ToolAnnotations:
    """The MCP annotations of the tool ``name``: viewer tools read only; cancel and skip
    destroy work; see ``IDEMPOTENT_TOOLS``. None reaches outside graphsvc."""
    read_only = name in VIEWER_TOOLS
    return ToolAnnotations(
        readOnlyHint=read_only,
        destructiveHint=None if read_only else name in DESTRUCTIVE_TOOLS,
        idempotentHint=True if read_only else name in IDEMPOTENT_TOOLS,
        openWorldHint=False,
    )


def _pruned(value: Any) -> Any:
    """``value`` without null or empty fields (None, "", [], {}) in its objects."""
    if isinstance(value, dict):
        kept = {k: _pruned(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value


def compact_json(result: Any) -> str:
    """A tool's result as the text a model reads: JSON without indentation, null and
    empty fields left out (the result's own top-level fields kept, so an empty claim
    still says ``{"steps":[]}``)."""
    if isinstance(result, dict):
        body = {k: _pruned(v) for k, v in result.items() if v is not None}
    else:
        body = _pruned(result)
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=str)


# Details of an API error worth a model's attention, in this order, and how to name them.
_HELPFUL_DETAILS = (
    ("status", "the status is"),
    ("cycle", "the cycle would be"),
    ("path", "the path is"),
    ("chained_after", "chained after step"),
    ("allowed", "allowed"),
    ("field", "field"),
)


def refusal_text(exc: GraphsvcError, tool: str, step_id: str | None = None) -> str:
    """What an agent reads when the API refuses a tool call: the API's error code and
    message, the details that help it correct course (the status a step is in, the
    cycle a dependency would close, the problems of an input), in one or two lines;
    for a worker tool about a step whose lease is gone, that it must stop working on
    the step and not report it."""
    text = f"{tool} refused ({exc.code}): {exc.message}"
    details = exc.details if isinstance(exc.details, dict) else {}
    extra = []
    for key, label in _HELPFUL_DETAILS:
        value = details.get(key)
        if value is None or (isinstance(value, str) and value in exc.message):
            continue
        if isinstance(value, list):
            value = (
                " -> ".join(map(str, value))
                if key in ("cycle", "path")
                else ", ".join(map(str, value))
            )
        extra.append(f"{label} {value}")
    if extra:
        text += " (" + "; ".join(extra) + ")"
    if isinstance(exc, ValidationFailed) and len(exc.problems) > 5:
        text += ". Every problem: " + "; ".join(map(str, exc.problems))
    if (
        step_id
        and tool in LEASED_STEP_TOOLS
        and isinstance(exc, ConflictError)
        and "do not report it" not in exc.message
    ):
        text += (
            f". Stop working on step {step_id} and do not report it: its lease is no longer "
            "yours (claim other work with claim_steps)"
        )
    return text


def _claimed_view(step: dict[str, Any]) -> dict[str, Any]:
    """A claimed step as the agent sees it: everything but the lease token."""
    return {k: v for k, v in step.items() if k != "lease_token"}


def build_server(
    client: ApiClient,
    role: str,
    principal: str,
    agent_id: str | None,
    leases: Leases | None = None,
) -> MCPServer:
    """An MCP server whose tools call the API through ``client`` (one key of ``role``, with
    ``principal`` and, for a worker key, its ``agent_id``), offering only the tools of
    ``TOOLS_BY_ROLE[role]``. Its leases are heartbeated by a daemon thread."""
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
    leases = leases or Leases(client)
    threading.Thread(target=leases.run, name="mcp-heartbeats", daemon=True).start()
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
        def guarded(*args: Any, **kwargs: Any) -> str:
            try:
                return compact_json(fn(*args, **kwargs))
            except GraphsvcError as exc:
                step_id = kwargs.get("step_id")
                if step_id and name in LEASED_STEP_TOOLS and isinstance(exc, ConflictError):
                    leases.forget(step_id, exc.message)
                raise ToolError(refusal_text(exc, name, step_id)) from None

        guarded.__signature__ = inspect.signature(fn).replace(  # type: ignore[attr-defined]
            return_annotation=str
        )
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
            leases.add(step["id"], step["lease_token"], lease_seconds)
        return {"steps": [_claimed_view(s) for s in steps]}

    @tool
    def release_step(step_id: str) -> Any:
        """Give back a step you claimed and will not do: it is READY again at once for
        another agent (not counted against it). Leases live as long as this MCP session
        (stdio: the server process; over HTTP: the MCP session); when it ends, the
        steps it still holds are given back the same way."""
        client.release(step_id, leases.token(step_id))
        leases.drop(step_id)
        return {"step_id": step_id, "status": "READY"}

    @tool
    def heartbeat_step(step_id: str) -> Any:
        """Renew the lease of a step you claimed now (this server also does so by itself,
        for up to an hour after your last tool call about the step)."""
        leases.touch(step_id)
        leases.beat(step_id)
        return {"step_id": step_id, "status": "LEASED"}

    @tool
    def complete_step(
        step_id: str,
        outputs: dict[str, Any] | None = None,
        changeset: dict[str, Any] | None = None,
    ) -> Any:
        """Complete a step you claimed, with its outputs (a JSON object) and changeset (a
        JSON object of keys to values): its dependents may run."""
        token = leases.token(step_id)
        body = {"lease_token": token, "outputs": outputs or {}, "changeset": changeset or {}}
        answer = call("POST", f"/v1/steps/{quote(step_id)}/complete", json=body)
        leases.drop(step_id)
        return answer

    @tool
    def fail_step(step_id: str, error_message: str, retryable: bool = True) -> Any:
        """Report that the attempt at a step you claimed failed; with retries left (and
        retryable) it runs again after a backoff, otherwise it FAILS."""
        body = {
            "lease_token": leases.token(step_id),
            "error_message": error_message,
            "retryable": retryable,
        }
        answer = call("POST", f"/v1/steps/{quote(step_id)}/fail", json=body)
        leases.drop(step_id)
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
        token = leases.token(step_id)
        ids = client.subplans(step_id, token, plans, max_parallel, summary, tickets)
        leases.drop(step_id)  # a WAITING step holds no lease
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
