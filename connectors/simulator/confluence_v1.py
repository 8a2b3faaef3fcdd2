"""Confluence v1 spaces: list/get/create/delete, and the space-permission writes (v1 only)."""

from __future__ import annotations

from typing import Any

from connectors.simulator import confluence_tasks
from connectors.simulator.confluence import V1, VALID_PAIRS, new_space, space_by_key
from connectors.simulator.paging import clamp
from connectors.simulator.routing import Ctx, Route, check_object, registrar
from connectors.simulator.state import Permission, Space
from connectors.simulator.wire import ApiError, Response, empty, json_response

ROUTES: list[Route] = []
route = registrar(ROUTES)


def space_v1(ctx: Ctx, space: Space) -> dict[str, Any]:
    """Render a v1 space (permissions with expand=permissions)."""
    data: dict[str, Any] = {
        "id": space.id,
        "key": space.key,
        "name": space.name,
        "type": space.type,
        "status": space.status,
        "_links": {
            "webui": f"/spaces/{space.key}",
            "self": f"{ctx.origin()}{V1}/space/{space.key}",
        },
        "_expandable": {
            "description": "",
            "homepage": "",
            "permissions": "",
            "metadata": "",
        },
    }
    expand = set(ctx.args("expand"))
    if "description" in expand or "description.plain" in expand:
        data["description"] = {
            "plain": {"value": space.description, "representation": "plain"}
        }
    if "permissions" in expand:
        data["permissions"] = [
            permission_v1(ctx, p) for p in space.permissions.values()
        ]
    return data


def permission_v1(ctx: Ctx, permission: Permission) -> dict[str, Any]:
    """Render a v1 space permission (the deprecated expand=permissions form)."""
    subjects: dict[str, Any] = {}
    if permission.principal_type == "user":
        user = ctx.state.user_by_account.get(permission.principal_id)
        name = user.display_name if user else ""
        subjects["user"] = {
            "results": [
                {
                    "type": "known",
                    "accountId": permission.principal_id,
                    "displayName": name,
                }
            ],
            "size": 1,
        }
    elif permission.principal_type == "group":
        group = ctx.state.group_by_id.get(permission.principal_id)
        subjects["group"] = {
            "results": [
                {
                    "type": "group",
                    "name": group.name if group else "",
                    "id": permission.principal_id,
                }
            ],
            "size": 1,
        }
    return {
        "id": permission.id,
        "subjects": subjects,
        "operation": {"operation": permission.key, "targetType": permission.target},
        "anonymousAccess": permission.principal_type == "anonymous",
        "unlicensedAccess": False,
    }


@route("GET", V1 + "/space")
def list_spaces_v1(ctx: Ctx) -> Response:
    """v1 spaces (deprecated read), start/limit paging."""
    state = ctx.state
    start, limit = (
        ctx.int_arg("start", 0),
        clamp(ctx.int_arg("limit", 25, low=1), 1, 250),
    )
    keys, kind, status = (
        set(ctx.request.query.get("spaceKey", [])),
        ctx.arg("type"),
        ctx.arg("status"),
    )
    chosen = [
        s
        for s in (state.spaces[i] for i in state.space_order)
        if (not keys or s.key in keys)
        and (not kind or s.type == kind)
        and (not status or s.status == status)
    ]
    results = [space_v1(ctx, s) for s in chosen[start : start + limit]]
    links: dict[str, Any] = {
        "base": f"{ctx.origin()}/wiki",
        "context": "/wiki",
        "self": f"{ctx.origin()}{V1}/space",
    }
    if start + limit < len(chosen):
        links["next"] = f"/rest/api/space?start={start + limit}&limit={limit}"
    return json_response(
        {
            "results": results,
            "start": start,
            "limit": limit,
            "size": len(results),
            "_links": links,
        }
    )


@route("GET", V1 + "/space/{space_key}")
def get_space_v1(ctx: Ctx) -> Response:
    """One v1 space."""
    return json_response(space_v1(ctx, space_by_key(ctx)))


@route("POST", V1 + "/space")
def create_space_v1(ctx: Ctx) -> Response:
    """Create a space (v1); 400 if the key exists."""
    body = check_object(
        ctx.json(),
        {
            "key": str,
            "name": str,
            "description": dict,
            "permissions": list,
            "type": str,
        },
        ("key", "name"),
    )
    plain = (body.get("description") or {}).get("plain") or {}
    space = new_space(ctx, body["key"], body["name"], str(plain.get("value", "")))
    return json_response(space_v1(ctx, space))


