"""Fixtures for the Atlassian client tests: a fake clock and MockTransport-backed clients."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from connectors.atlassian.connector import AtlassianConnector, ConnectionSettings
from connectors.atlassian.http import (
    ApiClient,
    BasicAuth,
    BearerAuth,
    RetryPolicy,
    Timeouts,
    build_http_client,
)
from connectors.base import ApiFamily

SITE = "https://acme.atlassian.net"
ADMIN_API = "https://api.atlassian.com"
DIRECTORY_ID = "dir-0001"
ORG_ID = "org-0001"
SCIM_URL = f"{ADMIN_API}/scim/directory/{DIRECTORY_ID}"
API_TOKEN = "tok-JIRA-s3cret"
DIRECTORY_KEY = "key-SCIM-s3cret"
ORG_KEY = "key-ORG-s3cret"
ADMIN_EMAIL = "portal-bot@acme.example"
SECRETS = (API_TOKEN, DIRECTORY_KEY, ORG_KEY)
EPOCH = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


@dataclass
class FakeClock:
    """Time that moves only when someone sleeps; records the sleeps."""

    seconds: float = 0.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.seconds

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.seconds += seconds

    def now(self) -> datetime:
        return EPOCH + timedelta(seconds=self.seconds)

    def policy(self, **overrides: Any) -> RetryPolicy:
        values: dict[str, Any] = {
            "max_attempts": 6,
            "max_retry_seconds": 120.0,
            "sleep": self.sleep,
            "clock": self.clock,
            "now": self.now,
            "random": lambda: 0.5,
        }
        values.update(overrides)
        return RetryPolicy(**values)


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@dataclass
class Recorder:
    """A MockTransport handler that records requests and answers from a script."""

    answer: Callable[[httpx.Request], httpx.Response]
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return self.answer(request)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]

    def body(self, index: int = -1) -> Any:
        return json.loads(self.requests[index].content)


def reply(
    status: int = 200, body: Any = None, headers: dict[str, str] | None = None
) -> httpx.Response:
    """A JSON response (no body for None)."""
    if body is None:
        return httpx.Response(status, headers=headers)
    return httpx.Response(status, json=body, headers=headers)


def script(
    *responses: httpx.Response | Exception,
) -> Callable[[httpx.Request], httpx.Response]:
    """Answer with each response in turn, repeating the last; exceptions are raised."""
    remaining = list(responses)

    def answer(request: httpx.Request) -> httpx.Response:
        item = remaining.pop(0) if len(remaining) > 1 else remaining[0]
        if isinstance(item, Exception):
            raise item
        return item

    return answer


BASE_URLS = {
    ApiFamily.SCIM: SCIM_URL,
    ApiFamily.ADMIN: ADMIN_API,
    ApiFamily.JIRA: SITE,
    ApiFamily.CONFLUENCE: SITE,
}


def make_api(
    family: ApiFamily,
    handler: Callable[[httpx.Request], httpx.Response],
    policy: RetryPolicy | None = None,
) -> ApiClient:
    """An ApiClient of the family whose transport is the handler."""
    if family in (ApiFamily.JIRA, ApiFamily.CONFLUENCE):
        auth: httpx.Auth = BasicAuth(ADMIN_EMAIL, API_TOKEN)
    else:
        auth = BearerAuth(DIRECTORY_KEY if family == ApiFamily.SCIM else ORG_KEY)
    http = build_http_client(
        BASE_URLS[family],
        auth,
        timeouts=Timeouts(),
        transport=httpx.MockTransport(handler),
    )
    return ApiClient(family, http, policy=policy or RetryPolicy(sleep=lambda _: None))


@pytest.fixture
def settings_for_tests() -> ConnectionSettings:
    """Connection settings matching the simulator's demo credentials."""
    return ConnectionSettings(
        site_url=SITE,
        admin_email=ADMIN_EMAIL,
        api_token=API_TOKEN,
        scim_url=SCIM_URL,
        directory_id=DIRECTORY_ID,
        directory_api_key=DIRECTORY_KEY,
        admin_api_url=ADMIN_API,
        org_id=ORG_ID,
        org_api_key=ORG_KEY,
        default_groups=("jira-software-users", "confluence-users"),
        max_concurrency=4,
    )


def mock_connector(
    settings: ConnectionSettings, handler: Callable[[httpx.Request], httpx.Response]
) -> AtlassianConnector:
    """A connector whose every family talks to the handler."""
    return AtlassianConnector(
        settings,
        transport=httpx.MockTransport(handler),
        policy=RetryPolicy(sleep=lambda _: None),
    )


def routes(table: dict[str, Any]) -> Callable[[httpx.Request], httpx.Response]:
    """Answer by "METHOD /path": a response, a list of responses (in turn) or a callable."""
    queues = {
        key: list(value) if isinstance(value, list) else value
        for key, value in table.items()
    }

    def answer(request: httpx.Request) -> httpx.Response:
        key = f"{request.method} {request.url.path}"
        if key not in queues:
            return reply(404, {"errorMessages": [f"no route {key}"]})
        item = queues[key]
        if isinstance(item, list):
            item = item.pop(0) if len(item) > 1 else item[0]
        return item(request) if callable(item) else item

    return answer


def query(request: httpx.Request) -> list[tuple[str, str]]:
    """The query string as pairs, in order."""
    return list(request.url.params.multi_items())


# -- the in-process simulator ---------------------------------------------------------------


@pytest.fixture
def sim():
    """The simulated Acme organization with the demo data (no latency, no faults)."""
    from connectors.simulator import Knobs, Simulator, SimulatorConfig

    simulator = Simulator(SimulatorConfig(), Knobs(seed=7))
    simulator.seed_demo()
    return simulator


def settings_for(sim: Any, **overrides: Any) -> ConnectionSettings:
    """Connection settings with the simulator's credentials."""
    config = sim.config
    values: dict[str, Any] = {
        "site_url": config.site_url,
        "admin_email": config.admin_email,
        "api_token": config.api_token,
        "scim_url": config.scim_url,
        "directory_id": config.directory_id,
        "directory_api_key": config.directory_api_key,
        "admin_api_url": config.admin_api_url,
        "org_id": config.org_id,
        "org_api_key": config.org_api_key,
        "default_groups": ("jira-software-users", "confluence-users"),
        "max_concurrency": 4,
    }
    values.update(overrides)
    return ConnectionSettings(**values)


@pytest.fixture
def connector(sim) -> AtlassianConnector:
    """The connector talking to the in-process simulator; backoff sleeps are skipped."""
    return AtlassianConnector(
        settings_for(sim),
        transport=sim.transport(),
        policy=RetryPolicy(sleep=lambda _: None),
    )


def account_id(sim: Any, email: str) -> str:
    """The accountId of a demo person."""
    return sim.state.user_by_email(email).account_id
