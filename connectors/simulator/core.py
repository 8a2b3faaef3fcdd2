"""The Simulator: one state, the knobs applied to each call, the call log.

Shared by transport and server. The routes are in `route_table.py`, the credentials
checks in `auth.py`.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectors.simulator.auth import authenticate, check_scope
from connectors.simulator.config import SimulatorConfig
from connectors.simulator.knobs import Decision, Gate, Knobs
from connectors.simulator.route_table import classify, route_for
from connectors.simulator.routing import Ctx, Route, render_error
from connectors.simulator.state import Role, State, User, utc_now
from connectors.simulator.wire import ApiError, Request, Response, json_response

if TYPE_CHECKING:
    import httpx

    from connectors.simulator.server import SimulatorServer

GLOBAL_ROLES = (
    (
        10002,
        "Administrators",
        "A project role that represents administrators in a project",
    ),
    (10003, "Member", "A project role that represents members in a project"),
    (10004, "Viewer", "A project role that represents viewers in a project"),
    (10005, "Release Manager", "Custom role: people who cut and ship releases"),
)


class DroppedConnection(Exception):
    """The knobs decided to drop this connection without an answer."""


class ReadTimedOut(Exception):
    """The answer came later than the caller's read timeout."""


@dataclass(frozen=True, slots=True)
class Call:
    """One logged call."""

    family: str
    method: str
    path: str
    route: str | None
    status: int
    query: dict[str, list[str]]
    body_keys: tuple[str, ...]


