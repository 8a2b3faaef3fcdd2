"""Organizations (Admin) API v2 groups: list, search, count, get, create, delete, members, roles."""

from __future__ import annotations

from typing import Any

from connectors.simulator.admin import V2, cursor_page, limit_of, member_of_directory
from connectors.simulator.ops import LicenceLimitReached, join_group, leave_group
from connectors.simulator.routing import (
    Ctx,
    Route,
    check_object,
    check_str_list,
    registrar,
)
from connectors.simulator.state import Group, utc_now
from connectors.simulator.wire import ApiError, Response, empty, json_response

ROUTES: list[Route] = []
route = registrar(ROUTES)
G = V2 + "/groups"
SEARCH_BODY = {
    "cursor": str,
    "limit": int,
    "sortBy": str,
    "accountIds": list,
    "directoryIds": list,
    "roleIds": list,
    "resourceOwners": list,
    "resourceIds": list,
    "searchTerm": str,
    "groupIds": list,
    "groupNames": list,
    "expand": list,
}
ROLE_BODY = {"roleId": str, "resourceId": str}


def group_json(
    ctx: Ctx, group: Group, expand: list[str] | None = None
) -> dict[str, Any]:
    """Render an Admin group."""
    expand = expand or []
    data: dict[str, Any] = {
        "id": group.group_id,
        "name": group.name,
        "description": group.description,
        "directoryId": ctx.config.admin_directory_id,
        "managementAccess": "READ_ONLY" if group.external_synced else "FULL",
        "externalSynced": group.external_synced,
        "managedBy": "external" if group.external_synced else "admins",
        "links": {
            "self": f"{ctx.origin()}/admin/v2/orgs/{ctx.config.org_id}/directories/"
            f"{ctx.config.admin_directory_id}/groups/{group.group_id}"
        },
    }
    counts = {}
    if "counts.users" in expand:
        counts["users"] = len(group.members)
    if "counts.resources" in expand:
        counts["resources"] = len(group.roles)
    if counts:
        data["counts"] = counts
    return data


def group_or_404(ctx: Ctx) -> Group:
    """The group in the path."""
    group = ctx.state.group_by_id.get(ctx.params["group_id"])
    if group is None:
        raise ApiError(
            404, f"Group {ctx.params['group_id']} not found.", code="GROUP_NOT_FOUND"
        )
    return group


def editable(group: Group) -> Group:
    """IdP-synced groups are read-only in the Admin API."""
    if group.external_synced:
        raise ApiError(
            403,
            f"Group '{group.name}' is synced from an external identity provider; change its "
            "membership through the identity provider (SCIM).",
            code="GROUP_EXTERNALLY_MANAGED",
        )
    return group


def groups_page(ctx: Ctx, query: dict[str, Any]) -> Response:
    """One cursor page of groups after filters."""
    state = ctx.state
    ids, names = (
        set(query.get("groupIds") or []),
        {n.lower() for n in query.get("groupNames") or []},
    )
    term = (query.get("searchTerm") or "").lower()
    accounts = [state.user_by_account.get(a) for a in query.get("accountIds") or []]
    account_groups = {seq for u in accounts if u is not None for seq in u.groups}

    def accept(seq: int) -> bool:
        group = state.groups[seq]
        return (
            (not ids or group.group_id in ids)
            and (not names or group.name.lower() in names)
            and (not term or term in group.name.lower())
            and (not query.get("accountIds") or seq in account_groups)
        )

    page, next_cursor = cursor_page(
        state.group_order,
        query.get("cursor"),
        limit_of(ctx, query.get("limit")),
        accept,
    )
    expand = query.get("expand") or []
    data = [group_json(ctx, state.groups[s], expand) for s in page]
    return json_response(
        {
            "data": data,
            "links": {"self": query.get("cursor"), "prev": None, "next": next_cursor},
        }
    )


@route("GET", G)
def list_groups(ctx: Ctx) -> Response:
    """Groups (deprecated GET form)."""
    query: dict[str, Any] = {
        k: ctx.args(k) for k in ("groupIds", "accountIds") if ctx.args(k)
    }
    query.update(
        {
            k: ctx.arg(k)
            for k in ("cursor", "limit", "searchTerm")
            if ctx.arg(k) is not None
        }
    )
    if ctx.arg("counts") == "true":
        query["expand"] = ["counts.users", "counts.resources"]
    return groups_page(ctx, query)


@route("POST", G + "/search")
def search_groups(ctx: Ctx) -> Response:
    """Groups search with a JSON body."""
    body = check_object(ctx.json() if ctx.request.body.strip() else {}, SEARCH_BODY)
    for key, kind in SEARCH_BODY.items():
        if kind is list and key in body:
            check_str_list(body[key], key)
    return groups_page(ctx, body)


@route("GET", G + "/count")
def count_groups(ctx: Ctx) -> Response:
    """How many groups the directory has."""
    return json_response({"data": {"count": len(ctx.state.group_order)}})


