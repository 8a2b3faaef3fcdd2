"""Confluence Cloud spaces: v2 list/get/create/permissions, v1 space CRUD, permissions, long tasks."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from connectors.simulator import confluence_tasks
from connectors.simulator.paging import (
    clamp,
    decode_cursor,
    encode_cursor,
    iter_after,
    take_page,
)
from connectors.simulator.routing import Ctx, Route, check_object, registrar
from connectors.simulator.state import Permission, Space, utc_now
from connectors.simulator.wire import ApiError, Response, json_response

ROUTES: list[Route] = [*confluence_tasks.ROUTES]
route = registrar(ROUTES)
V1 = "/wiki/rest/api"
V2 = "/wiki/api/v2"
SPACE_TYPES = (
    "global",
    "collaboration",
    "knowledge_base",
    "personal",
    "system",
    "onboarding",
    "xflow_sample_space",
)
VALID_PAIRS = {
    ("read", "space"),
    ("delete", "space"),
    ("create", "page"),
    ("delete", "page"),
    ("archive", "page"),
    ("create", "blogpost"),
    ("delete", "blogpost"),
    ("create", "comment"),
    ("delete", "comment"),
    ("create", "attachment"),
    ("delete", "attachment"),
    ("export", "space"),
    ("restrict_content", "space"),
    ("administer", "space"),
}
CREATOR_PAIRS = sorted(VALID_PAIRS - {("read", "space")})


def v2_limit(ctx: Ctx) -> int:
    """v2 `limit`: default 25, maximum 250."""
    return clamp(ctx.int_arg("limit", 25, low=1), 1, 250)


def next_links(
    ctx: Ctx, next_cursor: str | None, base_data: dict[str, Any]
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Add `_links` (next is site-relative, includes /wiki) and the matching `Link` header."""
    links = {"base": f"{ctx.origin()}/wiki"}
    headers: list[tuple[str, str]] = []
    if next_cursor:
        query = {k: v[0] for k, v in ctx.request.query.items() if k != "cursor"}
        query["cursor"] = next_cursor
        url = f"{ctx.request.path}?{urlencode(query)}"
        links["next"] = url
        headers.append(
            ("Link", f'<{url}>; rel="next", <{ctx.origin()}/wiki>; rel="base"')
        )
    base_data["_links"] = links
    return base_data, headers


def space_v2(ctx: Ctx, space: Space) -> dict[str, Any]:
    """Render a v2 space."""
    data: dict[str, Any] = {
        "id": str(space.id),
        "key": space.key,
        "name": space.name,
        "type": space.type,
        "status": space.status,
        "authorId": space.author,
        "createdAt": space.created,
        "homepageId": str(space.homepage_id) if space.homepage_id else None,
        "currentActiveAlias": space.key,
        "description": None,
        "icon": None,
        "_links": {"webui": f"/spaces/{space.key}"},
    }
    if ctx.arg("description-format"):
        data["description"] = {
            ctx.arg("description-format"): {
                "value": space.description,
                "representation": ctx.arg("description-format"),
            }
        }
    return data


def space_by_id(ctx: Ctx) -> Space:
    """The space in a v2 path (numeric id)."""
    raw = ctx.params["space_id"]
    space = ctx.state.spaces.get(int(raw)) if raw.isdigit() else None
    if space is None:
        raise ApiError(404, f"Space {raw} not found.")
    return space


def space_by_key(ctx: Ctx) -> Space:
    """The space in a v1 path (key)."""
    space = ctx.state.space_by_key.get(ctx.params["space_key"])
    if space is None:
        raise ApiError(404, f"No space with key : {ctx.params['space_key']}")
    return space


