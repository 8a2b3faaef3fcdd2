"""SCIM 2.0 API plumbing and discovery: ServiceProviderConfig, ResourceTypes, Schemas.

The base path, SCIM replies, attribute projection, startIndex/count paging, list pages
and the PatchOp envelope, shared by `scim_users.py` (Users) and `scim_groups.py` (Groups).
"""

from __future__ import annotations

from typing import Any

from connectors.simulator import scim_meta
from connectors.simulator.paging import clamp
from connectors.simulator.routing import Ctx, Route, registrar
from connectors.simulator.scim_model import LIST_RESPONSE, bad
from connectors.simulator.wire import ApiError, Response, json_response

ROUTES: list[Route] = []
route = registrar(ROUTES)
P = "/scim/directory/{directory}"
SCIM_JSON = "application/scim+json;charset=UTF-8"
MAX_COUNT = 100


def scim_base(ctx: Ctx) -> str:
    """The SCIM base URL as the caller sees it."""
    return f"{ctx.origin()}/scim/directory/{ctx.config.directory_id}"


def reply(data: Any, status: int = 200) -> Response:
    """A SCIM JSON response."""
    return json_response(data, status, content_type=SCIM_JSON)


def projection(ctx: Ctx) -> tuple[list[str], list[str]]:
    """attributes / excludedAttributes, which are mutually exclusive."""
    attributes, excluded = ctx.args("attributes"), ctx.args("excludedAttributes")
    if attributes and excluded:
        raise bad(
            "'attributes' and 'excludedAttributes' are mutually exclusive.",
            "invalidSyntax",
        )
    return attributes, excluded


def paging(ctx: Ctx) -> tuple[int, int]:
    """startIndex (1-based; below 1 means 1) and count (0..100)."""
    start = max(1, ctx.int_arg("startIndex", 1, low=-(2**31)))
    return start, clamp(ctx.int_arg("count", MAX_COUNT, low=0), 0, MAX_COUNT)


def list_response(
    resources: list[dict[str, Any]], total: int, start: int
) -> dict[str, Any]:
    """A SCIM ListResponse page."""
    return {
        "schemas": [LIST_RESPONSE],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


@route("GET", P + "/ServiceProviderConfig")
def get_service_provider_config(ctx: Ctx) -> Response:
    """Capabilities of the service."""
    return reply(scim_meta.service_provider_config(scim_base(ctx)))


def one_of(resources: dict[str, dict[str, Any]], key: str, kind: str) -> Response:
    """One metadata resource by its key, else a SCIM 404."""
    found = resources.get(key)
    if found is None:
        raise ApiError(404, f"{kind} {key} not found.")
    return reply(found)


@route("GET", P + "/ResourceTypes")
def list_resource_types(ctx: Ctx) -> Response:
    """All resource types."""
    return reply(
        scim_meta.list_of(list(scim_meta.resource_types(scim_base(ctx)).values()))
    )


@route("GET", P + "/ResourceTypes/{name}")
def get_resource_type(ctx: Ctx) -> Response:
    """One resource type."""
    resources = scim_meta.resource_types(scim_base(ctx))
    return one_of(resources, ctx.params["name"], "Resource type")


@route("GET", P + "/Schemas")
def list_schemas(ctx: Ctx) -> Response:
    """All schemas."""
    return reply(scim_meta.list_of(list(scim_meta.schemas(scim_base(ctx)).values())))


@route("GET", P + "/Schemas/{urn}")
def get_schema(ctx: Ctx) -> Response:
    """One schema by URN."""
    return one_of(scim_meta.schemas(scim_base(ctx)), ctx.params["urn"], "Schema")


def patch_operations(body: Any) -> list[dict[str, Any]]:
    """Validate a PatchOp envelope and return its operations."""
    if not isinstance(body, dict) or set(body) - {
        "schemas",
        "Operations",
        "operations",
    }:
        raise bad(
            "The body must be a PatchOp with 'schemas' and 'Operations'.",
            "invalidSyntax",
        )
    operations = body.get("Operations", body.get("operations"))
    if not isinstance(operations, list) or not operations:
        raise bad("'Operations' must be a non-empty list.", "invalidSyntax")
    for operation in operations:
        if not isinstance(operation, dict) or set(operation) - {"op", "path", "value"}:
            raise bad(
                "Each operation has only 'op', 'path' and 'value'.", "invalidSyntax"
            )
        if str(operation.get("op", "")).lower() not in ("add", "replace", "remove"):
            raise bad(f"Unsupported op '{operation.get('op')}'.", "invalidSyntax")
        if operation.get("path") is not None and not isinstance(operation["path"], str):
            raise bad("'path' must be a string.", "invalidPath")
    return operations
