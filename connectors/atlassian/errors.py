"""Status → error mapping for every Atlassian family, and the rate-limit headers.

Keeps Atlassian's own message and error code from each family's error body (SCIM,
Admin, Jira, Confluence v1 and v2) and turns 429/5xx rate-limit headers into seconds.
"""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

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
    Unavailable,
)

if TYPE_CHECKING:
    import httpx

# Atlassian words a licence/seat exhaustion in several ways; it arrives as 400, 403 or 409.
LICENCE_PATTERN = re.compile(
    r"licen[cs]e|user limit|seat limit|exceed(?:s|ed)? the (?:number|limit)", re.I
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
