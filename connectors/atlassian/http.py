"""The transport policy shared by every Atlassian API family.

One factory (`build_http_client`) builds the `httpx.Client` of a family; `ApiClient`
sends through it with the retry policy (exponential backoff with full jitter, honouring
`Retry-After` and the rate-limit reset headers, capped in attempts and seconds), raises
the errors of `connectors.base` (mapping in `errors.py`) and counts calls. The
pagination helpers live in `paging.py`, the response models and their validation in
`responses.py`.

Logging names method, path, status and elapsed time only: never bodies, tokens, auth
headers or query strings (a query may hold an email address).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx
import pydantic_core

from connectors.atlassian.errors import error_from_response
from connectors.base import (
    ApiFamily,
    ConnectorError,
    RateLimited,
    TransientError,
    Unavailable,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Mapping

logger = logging.getLogger(__name__)

USER_AGENT = "access-portal/0.1 (+atlassian-connector)"
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


# ---------------------------------------------------------------------------
# Retry policy and the shared backoff gate
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry; `sleep`, `clock`, `now`, `random` are injectable."""

    max_attempts: int = 6
    max_retry_seconds: float = 120.0
    base_delay: float = 1.0
    max_delay: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC), repr=False)
    random: Callable[[], float] = field(default=random.random, repr=False)

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter for the given (1-based) attempt."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return self.random() * ceiling


class BackoffGate:
    """One pause shared by every call of a connector: a 429 anywhere holds them all."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy
        self._lock = threading.Lock()
        self._resume_at = 0.0

    def hold(self, seconds: float) -> None:
        """Make every caller wait at least `seconds` from now."""
        with self._lock:
            self._resume_at = max(self._resume_at, self._policy.clock() + seconds)

    def wait_turn(self) -> float:
        """Sleep until the gate opens; return the seconds slept."""
        with self._lock:
            remaining = self._resume_at - self._policy.clock()
        if remaining <= 0:
            return 0.0
        self._policy.sleep(remaining)
        return remaining


class CallCounter:
    """Thread-safe count of HTTP attempts per API family."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def add(self, family: ApiFamily) -> None:
        """Count one attempt."""
        with self._lock:
            self._counts[family.value] += 1

    def snapshot(self) -> dict[str, int]:
        """The counts so far."""
        with self._lock:
            return dict(self._counts)


# ---------------------------------------------------------------------------
# Client factory
# ---------------------------------------------------------------------------


class BearerAuth(httpx.Auth):
    """`Authorization: Bearer <key>` (SCIM directory key, org API key)."""

    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response]:
        """Add the header."""
        request.headers["Authorization"] = self._header
        yield request

    def __repr__(self) -> str:
        return "BearerAuth(***)"


class BasicAuth(httpx.BasicAuth):
    """`Authorization: Basic` with email and API token (Jira, Confluence)."""

    def __repr__(self) -> str:
        return "BasicAuth(***)"


@dataclass(frozen=True)
class Timeouts:
    """Explicit connect and read timeouts in seconds."""

    connect: float = 5.0
    read: float = 30.0


def build_http_client(
    base_url: str,
    auth: httpx.Auth,
    *,
    timeouts: Timeouts,
    max_connections: int = 10,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    """The one place an `httpx.Client` for an Atlassian family is built."""
    return httpx.Client(
        base_url=base_url,
        auth=auth,
        timeout=httpx.Timeout(
            connect=timeouts.connect,
            read=timeouts.read,
            write=timeouts.read,
            pool=timeouts.read,
        ),
        limits=httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        ),
        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        follow_redirects=False,
        transport=transport,
    )


# ---------------------------------------------------------------------------
# Sending with retries
# ---------------------------------------------------------------------------


