"""The transport policy shared by every Atlassian API family.

One factory (`build_http_client`) builds the `httpx.Client` of a family; `ApiClient`
sends through it with the retry policy (exponential backoff with full jitter, honouring
`Retry-After` and the rate-limit reset headers, capped in attempts and seconds), maps
statuses to the errors of `connectors.base` keeping Atlassian's message and code, and
counts calls. The pagination helpers live in `connectors.atlassian.paging`.

Logging names method, path, status and elapsed time only: never bodies, tokens, auth
headers or query strings (a query may hold an email address).
"""

from __future__ import annotations

import email.utils
import logging
import random
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import httpx
import pydantic

from connectors.base import (
    ApiFamily,
    AuthenticationFailed,
    Conflict,
    ConnectorError,
    Forbidden,
    Invalid,
    LicenceLimitReached,
    NotFound,
    PermanentError,
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
# Atlassian words a licence/seat exhaustion in several ways; it arrives as 400, 403 or 409.
LICENCE_PATTERN = re.compile(
    r"licen[cs]e|user limit|seat limit|exceed(?:s|ed)? the (?:number|limit)", re.I
)
ModelT = TypeVar("ModelT", bound=pydantic.BaseModel)


class MalformedResponse(PermanentError):
    """Atlassian answered 2xx with a body that does not have the documented shape."""


def _number_as_text(value: Any) -> Any:
    return (
        str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    )


# Atlassian sends some ids as numbers in one API and strings in another (Jira project
# id, Confluence permission id); we keep them as text.
TextId = Annotated[str, pydantic.BeforeValidator(_number_as_text)]


class Model(pydantic.BaseModel):
    """Base of the response models: immutable, unknown keys ignored, aliases allowed."""

    model_config = pydantic.ConfigDict(
        frozen=True, extra="ignore", populate_by_name=True
    )


def parse_model(
    model: type[ModelT], data: Any, *, family: ApiFamily, what: str
) -> ModelT:
    """Validate one response object; raise MalformedResponse naming what was wrong."""
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<body>'}: {err['msg']}"
            for err in exc.errors()[:3]
        )
        message = f"Unexpected {what} from the {family.value} API: {problems}"
        raise MalformedResponse(message, family=family.value) from None


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

    def __repr__(self) -> str:
        return f"ApiClient({self.family.value}, {self.http.base_url})"

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
    ) -> Any:
        """Send and return the decoded JSON body (None when empty).

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
            outcome = self._attempt(method, path, params, json, files, headers)
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
    ) -> _Outcome:
        """One try: the decoded body or the error."""
        self.counter.add(self.family)
        begun = time.monotonic()
        try:
            response = self.http.request(
                method, path, params=params, json=json, files=files, headers=headers
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
        elapsed = (time.monotonic() - begun) * 1000
        logger.debug(
            "%s %s -> %d in %.0f ms",
            method,
            response.request.url.path,
            response.status_code,
            elapsed,
        )
        if response.status_code >= 300:
            return _Outcome(
                error=error_from_response(self.family, response, self.policy.now())
            )
        if not response.content:
            return _Outcome()
        try:
            return _Outcome(data=response.json())
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


# ---------------------------------------------------------------------------
# Status → error mapping
# ---------------------------------------------------------------------------


def error_from_response(
    family: ApiFamily, response: httpx.Response, now: datetime | None = None
) -> ConnectorError:
    """Map a non-2xx response to the error family, keeping Atlassian's message and code."""
    status = response.status_code
    message, code = parse_error_body(family, response)
    kwargs: dict[str, Any] = {"status": status, "code": code, "family": family.value}
    if status == 429 or status >= 500:
        retry_after = retry_after_seconds(response.headers, now or datetime.now(UTC))
        error_class = RateLimited if status == 429 else Unavailable
        return error_class(message, retry_after=retry_after, **kwargs)
    if 300 <= status < 400:
        location = response.headers.get("Location", "?")
        return PermanentError(
            f"Unexpected redirect to {location}: check the base URL", **kwargs
        )
    if status in (400, 403, 409) and LICENCE_PATTERN.search(message):
        return LicenceLimitReached(message, **kwargs)
    error_class = {
        400: Invalid,
        401: AuthenticationFailed,
        403: Forbidden,
        404: NotFound,
        409: Conflict,
        422: Invalid,
    }.get(status, PermanentError)
    return error_class(message, **kwargs)