@route("GET", G + "/{group_id}")
def get_group(ctx: Ctx) -> Response:
    """One group."""
    return json_response(
        {
            "data": group_json(
                ctx, group_or_404(ctx), ["counts.users", "counts.resources"]
            )
        }
    )


@route("POST", G)
def create_group(ctx: Ctx) -> Response:
    """Create a group; 409 if the name is taken."""
    body = check_object(ctx.json(), {"name": str, "description": str}, ("name",))
    state, name = ctx.state, body["name"].strip()
    if (
        state.group_by_name(name) is not None
        or name.lower() in state.scim_group_by_name
    ):
        raise ApiError(
            409, f"A group named '{name}' already exists.", code="GROUP_ALREADY_EXISTS"
        )
    group = state.add_group(
        Group(
            state.new_group_seq(),
            state.ids.uuid(),
            name,
            body.get("description") or "",
            created=utc_now(),
        )
    )
    ctx.sim.record_event("group_created", ("group", group.group_id))
    return json_response({"data": group_json(ctx, group)}, 201)


@route("DELETE", G + "/{group_id}")
def delete_group(ctx: Ctx) -> Response:
    """Delete a group (not an IdP-synced one)."""
    group = editable(group_or_404(ctx))
    ctx.state.delete_group(group)
    ctx.sim.record_event("group_deleted", ("group", group.group_id))
    return empty(204)


@route("POST", G + "/{group_id}/memberships")
def add_membership(ctx: Ctx) -> Response:
    """Add a directory user; 409 ALREADY_MEMBER, 400 LICENSE_LIMIT_EXCEEDED, 403 for synced groups."""
    body = check_object(ctx.json(), {"accountId": str}, ("accountId",))
    return add_member(ctx, editable(group_or_404(ctx)), body["accountId"])


def add_member(ctx: Ctx, group: Group, account_id: str) -> Response:
    """Add a directory user to the group (v2 and legacy v1 share the answers)."""
    user = member_of_directory(ctx, account_id)
    try:
        added = join_group(ctx.sim, group, user)
    except LicenceLimitReached as error:
        raise ApiError(
            400,
            f"Adding the user to '{group.name}' would exceed the product's user limit "
            f"({error.limit}).",
            code="LICENSE_LIMIT_EXCEEDED",
        ) from error
    if not added:
        raise ApiError(
            409,
            f"User {user.account_id} is already a member of group '{group.name}'.",
            code="ALREADY_MEMBER",
        )
    return empty(204)


@route("DELETE", G + "/{group_id}/memberships/{account_id}")
def remove_membership(ctx: Ctx) -> Response:
    """Remove a member; 404 NOT_A_MEMBER when absent."""
    group = editable(group_or_404(ctx))
    user = member_of_directory(ctx, ctx.params["account_id"])
    if not leave_group(ctx.sim, group, user):
        raise ApiError(
            404,
            f"User {user.account_id} is not a member of group '{group.name}'.",
            code="NOT_A_MEMBER",
        )
    return empty(204)


def role_body(ctx: Ctx) -> tuple[str, str]:
    """A {roleId, resourceId} body naming a known role and workspace."""
    from connectors.simulator.admin_access import ROLES

    body = check_object(ctx.json(), ROLE_BODY, ("roleId", "resourceId"))
    if body["roleId"] not in ROLES:
        raise ApiError(400, f"Unknown role '{body['roleId']}'.", code="INVALID_ROLE")
    if body["resourceId"] not in ctx.config.workspaces:
        raise ApiError(
            404,
            f"Resource '{body['resourceId']}' not found.",
            code="RESOURCE_NOT_FOUND",
        )
    return body["roleId"], body["resourceId"]


@route("POST", G + "/{group_id}/role-assignments/assign")
def assign_group_role(ctx: Ctx) -> Response:
    """Grant a role on a workspace to the group (idempotent)."""
    group = group_or_404(ctx)
    pair = role_body(ctx)
    if pair not in group.roles:
        group.roles.append(pair)
        ctx.sim.record_event(
            "group_role_assigned", ("group", group.group_id), ("resource", pair[1])
        )
    return empty(204)


@route("POST", G + "/{group_id}/role-assignments/revoke")
def revoke_group_role(ctx: Ctx) -> Response:
    """Revoke a role from the group (idempotent)."""
    group = group_or_404(ctx)
    pair = role_body(ctx)
    if pair in group.roles:
        group.roles.remove(pair)
        ctx.sim.record_event(
            "group_role_revoked", ("group", group.group_id), ("resource", pair[1])
        )
    return empty(204)


@route("GET", G + "/{group_id}/role-assignments")
def list_group_roles(ctx: Ctx) -> Response:
    """The group's role assignments."""
    group = group_or_404(ctx)
    data = [
        {
            "roleId": r,
            "resourceId": res,
            "principalId": group.group_id,
            "principalType": "GROUP",
        }
        for r, res in group.roles
    ]
    return json_response(
        {"data": data, "links": {"self": None, "prev": None, "next": None}}
    )