@route("GET", V2 + "/spaces")
def list_spaces(ctx: Ctx) -> Response:
    """Spaces with ids/keys/type/status filters, sort and cursor paging."""
    state, limit = ctx.state, v2_limit(ctx)
    ids, keys = set(ctx.args("ids")), set(ctx.args("keys"))
    kind, statuses, sort = (
        ctx.arg("type"),
        set(ctx.args("status")),
        ctx.arg("sort") or "id",
    )
    if kind and kind not in SPACE_TYPES:
        raise ApiError(400, f"Invalid space type '{kind}'.")
    if sort not in ("id", "-id", "key", "-key", "name", "-name"):
        raise ApiError(400, f"Invalid sort '{sort}'.")

    def accept(space_id: int) -> bool:
        space = state.spaces[space_id]
        return (
            (not ids or str(space_id) in ids)
            and (not keys or space.key in keys)
            and (not kind or space.type == kind)
            and (not statuses or space.status in statuses)
        )

    cursor = ctx.arg("cursor")
    if sort == "id":
        page, more = take_page(
            iter_after(state.space_order, decode_cursor(cursor) if cursor else None),
            limit,
            accept,
        )
        next_cursor = encode_cursor(page[-1]) if more and page else None
    else:  # other orders page by offset into the sorted list
        field = sort.lstrip("-")
        ordered = sorted(
            (i for i in state.space_order if accept(i)),
            key=lambda i: getattr(state.spaces[i], field),
            reverse=sort.startswith("-"),
        )
        offset = decode_cursor(cursor) if cursor else 0
        page = ordered[offset : offset + limit]
        next_cursor = (
            encode_cursor(offset + limit) if offset + limit < len(ordered) else None
        )
    data, headers = next_links(
        ctx, next_cursor, {"results": [space_v2(ctx, state.spaces[i]) for i in page]}
    )
    return json_response(data, headers=headers)


@route("GET", V2 + "/spaces/{space_id}")
def get_space(ctx: Ctx) -> Response:
    """One space by id."""
    return json_response(space_v2(ctx, space_by_id(ctx)))


def permission_v2(permission: Permission) -> dict[str, Any]:
    """Render a v2 space permission."""
    principal = {"type": permission.principal_type, "id": permission.principal_id}
    if permission.principal_type == "anonymous":
        principal = {"type": "anonymous", "id": None}
    return {
        "id": str(permission.id),
        "principal": principal,
        "operation": {"key": permission.key, "targetType": permission.target},
    }


@route("GET", V2 + "/spaces/{space_id}/permissions")
def list_space_permissions(ctx: Ctx) -> Response:
    """A space's permissions, cursor paging."""
    space, limit = space_by_id(ctx), v2_limit(ctx)
    cursor = ctx.arg("cursor")
    keys = sorted(space.permissions)
    page, more = take_page(
        iter_after(keys, decode_cursor(cursor) if cursor else None), limit
    )
    next_cursor = encode_cursor(page[-1]) if more and page else None
    data, headers = next_links(
        ctx,
        next_cursor,
        {"results": [permission_v2(space.permissions[i]) for i in page]},
    )
    return json_response(data, headers=headers)


def new_space(ctx: Ctx, key: str, name: str, description: str) -> Space:
    """Create a space; the creator gets every permission."""
    state = ctx.state
    if not key.isalnum() or len(key) > 255:
        raise ApiError(
            400, "Space key must be alphanumeric.", code="INVALID_REQUEST_PARAMETER"
        )
    if key in state.space_by_key:
        raise ApiError(400, f"A space already exists with key {key}")
    creator = ctx.sim.service_account.account_id
    space = state.add_space(
        Space(
            state.next_space,
            key,
            name,
            author=creator,
            created=utc_now(),
            description=description,
        )
    )
    state.add_permission(space, "user", creator, "read", "space")
    for op_key, target in CREATOR_PAIRS:
        state.add_permission(space, "user", creator, op_key, target)
    ctx.sim.record_event("space_created", ("space", str(space.id)))
    return space


@route("POST", V2 + "/spaces")
def create_space_v2(ctx: Ctx) -> Response:
    """Create a space (v2)."""
    body = check_object(
        ctx.json(),
        {
            "name": str,
            "key": str,
            "alias": str,
            "description": dict,
            "roleAssignments": list,
            "copySpaceAccessConfiguration": int,
        },
        ("name",),
    )
    key = (
        body.get("key")
        or body.get("alias")
        or "".join(c for c in body["name"].upper() if c.isalnum())[:10]
    )
    description = body.get("description") or {}
    space = new_space(ctx, key, body["name"], str(description.get("value", "")))
    return json_response(space_v2(ctx, space), 201)