def parse_error_body(
    family: ApiFamily, response: httpx.Response
) -> tuple[str, str | None]:
    """(message, code) from a family's error body; falls back to the status line."""
    fallback = f"{response.status_code} {response.reason_phrase}".strip()
    try:
        body = response.json()
    except ValueError:
        return fallback, None
    if not isinstance(body, dict):
        return fallback, None
    parser = {
        ApiFamily.SCIM: _scim_error,
        ApiFamily.ADMIN: _errors_array,
        ApiFamily.JIRA: _jira_error,
        ApiFamily.CONFLUENCE: _confluence_error,
    }[family]
    message, code = parser(body)
    return (message or fallback), code


def _scim_error(body: dict[str, Any]) -> tuple[str, str | None]:
    # {"schemas": [...Error], "status": "409", "scimType": "uniqueness", "detail": "..."}
    return _text(body.get("detail")), _text(body.get("scimType")) or None


def _errors_array(body: dict[str, Any]) -> tuple[str, str | None]:
    # Admin and Confluence v2: {"errors": [{"status", "code", "title", "detail"}]}
    errors = body.get("errors")
    if not isinstance(errors, list) or not errors:
        return _text(body.get("message")), _text(body.get("code")) or None
    messages, code = [], None
    for item in errors:
        if not isinstance(item, dict):
            continue
        title, detail = _text(item.get("title")), _text(item.get("detail"))
        messages.append(": ".join(part for part in (title, detail) if part))
        code = code or _text(item.get("code")) or None
    return "; ".join(m for m in messages if m), code


def _jira_error(body: dict[str, Any]) -> tuple[str, str | None]:
    # {"errorMessages": [...], "errors": {"field": "msg"}, "status": 400}
    messages = [_text(m) for m in body.get("errorMessages") or [] if _text(m)]
    errors = body.get("errors")
    if isinstance(errors, dict):
        messages.extend(f"{key}: {_text(value)}" for key, value in errors.items())
    return "; ".join(messages), None


def _confluence_error(body: dict[str, Any]) -> tuple[str, str | None]:
    # v2 (unconfirmed): {"errors": [...]}; v1: {"statusCode", "data": {"errors"}, "message", "reason"}
    if isinstance(body.get("errors"), list):
        return _errors_array(body)
    message = _text(body.get("message"))
    data = body.get("data")
    if not message and isinstance(data, dict):
        details = []
        for item in data.get("errors") or []:
            text = item.get("message") if isinstance(item, dict) else item
            if isinstance(text, dict):  # {"key": ..., "translation": ...}
                text = text.get("translation") or text.get("key")
            details.append(_text(text))
        message = "; ".join(d for d in details if d)
    return message or _text(body.get("reason")), None


def _text(value: Any) -> str:
    return (
        value.strip()
        if isinstance(value, str)
        else ("" if value is None else str(value))
    )


# ---------------------------------------------------------------------------
# Rate-limit headers
# ---------------------------------------------------------------------------

_BETA_RESET = re.compile(r"(?:^|[;,\s])t=(\d+(?:\.\d+)?)")


def retry_after_seconds(headers: httpx.Headers, now: datetime) -> float | None:
    """The wait the target asks for: Retry-After, Beta-RateLimit t=, or X-RateLimit-Reset."""
    value = headers.get("Retry-After")
    if value:
        seconds = _seconds_or_date(value.strip(), now)
        if seconds is not None:
            return seconds
    beta = headers.get("Beta-RateLimit")
    if beta and (match := _BETA_RESET.search(beta)):
        return float(match.group(1))
    reset = headers.get("X-RateLimit-Reset")
    if reset:
        moment = _iso_time(reset.strip())
        if moment is not None:
            return max(0.0, (moment - now).total_seconds())
    return None


def _seconds_or_date(value: str, now: datetime) -> float | None:
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())


def _iso_time(value: str) -> datetime | None:
    # Jira documents `yyyy-MM-ddTHH:mmZ`; accept seconds and offsets too.
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
