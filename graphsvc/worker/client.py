"""The typed REST client of graphsvc (httpx): ``graphsvc.Client``. The SDK, the built-in
worker, the MCP server and the CLI all speak to the API through it; its answers are the
API's own pydantic models (``graphsvc.domain.models``)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any, NoReturn
from urllib.parse import quote

import httpx

from graphsvc._errors import (
    ApiUnreachable,
    AuthenticationFailed,
    ConflictError,
    GraphsvcError,
    LeaseExpired,
    NotFoundError,
    PermissionDenied,
    Problem,
    TooLarge,
    ValidationFailed,
)
from graphsvc.domain.models import (
    EventPublic,
    PlanCreated,
    PlanPublic,
    PlanSpec,
    PlanSummary,
    StatusTree,
    StepDetail,
)
from graphsvc.domain.states import PlanStatus
from graphsvc.localkey import read_local_key
from graphsvc.settings import Settings

__all__ = ["ApiClient", "Client", "ServerError", "default_api_key"]

_BY_STATUS: dict[int, type[GraphsvcError]] = {
    401: AuthenticationFailed,
    403: PermissionDenied,
    404: NotFoundError,
    409: ConflictError,
    413: TooLarge,
}


def default_api_key(settings: Settings | None = None, local: bool = True) -> str | None:
    """The key a client sends when none is given: ``GRAPHSVC_API_KEY``, else (``local``:
    the API runs on this machine) the local admin key the server generated in the data
    folder, if this user may read it; else None."""
    settings = settings or Settings()
    if settings.api_key:
        return settings.api_key
    return read_local_key(settings.data_dir) if local else None


def _is_loopback(base_url: str) -> bool:
    host = httpx.URL(base_url).host
    return host in ("localhost", "::1") or host.startswith("127.")


class ServerError(GraphsvcError):
    """The API answered with a 5xx status."""


class Client:
    """Calls the graphsvc API at ``base_url`` with the bearer ``api_key`` (default, for an
    API on this machine only: ``default_api_key()``).

    Errors come back as graphsvc's own exceptions: 401 ``AuthenticationFailed``,
    403 ``PermissionDenied``, 404 ``NotFoundError``, 409 ``ConflictError``, 413
    ``TooLarge``, 422 ``ValidationFailed``, no answer ``ApiUnreachable``, 5xx
    ``ServerError``, anything else ``GraphsvcError``.
    """

    def __init__(self, base_url: str, api_key: str | None = None, timeout: float = 60.0) -> None:
        if api_key is None:
            # GRAPHSVC_API_KEY, else this machine's local key, which goes to this machine only.
            api_key = default_api_key(local=_is_loopback(base_url))
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.http = httpx.Client(base_url=base_url, headers=headers, timeout=timeout)
        # A key that may only read, for pages this client points people to (the CLI's
        # in-process API makes one); None: none.
        self.page_key: str | None = None

    def close(self) -> None:
        self.http.close()

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One request; the decoded JSON answer, or the error as above (``ApiUnreachable``
        when no answer came: refused, reset or timed out)."""
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise ApiUnreachable(
                f"no answer from the API at {self.http.base_url} ({method} {path}): "
                f"{type(exc).__name__} {exc}"
            ) from exc
        if response.is_success:
            return response.json()
        self._raise_for(response)

    def page(self, path: str, **params: Any) -> tuple[Any, str | None]:
        """``GET path``: the decoded answer and the address of the next page (its ``Link:
        <...>; rel="next"`` header, RFC 8288), None on the last; errors as ``call``."""
        try:
            response = self.http.request("GET", path, params=params or None)
        except httpx.TransportError as exc:
            raise ApiUnreachable(
                f"no answer from the API at {self.http.base_url} (GET {path}): "
                f"{type(exc).__name__} {exc}"
            ) from exc
        if not response.is_success:
            self._raise_for(response)
        return response.json(), response.links.get("next", {}).get("url")

    def every_page(self, path: str, **params: Any) -> list[Any]:
        """``GET path`` and each next page it links to (``page``): their lists, joined."""
        items, following = self.page(path, **params)
        while following:
            more, following = self.page(following)
            items += more
        return list(items)

    def _raise_for(self, response: httpx.Response) -> NoReturn:
        """The error an unsuccessful answer stands for, as above."""
        try:
            error = response.json()["error"]
        except (ValueError, KeyError, TypeError):
            error = {"message": response.text[:500], "details": None}
        known = _BY_STATUS.get(response.status_code)
        if error.get("code") == LeaseExpired.code:
            known = LeaseExpired
        if known is not None:
            raise known(error["message"], error.get("details"))
        if response.status_code == 422:
            problems = [
                Problem(p["location"], p["message"])
                for p in (error.get("details") or {}).get("problems", [])
            ]
            raise ValidationFailed(problems or [Problem("", error["message"])])
        if response.status_code >= 500:
            raise ServerError(f"HTTP {response.status_code}: {error['message']}")
        raise GraphsvcError(f"HTTP {response.status_code}: {error['message']}")

    def claim(self, **body: Any) -> list[dict[str, Any]]:
        steps: list[dict[str, Any]] = self.call("POST", "/v1/steps/claim", json=body)["steps"]
        return steps

    def start(self, step_id: str, token: str) -> None:
        self.call("POST", f"/v1/steps/{step_id}/start", json={"lease_token": token})

    def release(self, step_id: str, token: str) -> None:
        """``POST /v1/steps/{id}/release``: give a claimed step back (READY again)."""
        self.call("POST", f"/v1/steps/{step_id}/release", json={"lease_token": token})

    def heartbeat(self, step_id: str, token: str, lease_seconds: float) -> dict[str, Any]:
        """``POST /v1/steps/{id}/heartbeat``: ``{step_id, status, lease_expires_at}``."""
        answer: dict[str, Any] = self.call(
            "POST",
            f"/v1/steps/{step_id}/heartbeat",
            json={"lease_token": token, "lease_seconds": lease_seconds},
        )
        return answer

    def complete(
        self,
        step_id: str,
        token: str,
        outputs: dict[str, Any],
        changeset: dict[str, Any] | None = None,
    ) -> None:
        self.call(
            "POST",
            f"/v1/steps/{step_id}/complete",
            json={"lease_token": token, "outputs": outputs, "changeset": changeset or {}},
        )

    def complete_batch(
        self, results: list[dict[str, Any]], claim: dict[str, Any] | None = None
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """``POST /v1/steps/complete``: ``results`` are ``{step_id, lease_token, outputs,
        changeset}``; with ``claim`` (a claim body) the next steps are claimed in the
        same transaction. Returns (per-result outcomes, claimed steps)."""
        body = {"results": results, "claim": claim}
        answer = self.call("POST", "/v1/steps/complete", json=body)
        return answer["results"], answer["steps"]

    def fail(self, step_id: str, token: str, error: str, retryable: bool = True) -> None:
        self.call(
            "POST",
            f"/v1/steps/{step_id}/fail",
            json={"lease_token": token, "error_message": error, "retryable": retryable},
        )

    def subplans(
        self,
        step_id: str,
        token: str,
        plans: list[dict[str, Any]] | None = None,
        max_parallel: int = 1,
        summary: str | None = None,
        tickets: list[str] | None = None,
    ) -> list[str]:
        """Spawn child plans (JSON specs and/or ticket texts) from a running step; returns
        their ids. ``ValidationFailed`` lists every problem of every child."""
        body = {
            "lease_token": token,
            "plans": plans or [],
            "tickets": tickets or [],
            "max_parallel": max_parallel,
            "summary": summary,
        }
        spawned = self.call("POST", f"/v1/steps/{step_id}/subplans", json=body)
        ids: list[str] = spawned["child_plan_ids"]
        return ids

    # Plans, typed: the models the API answers with.
    def create_plan(self, spec: PlanSpec | dict[str, Any], start: bool = False) -> PlanCreated:
        """``POST /v1/plans``: store a plan (a ``PlanSpec`` or its JSON), DRAFT, or started
        with ``start``; ``ValidationFailed`` lists every problem of a bad spec."""
        body = (
            spec.model_dump(mode="json", exclude_none=True) if isinstance(spec, PlanSpec) else spec
        )
        answer = self.call("POST", "/v1/plans", json=body, params={"start": start})
        return PlanCreated.model_validate(answer)

    def create_plan_from_tickets(self, text: str, start: bool = False) -> PlanCreated:
        """``POST /v1/plans/tickets``: a plan from a ticket file's text."""
        answer = self.call(
            "POST",
            "/v1/plans/tickets",
            content=text.encode(),
            headers={"Content-Type": "text/markdown"},
            params={"start": start},
        )
        return PlanCreated.model_validate(answer)

    def get_plan(self, plan_id: str, all_steps: bool = True) -> PlanPublic:
        """``GET /v1/plans/{id}``: a plan with its steps and progress; with ``all_steps``
        every page of its steps (one request per 1,000 steps), else the first 100."""
        path = f"/v1/plans/{_segment(plan_id)}"
        size = {"limit": 1000} if all_steps else {}
        plan = PlanPublic.model_validate(self.call("GET", path, params=size))
        while all_steps and plan.next_steps_after is not None:
            page = PlanPublic.model_validate(
                self.call("GET", path, params={**size, "steps_after": plan.next_steps_after})
            )
            plan = page.model_copy(update={"steps": plan.steps + page.steps})
        return plan

    def audit(self, plan_id: str) -> list[dict[str, Any]]:
        """``GET /v1/plans/{id}/audit``, every page: the plan's audit trail in time order."""
        return self.every_page(f"/v1/plans/{_segment(plan_id)}/audit")

    def list_plans(
        self, root_only: bool = True, status: PlanStatus | None = None, limit: int = 50
    ) -> list[PlanSummary]:
        """``GET /v1/plans``: plans newest first."""
        params: dict[str, Any] = {"root_only": root_only, "limit": limit}
        if status is not None:
            params["status"] = str(status)
        return [PlanSummary.model_validate(p) for p in self.call("GET", "/v1/plans", params=params)]

    def plan_tree(self, plan_id: str, depth: int = 3) -> StatusTree:
        """``GET /v1/plans/{id}/tree``: the status tree of a plan and its child plans."""
        tree: StatusTree = self.call(
            "GET", f"/v1/plans/{_segment(plan_id)}/tree", params={"depth": depth}
        )
        return tree

    def get_step(self, step_id: str) -> StepDetail:
        """``GET /v1/steps/{id}``: a step with its links and events."""
        return StepDetail.model_validate(self.call("GET", f"/v1/steps/{_segment(step_id)}"))

    def transition_plan(self, plan_id: str, action: str, reason: str | None = None) -> PlanStatus:
        """``POST /v1/plans/{id}/{action}`` for ``action`` start, pause, resume or cancel;
        the plan's new status. ``ConflictError`` when the plan's status does not allow it."""
        if action not in ("start", "pause", "resume", "cancel"):
            raise ValueError(f"unknown plan action {action!r}")
        body = {"reason": reason} if reason else None
        answer = self.call("POST", f"/v1/plans/{_segment(plan_id)}/{action}", json=body)
        return PlanStatus(answer["status"])

    def stream_events(
        self, plan_id: str, family: bool = False, last_event_id: str | None = None
    ) -> Iterator[tuple[str, EventPublic]]:
        """``GET /v1/plans/{id}/events/stream``: ``(plan_id, event)`` for each event of the
        plan (and with ``family``, of its child plans) as it is written, until the plan (the
        family) has ended; resumes after ``last_event_id``. A stream that breaks before its
        ``end`` is resumed where it stopped (``Last-Event-ID``), up to 5 times in a row; a
        ping comes every 15 s, so a read that waits a minute counts as a break. Raises the
        API's errors, and ``ApiUnreachable`` when the stream cannot be resumed."""
        path = f"/v1/plans/{_segment(plan_id)}/events/stream"
        timeout = httpx.Timeout(60.0, connect=10.0)
        breaks = 0
        while True:
            headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
            try:
                with self.http.stream(
                    "GET", path, params={"family": family}, headers=headers, timeout=timeout
                ) as response:
                    if not response.is_success:
                        response.read()
                        self._raise_for(response)
                    fields: dict[str, str] = {}
                    for line in response.iter_lines():
                        if line.startswith(":"):
                            continue  # a ping
                        if line:
                            name, _, value = line.partition(":")
                            fields[name] = value.removeprefix(" ")
                            continue
                        if fields.get("event") == "end":
                            return
                        if "data" in fields:
                            data = json.loads(fields["data"])
                            last_event_id = fields.get("id", last_event_id)
                            breaks = 0
                            yield data.pop("plan_id"), EventPublic.model_validate(data)
                        fields = {}
                error: Exception = ApiUnreachable("the event stream ended before its end")
            except httpx.TransportError as exc:
                error = exc
            breaks += 1
            if breaks > 5:
                raise ApiUnreachable(
                    f"the event stream of the API at {self.http.base_url} broke and could "
                    f"not be resumed: {type(error).__name__} {error}"
                ) from error
            time.sleep(min(5.0, 0.5 * breaks))

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


ApiClient = Client
"""The former name of ``Client``."""


def _segment(value: str) -> str:
    """``value`` as one URL path segment."""
    return quote(value, safe="")
