"""Route declaration, per-call context, body validation and each family's error body.

The table of every family's routes is in `route_table.py`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectors.simulator.wire import (
    REASONS,
    ApiError,
    Request,
    Response,
    json_response,
)

if TYPE_CHECKING:
    from connectors.simulator.config import SimulatorConfig
    from connectors.simulator.core import Simulator
    from connectors.simulator.state import State

Handler = Callable[["Ctx"], Response]
_PARAM = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True, slots=True)
class Route:
    """One endpoint: method, path template, a stable name and its handler."""

    method: str
    template: str
    name: str
    handler: Handler
    regex: re.Pattern[str]


def registrar(
    routes: list[Route],
) -> Callable[[str, str], Callable[[Handler], Handler]]:
    """Return a decorator that appends routes to `routes`."""

    def route(method: str, template: str) -> Callable[[Handler], Handler]:
        pattern = _PARAM.sub(
            lambda m: f"(?P<{m.group(1)}>[^/]+)",
            re.escape(template).replace(r"\{", "{").replace(r"\}", "}"),
        )
        regex = re.compile(f"^{pattern}$")

        def decorate(handler: Handler) -> Handler:
            routes.append(
                Route(method, template, f"{method} {template}", handler, regex)
            )
            return handler

        return decorate

    return route


@dataclass(slots=True)
class Ctx:
    """Everything a handler needs for one call."""

    sim: Simulator
    request: Request
    params: dict[str, str]
    api: str  # scim | admin | jira | confluence-v1 | confluence-v2

    @property
    def state(self) -> State:
        """The organization's state."""
        return self.sim.state

    @property
    def config(self) -> SimulatorConfig:
        """The simulator's configuration."""
        return self.sim.config

    def arg(self, name: str, default: str | None = None) -> str | None:
        """First value of a query parameter."""
        values = self.request.query.get(name)
        return values[0] if values else default

    def args(self, name: str) -> list[str]:
        """All values of a repeatable query parameter, comma lists split."""
        out: list[str] = []
        for value in self.request.query.get(name, []):
            out.extend(v.strip() for v in value.split(",") if v.strip())
        return out

    def int_arg(self, name: str, default: int, *, low: int = 0) -> int:
        """An integer query parameter; a non-number is a 400."""
        raw = self.arg(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError as error:
            raise ApiError(
                400, f"'{name}' must be an integer, got '{raw}'.", field=name
            ) from error
        return max(low, value)

    def bool_arg(self, name: str, *, default: bool) -> bool:
        """A true/false query parameter."""
        raw = self.arg(name)
        if raw is None:
            return default
        if raw.lower() not in ("true", "false"):
            raise ApiError(400, f"'{name}' must be true or false.", field=name)
        return raw.lower() == "true"

    def json(self) -> Any:
        """The JSON body; a missing or malformed body is a 400."""
        if not self.request.body.strip():
            raise ApiError(
                400, "A request body is required.", scim_type="invalidSyntax"
            )
        try:
            return json.loads(self.request.body)
        except (ValueError, UnicodeDecodeError) as error:
            raise ApiError(
                400, f"Malformed JSON body: {error}", scim_type="invalidSyntax"
            ) from error

    def origin(self) -> str:
        """scheme://host of the call, for absolute links."""
        return self.request.origin


def check_object(
    value: Any,
    allowed: dict[str, Any],
    required: tuple[str, ...] = (),
    where: str = "body",
) -> dict[str, Any]:
    """Validate a JSON object: no unknown keys, required keys present, right types."""
    if not isinstance(value, dict):
        raise ApiError(
            400, f"The {where} must be a JSON object.", scim_type="invalidSyntax"
        )
    for key in value:
        if key not in allowed:
            raise ApiError(
                400,
                f'Unrecognized field "{key}" in {where}.',
                field=key,
                scim_type="invalidSyntax",
            )
    for key in required:
        if value.get(key) in (None, ""):
            raise ApiError(
                400, f"'{key}' is required.", field=key, scim_type="invalidValue"
            )
    for key, kinds in allowed.items():
        if (
            key in value
            and value[key] is not None
            and not isinstance(value[key], kinds)
        ):
            raise ApiError(
                400, f"'{key}' has the wrong type.", field=key, scim_type="invalidValue"
            )
        if isinstance(value.get(key), bool) and kinds is int:
            raise ApiError(
                400, f"'{key}' must be a number.", field=key, scim_type="invalidValue"
            )
    return value


def check_str_list(value: Any, field: str) -> list[str]:
    """Validate a list of strings."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ApiError(
            400,
            f"'{field}' must be a list of strings.",
            field=field,
            scim_type="invalidValue",
        )
    return value


SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
V2_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    429: "TOO_MANY_REQUESTS",
    500: "INTERNAL_SERVER_ERROR",
    503: "SERVICE_UNAVAILABLE",
}


def render_error(api: str, error: ApiError, error_id: str = "") -> Response:
    """Render an ApiError in the body shape of the calling API family."""
    status = error.status
    reason = REASONS.get(status, "Error")
    body: dict[str, Any]
    content_type = "application/json;charset=UTF-8"
    if api == "scim":
        content_type = "application/scim+json;charset=UTF-8"
        body = {"schemas": [SCIM_ERROR], "status": str(status), "detail": error.detail}
        if (error.scim_type and status == 400) or status == 409:
            body["scimType"] = error.scim_type or "uniqueness"
    elif api == "admin":
        code = error.code or V2_CODES.get(status, "ERROR")
        body = {
            "errors": [
                {
                    "id": error_id,
                    "status": str(status),
                    "code": code,
                    "title": reason,
                    "detail": error.detail,
                }
            ]
        }
    elif api == "jira":
        if error.field and status == 400:
            body = {
                "errorMessages": [],
                "errors": {error.field: error.detail},
                "status": status,
            }
        else:
            body = {"errorMessages": [error.detail], "errors": {}, "status": status}
    elif api == "confluence-v2":
        code = error.code or V2_CODES.get(status, "ERROR")
        body = {
            "errors": [
                {"status": status, "code": code, "title": error.detail, "detail": None}
            ]
        }
    else:
        data = {
            "authorized": status not in (401, 403),
            "valid": status != 400,
            "allowedInReadOnlyMode": True,
            "errors": [],
            "successful": False,
        }
        body = {
            "statusCode": status,
            "data": data,
            "message": error.detail,
            "reason": reason,
        }
    return json_response(body, status, list(error.headers), content_type=content_type)