class Simulator:
    """A strict, stateful, in-memory Atlassian Cloud organization."""

    def __init__(
        self, config: SimulatorConfig | None = None, knobs: Knobs | None = None
    ) -> None:
        self.config = config or SimulatorConfig()
        self.state = State()
        self._knobs = knobs or Knobs()
        self.gate = Gate(self._knobs)
        self.lock = threading.RLock()
        self.calls: list[Call] = []
        self.max_calls = 200_000
        for role_id, name, description in GLOBAL_ROLES:
            self.state.roles[role_id] = Role(role_id, name, description)
        self.service_account = self._ensure_service_account()

    @property
    def knobs(self) -> Knobs:
        """The live knobs; change attributes or assign a new Knobs."""
        return self._knobs

    @knobs.setter
    def knobs(self, knobs: Knobs) -> None:
        self._knobs = knobs
        self.gate = Gate(knobs)

    def _ensure_service_account(self) -> User:
        """Create the account whose email and API token authenticate Jira and Confluence."""
        state = self.state
        existing = state.user_by_email(self.config.admin_email)
        if existing is not None:
            return existing
        managed = self.config.is_verified(self.config.admin_email)
        user = User(
            seq=state.new_user_seq(),
            account_id=state.ids.managed_account_id(),
            email=self.config.admin_email,
            display_name="Access Portal Service",
            given_name="Access Portal",
            family_name="Service",
            title="Service account",
            department="IT",
            managed=managed,
            in_directory=True,
            created="2023-01-02T09:00:00.000Z",
        )
        return state.add_user(user)

    # ----- seeding -----
    def seed_demo(self) -> None:
        """Load the deterministic demo organization."""
        from connectors.simulator.seed import seed_demo

        with self.lock:
            seed_demo(self)

    def seed_large(
        self,
        users: int = 1000,
        groups: int = 50,
        projects: int = 20,
        spaces: int = 20,
        memberships_per_user: int = 5,
        seed: int = 1,
    ) -> None:
        """Load a large deterministic organization."""
        from connectors.simulator.seed_large import seed_large

        with self.lock:
            seed_large(
                self, users, groups, projects, spaces, memberships_per_user, seed
            )

    # ----- serving -----
    def transport(self) -> httpx.BaseTransport:
        """An httpx transport that answers in-process, with the knobs applied."""
        from connectors.simulator.transport import SimulatorTransport

        return SimulatorTransport(self)

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> SimulatorServer:
        """Start a threaded HTTP server in a background thread."""
        from connectors.simulator.server import SimulatorServer

        server = SimulatorServer(self, host, port)
        server.start()
        return server

    # ----- events and the call log -----
    def record_event(self, action: str, *context: tuple[str, str]) -> None:
        """Append an org audit-log event for a change."""
        items = [{"id": ident, "type": kind} for kind, ident in context]
        self.state.add_event(action, self.service_account.account_id, items)

    def call_counts(self) -> Counter[tuple[str, str, str | None]]:
        """Count logged calls by (family, method, route)."""
        return Counter((c.family, c.method, c.route) for c in self.calls)

    def reset_calls(self) -> None:
        """Forget the call log."""
        self.calls.clear()

    def dump(self) -> dict[str, Any]:
        """A plain-data dump of the state, for tests and benchmarks."""
        from connectors.simulator.dump import dump_state

        with self.lock:
            return dump_state(self.state)

    # ----- handling -----
    def handle(self, request: Request, read_timeout: float | None = None) -> Response:
        """Answer one request with the knobs applied (may raise DroppedConnection/ReadTimedOut)."""
        family, api = classify(request.path)
        route, params = self._match(request)
        bucket = (
            "admin_events"
            if route is not None
            and route.template.endswith(("/events", "/events-stream"))
            else None
        )
        with self.lock:  # one random stream and one set of buckets for all threads
            decision = self.gate.decide(family, bucket)
        if _answers_during_latency(request, decision):
            response = self._answer_within(
                decision.delay, request, family, api, route, params
            )
            return self._finish(
                request, family, route, response, decision, read_timeout
            )
        if decision.delay > 0:
            self._knobs.sleep(decision.delay)
        if decision.limited:
            error = ApiError(
                429, "Rate limit exceeded. Retry after the time given in Retry-After."
            )
            response = render_error(api, error)
        elif decision.drop:
            self._log(request, family, route, 0)
            raise DroppedConnection(request.path)
        elif decision.fault is not None:
            retry = [("Retry-After", "1")] if decision.fault == 503 else []
            response = render_error(
                api,
                ApiError(decision.fault, "Simulated server failure.", headers=retry),
            )
        else:
            response = self._answer(request, family, api, route, params)
        return self._finish(request, family, route, response, decision, read_timeout)

    def _answer_within(
        self,
        delay: float,
        request: Request,
        family: str,
        api: str,
        route: Route | None,
        params: dict[str, str],
    ) -> Response:
        """Answer, then wait what is left of the call's latency (also before a drop)."""
        started = self._knobs.clock()
        try:
            return self._answer(request, family, api, route, params)
        finally:
            remaining = delay - (self._knobs.clock() - started)
            if remaining > 0:
                self._knobs.sleep(remaining)

    def _finish(
        self,
        request: Request,
        family: str,
        route: Route | None,
        response: Response,
        decision: Decision,
        read_timeout: float | None,
    ) -> Response:
        """Add the knobs' headers, log the call, apply a slow answer."""
        response.headers.extend(decision.headers)
        self._log(request, family, route, response.status)
        if decision.slow is not None:
            if read_timeout is not None and decision.slow > read_timeout:
                self._knobs.sleep(read_timeout)
                raise ReadTimedOut(request.path)
            self._knobs.sleep(decision.slow)
        return response

    def _answer(
        self,
        request: Request,
        family: str,
        api: str,
        route: Route | None,
        params: dict[str, str],
    ) -> Response:
        """Run the call; a LostAnswer rule drops its answer once it was applied."""
        with self.lock:
            response = self._execute(request, family, api, route, params)
            lost = self.gate.loses_answer(request.method, request.path)
        if lost:  # applied, but the caller never hears (a timed-out write)
            self._log(request, family, route, response.status)
            raise DroppedConnection(request.path)
        return response

    def _match(self, request: Request) -> tuple[Route | None, dict[str, str]]:
        """Find the route for a request (None when no template matches the path)."""
        route, params = route_for(request.method, request.path)
        return route, dict(params)

    def _execute(
        self,
        request: Request,
        family: str,
        api: str,
        route: Route | None,
        params: dict[str, str],
    ) -> Response:
        """Authenticate, check the org/directory in the path and run the handler."""
        try:
            if family == "site":
                if request.path == "/_edge/tenant_info":
                    return json_response({"cloudId": self.config.cloud_id})
                raise ApiError(404, f"No such resource: {request.path}")
            authenticate(self.config, request, family)
            if route is None:
                if params:
                    raise ApiError(
                        405,
                        f"Method {request.method} is not allowed on {request.path}.",
                    )
                raise ApiError(404, f"No such resource: {request.path}")
            check_scope(self.config, params, family)
            if request.method != "GET":
                self.state.version += 1
            return route.handler(Ctx(self, request, params, api))
        except ApiError as error:
            return render_error(api, error, str(uuid.uuid4()) if api == "admin" else "")

    def _log(
        self, request: Request, family: str, route: Route | None, status: int
    ) -> None:
        """Append to the call log."""
        keys: tuple[str, ...] = ()
        if request.body[:1] == b"{":
            try:
                keys = tuple(json.loads(request.body))
            except ValueError:
                keys = ()
        name = route.name if route is not None else None
        if (
            len(self.calls) >= self.max_calls
        ):  # a long-running server keeps the newest half
            del self.calls[: self.max_calls // 2]
        self.calls.append(
            Call(
                family, request.method, request.path, name, status, request.query, keys
            )
        )


def _answers_during_latency(request: Request, decision: Decision) -> bool:
    """Whether a call is answered while its latency runs rather than after it.

    The injected latency stands for Atlassian's whole response time, so the
    simulator's own work on a read (rendering a page of users takes about a
    millisecond, plus waiting for the interpreter lock behind other calls) is done
    during it, not added on top. Writes keep waiting first, so they are applied in
    the order their latency ends; 429s, faults and drops are decided as before.
    """
    plain = not (decision.limited or decision.drop or decision.fault)
    return plain and request.method in ("GET", "HEAD") and decision.delay > 0


def now() -> str:
    """Current time as Atlassian formats it."""
    return utc_now()
