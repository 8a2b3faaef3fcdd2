"""Who may call: each family's credentials, the org or directory a path must name."""

from __future__ import annotations

import base64
import binascii
import hmac
from typing import TYPE_CHECKING

from connectors.simulator.wire import ApiError

if TYPE_CHECKING:
    from connectors.simulator.config import SimulatorConfig
    from connectors.simulator.wire import Request


def authenticate(config: SimulatorConfig, request: Request, family: str) -> None:
    """Check the family's credentials; 401 otherwise."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if family in ("scim", "admin"):
        expected = config.directory_api_key if family == "scim" else config.org_api_key
        if scheme.lower() == "bearer" and hmac.compare_digest(value.strip(), expected):
            return
        raise ApiError(
            401,
            "Unauthorized: a valid bearer API key is required.",
            code="UNAUTHORIZED",
            headers=[("WWW-Authenticate", 'Bearer realm="api.atlassian.com"')],
        )
    if scheme.lower() == "basic":
        try:
            email, _, token = (
                base64.b64decode(value.strip(), validate=True).decode().partition(":")
            )
        except (binascii.Error, UnicodeDecodeError):
            email, token = "", ""
        if email.lower() == config.admin_email.lower() and hmac.compare_digest(
            token, config.api_token
        ):
            return
    message = "Client must be authenticated to access this resource."
    raise ApiError(
        401, message, headers=[("WWW-Authenticate", 'Basic realm="protected-area"')]
    )


def check_scope(config: SimulatorConfig, params: dict[str, str], family: str) -> None:
    """A path naming another directory or org is a 404."""
    if family == "scim" and params.get("directory") != config.directory_id:
        raise ApiError(404, "Directory not found.")
    if "org_id" in params and params["org_id"] != config.org_id:
        raise ApiError(
            404, f"Organization {params['org_id']} not found.", code="ORG_NOT_FOUND"
        )
    if "directory_id" in params and params["directory_id"] != config.admin_directory_id:
        raise ApiError(
            404,
            f"Directory {params['directory_id']} not found.",
            code="DIRECTORY_NOT_FOUND",
        )