class ApiClient:
    """Sends requests of one API family through the retry policy and error mapping."""

    def __init__(
        self,
        family: ApiFamily,
        http: httpx.Client,
        *,
        policy: RetryPolicy | None = None,
        gate: BackoffGate | None = None,
        counter: CallCounter | None = None,
    ) -> None:
        self.family = family
        self.http = http
        self.policy = policy or RetryPolicy()
        self.gate = gate or BackoffGate(self.policy)
        self.counter = counter or CallCounter()
        base = http.base_url
        self._base = str(base).rstrip("/") + "/" if base.is_absolute_url else None

    def __repr__(self) -> str:
        return f"ApiClient({self.family.value}, {self.http.base_url})"

    def _target(self, path: str, params: Any) -> tuple[str, Any]:
        """The full URL with its query, and the params left for httpx (None).

        httpx merges a base URL, a path and params by parsing the URL three times,
        ~40 % of its CPU per call; one absolute URL string is parsed once. The query is
        encoded as httpx encodes params (true/false, None as empty, lists repeat the
        key). A path that already has a query keeps httpx's own merging.
        """
        if self._base is None or (params is not None and "?" in path):
            return path, params
        if not path.startswith(("http://", "https://")):
            path = self._base + path.lstrip("/")
        if not params:
            return path, None
        return f"{path}?{urlencode(_query_pairs(params))}", None

    def close(self) -> None:
        """Close the pooled connections."""
        self.http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        json: Any = None,
        files: Any = None,
        headers: Mapping[str, str] | None = None,
        retry_unsafe: bool = False,
        decode: Callable[[bytes], Any] | None = None,
    ) -> Any:
        """Send and return the decoded JSON body (None when empty).

        `decode` turns a 2xx body into the answer instead of plain JSON decoding (a
        parser that validates while it decodes); it raises ValueError for a body that
        is not JSON, MalformedResponse for one of the wrong shape.

        GET/PUT/DELETE are retried on 429, 5xx, timeouts and dropped connections. A
        POST/PATCH is retried on those only with `retry_unsafe=True`, which the caller
        passes when a repeat is harmless (its "already exists" answer counts as done);
        otherwise it is retried only when Atlassian cannot have processed it (429, or
        the connection was never made). Raises the errors of `connectors.base`.
        """
        may_repeat = retry_unsafe or method.upper() in IDEMPOTENT_METHODS
        started = self.policy.clock()
        attempt = 0
        while True:
            attempt += 1
            self.gate.wait_turn()
            outcome = self._attempt(method, path, params, json, files, headers, decode)
            error = outcome.error
            if error is None:
                return outcome.data
            retryable = isinstance(error, RateLimited) or (
                isinstance(error, TransientError) and (may_repeat or outcome.unsent)
            )
            delay = _delay(self.policy, attempt, error)
            if isinstance(error, RateLimited):
                self.gate.hold(delay)  # every caller waits, even if this one gives up
            spent = self.policy.clock() - started
            if (
                not retryable
                or attempt >= self.policy.max_attempts
                or spent + delay > self.policy.max_retry_seconds
            ):
                raise error
            logger.info(
                "%s %s: %s; retry %d in %.1f s",
                method,
                _path(path),
                type(error).__name__,
                attempt,
                delay,
            )
            if not isinstance(error, RateLimited):  # a 429 waits at the gate
                self.policy.sleep(delay)

    def _attempt(
        self,
        method: str,
        path: str,
        params: Any,
        json: Any,
        files: Any,
        headers: Mapping[str, str] | None,
        decode: Callable[[bytes], Any] | None,
    ) -> _Outcome:
        """One try: the decoded body or the error."""
        self.counter.add(self.family)
        begun = time.monotonic()
        url, params = self._target(path, params)
        try:
            response = self.http.request(
                method, url, params=params, json=json, files=files, headers=headers
            )
        except httpx.TransportError as exc:
            elapsed = (time.monotonic() - begun) * 1000
            logger.warning(
                "%s %s -> %s after %.0f ms",
                method,
                _path(path),
                type(exc).__name__,
                elapsed,
            )
            unsent = isinstance(
                exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout
            )
            return _Outcome(error=_transport_error(self.family, exc), unsent=unsent)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s -> %d in %.0f ms",
                method,
                response.request.url.path,
                response.status_code,
                (time.monotonic() - begun) * 1000,
            )
        if response.status_code >= 300:
            return _Outcome(
                error=error_from_response(self.family, response, self.policy.now())
            )
        if not response.content:
            return _Outcome()
        try:
            # pydantic's JSON parser: the same values as json.loads, in ~60 % of the time.
            return _Outcome(data=(decode or pydantic_core.from_json)(response.content))
        except ValueError:
            # A truncated body or a proxy's HTML page: transient, like a dropped connection.
            message = (
                f"The {self.family.value} API answered {response.status_code} "
                "with a body that is not JSON"
            )
            status = response.status_code
            return _Outcome(
                error=Unavailable(message, status=status, family=self.family.value)
            )


@dataclass(frozen=True, slots=True)
class _Outcome:
    data: Any = None
    error: ConnectorError | None = None
    unsent: bool = (
        False  # the request never reached Atlassian: safe to repeat any method
    )


def _query_pairs(params: Mapping[str, Any] | list[tuple[str, Any]]) -> list[Any]:
    """Query pairs as httpx would send them (`httpx.QueryParams`)."""
    items = params.items() if isinstance(params, dict) else params
    pairs = []
    for key, value in items:
        for one in value if isinstance(value, list | tuple) else (value,):
            text = "true" if one is True else "false" if one is False else one
            pairs.append((key, "" if text is None else str(text)))
    return pairs


def _path(path: str) -> str:
    """The path without query string, for logs."""
    return httpx.URL(path).path


def _delay(policy: RetryPolicy, attempt: int, error: ConnectorError) -> float:
    """Seconds to wait before the next attempt: the target's hint, else backoff."""
    hint = error.retry_after if isinstance(error, TransientError) else None
    if hint is None:
        return policy.backoff(attempt)
    # A little jitter on top, so callers released by one gate do not all return at once.
    return hint + policy.random() * min(1.0, hint / 10)


def _transport_error(family: ApiFamily, exc: httpx.TransportError) -> Unavailable:
    """A timeout or dropped connection, named without the URL (it may hold a query)."""
    kind = (
        "timed out" if isinstance(exc, httpx.TimeoutException) else "connection failed"
    )
    return Unavailable(
        f"The {family.value} API {kind} ({type(exc).__name__})", family=family.value
    )