@route("DELETE", V1 + "/space/{space_key}")
def delete_space_v1(ctx: Ctx) -> Response:
    """Delete a space: 202 with a long task to poll."""
    space = space_by_key(ctx)
    state = ctx.state
    del state.spaces[space.id], state.space_by_key[space.key]
    state.space_order.remove(space.id)
    for content_id in [c.id for c in state.content.values() if c.space_id == space.id]:
        del state.content[content_id]
    ctx.sim.record_event("space_deleted", ("space", str(space.id)))
    task = confluence_tasks.start(
        ctx, "com.atlassian.confluence.spaces.delete", "space-delete"
    )
    return json_response(
        {"id": task.id, "links": {"status": f"{V1}/longtask/{task.id}"}}, 202
    )


def subject_of(ctx: Ctx, subject: Any) -> tuple[str, str]:
    """Validate a v1 permission subject; return (principal_type, principal_id)."""
    check_object(
        subject, {"type": str, "identifier": str}, ("type", "identifier"), "subject"
    )
    kind, ident = subject["type"], subject["identifier"]
    if kind == "user":
        if ident == "anonymous":
            return "anonymous", "anonymous"
        user = ctx.state.user_by_account.get(ident)
        if user is None or user.closed:
            raise ApiError(400, f"No user found with accountId {ident}")
        return "user", user.account_id
    if kind == "group":
        group = ctx.state.group_by_id.get(ident) or ctx.state.group_by_name(ident)
        if group is None:
            raise ApiError(400, f"No group found with identifier {ident}")
        return "group", group.group_id
    raise ApiError(400, f"Invalid subject type '{kind}'; use user or group.")


@route("POST", V1 + "/space/{space_key}/permission")
def add_space_permission(ctx: Ctx) -> Response:
    """Grant one key/target pair; 400 if it exists or the subject lacks read/space."""
    space = space_by_key(ctx)
    body = check_object(
        ctx.json(),
        {"subject": dict, "operation": dict, "_links": dict},
        ("subject", "operation"),
    )
    principal_type, principal_id = subject_of(ctx, body["subject"])
    operation = check_object(
        body["operation"], {"key": str, "target": str}, ("key", "target"), "operation"
    )
    pair = (operation["key"], operation["target"])
    if pair not in VALID_PAIRS:
        raise ApiError(
            400,
            f"Invalid operation: key '{pair[0]}' with target '{pair[1]}' is not a valid space permission.",
        )
    held = {
        (p.key, p.target)
        for p in space.permissions.values()
        if p.principal_id == principal_id
    }
    if pair in held:
        raise ApiError(400, "Permission already exists.")
    if pair != ("read", "space") and ("read", "space") not in held:
        raise ApiError(
            400,
            "Subject must have 'read' 'space' permission before other permissions can be granted.",
        )
    permission = ctx.state.add_permission(space, principal_type, principal_id, *pair)
    ctx.sim.record_event(
        "space_permission_added",
        ("space", str(space.id)),
        (principal_type, principal_id),
    )
    subject = {
        "type": "user" if principal_type == "anonymous" else principal_type,
        "identifier": principal_id,
    }
    return json_response(
        {
            "id": permission.id,
            "subject": subject,
            "operation": {"key": pair[0], "target": pair[1]},
            "_links": {
                "self": f"{ctx.origin()}{V1}/space/{space.key}/permission/{permission.id}"
            },
        }
    )


@route("DELETE", V1 + "/space/{space_key}/permission/{permission_id}")
def delete_space_permission(ctx: Ctx) -> Response:
    """Revoke one permission; read/space takes all of the subject's; the last admin stays."""
    space = space_by_key(ctx)
    raw = ctx.params["permission_id"]
    permission = space.permissions.get(int(raw)) if raw.isdigit() else None
    if permission is None:
        raise ApiError(404, f"No permission with id {raw} in space {space.key}")
    doomed = [permission]
    if (permission.key, permission.target) == ("read", "space"):
        doomed = [
            p
            for p in space.permissions.values()
            if p.principal_id == permission.principal_id
        ]
    admins = [
        p
        for p in space.permissions.values()
        if (p.key, p.target) == ("administer", "space")
    ]
    if admins and all(p in doomed for p in admins):
        raise ApiError(
            400, "Cannot remove the last 'administer' permission of the space."
        )
    for item in doomed:
        del space.permissions[item.id]
    ctx.sim.record_event(
        "space_permission_removed",
        ("space", str(space.id)),
        (permission.principal_type, permission.principal_id),
    )
    return empty(204)
