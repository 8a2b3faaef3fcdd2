"""Plain request/response objects and the error every handler raises."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

REASONS = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass(slots=True)
class Request:
    """One HTTP request, independent of how it arrived (httpx transport or socket)."""

    method: str
    path: str
    query: dict[str, list[str]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""
    origin: str = "http://localhost"  # scheme://host[:port], used for absolute links


@dataclass(slots=True)
class Response:
    """One HTTP response ready to be written."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        """Return the first header called `name` (case-insensitive)."""
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


class ApiError(Exception):
    """An error answer; the app renders it in the calling API family's error body."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        code: str | None = None,
        scim_type: str | None = None,
        field: str | None = None,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code
        self.scim_type = scim_type
        self.field = field
        self.headers = headers or []


def dumps(data: Any) -> bytes:
    """Encode JSON compactly."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def json_response(
    data: Any,
    status: int = 200,
    headers: list[tuple[str, str]] | None = None,
    content_type: str = "application/json;charset=UTF-8",
) -> Response:
    """Build a JSON response."""
    return Response(
        status, dumps(data), [("Content-Type", content_type), *(headers or [])]
    )


def empty(status: int = 204) -> Response:
    """Build a response without a body."""
    return Response(status, b"", [])
