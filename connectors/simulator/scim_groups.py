"""SCIM 2.0 Groups: list/filter, get, create, PUT, PATCH members and name, DELETE."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectors.simulator.ops import LicenceLimitReached, join_group, leave_group
from connectors.simulator.routing import Ctx, Route, registrar
from connectors.simulator.scim import (
    P,
    list_response,
    paging,
    patch_operations,
    projection,
    reply,
    scim_base,
)
from connectors.simulator.scim_model import (
    CORE_GROUP,
    bad,
    group_resource,
    parse_filter,
    project,
)
from connectors.simulator.state import Group, User, utc_now
from connectors.simulator.wire import ApiError, Response, empty

if TYPE_CHECKING:
    from connectors.simulator.core import Simulator

ROUTES: list[Route] = []
route = registrar(ROUTES)
GROUP_KEYS = {"schemas", "id", "meta", "externalId", "displayName", "members"}
_MEMBER_FILTER = "members[value eq "


def group_or_404(ctx: Ctx) -> Group:
    """The SCIM group in the path, else a SCIM 404."""
    group = ctx.state.group_by_scim.get(ctx.params["id"])
    if group is None:
        raise ApiError(404, f"Group {ctx.params['id']} not found.")
    return group


def respond(ctx: Ctx, group: Group, status: int = 200) -> Response:
    """Render a group with the caller's projection."""
    attributes, excluded = projection(ctx)
    return reply(
        project(group_resource(ctx.state, group, scim_base(ctx)), attributes, excluded),
        status,
    )


@route("GET", P + "/Groups")
def list_groups(ctx: Ctx) -> Response:
    """List groups; only `displayName eq` filters."""
    attributes, excluded = projection(ctx)
    found = parse_filter(ctx.arg("filter"), ("displayName",))
    start, count = paging(ctx)
    state = ctx.state
    if found is None:
        groups = [
            state.groups[s]
            for s in state.scim_group_order[start - 1 : start - 1 + count]
        ]
        total = len(state.scim_group_order)
    else:
        match = state.scim_group_by_name.get(found[1].lower())
        matches = [match] if match is not None else []
        total, groups = len(matches), matches[start - 1 : start - 1 + count]
    base = scim_base(ctx)
    resources = [
        project(group_resource(state, g, base), attributes, excluded) for g in groups
    ]
    return reply(list_response(resources, total, start))


@route("GET", P + "/Groups/{id}")
def get_group(ctx: Ctx) -> Response:
    """One group."""
    return respond(ctx, group_or_404(ctx))


def check_group_body(body: Any) -> dict[str, Any]:
    """A Group body with the core schema and a displayName."""
    if not isinstance(body, dict):
        raise bad("The body must be a SCIM Group object.", "invalidSyntax")
    unknown = set(body) - GROUP_KEYS
    if unknown:
        raise bad(
            f"Unknown attribute(s): {', '.join(sorted(unknown))}.", "invalidSyntax"
        )
    if not isinstance(body.get("schemas"), list) or CORE_GROUP not in body["schemas"]:
        raise bad(f"'schemas' must include {CORE_GROUP}.", "invalidSyntax")
    if not isinstance(body.get("displayName"), str) or not body["displayName"].strip():
        raise bad("'displayName' is required.")
    return body


def member_users(ctx: Ctx, value: Any, status: int = 400) -> list[User]:
    """Resolve `[{"value": scim user id}]`; unknown users are a 400 (404 in PATCH)."""
    if not isinstance(value, list) or not all(
        isinstance(m, dict) and isinstance(m.get("value"), str) for m in value
    ):
        raise bad("'members' must be a list of objects with a 'value' (SCIM user id).")
    users = []
    for member in value:
        if set(member) - {"value", "display", "type", "$ref"}:
            raise bad(
                "Members have only 'value', 'display', 'type' and '$ref'.",
                "invalidSyntax",
            )
        user = ctx.state.user_by_scim.get(member["value"])
        if user is None:
            raise ApiError(
                status,
                f"User {member['value']} not found in this directory.",
                scim_type="invalidValue",
            )
        users.append(user)
    return users


def add_members(sim: Simulator, group: Group, users: list[User]) -> None:
    """Add members (already-members are fine); a full licence is a 400."""
    for user in users:
        try:
            join_group(sim, group, user)
        except LicenceLimitReached as error:
            detail = f"Cannot add user to group '{group.name}': the licence limit of {error.limit} users is reached."
            raise bad(detail) from error


def set_members(sim: Simulator, group: Group, users: list[User]) -> None:
    """Make the SCIM-visible membership exactly `users`."""
    wanted = {u.seq for u in users}
    for seq in list(group.members):
        user = sim.state.users[seq]
        if seq not in wanted and user.scim is not None:
            leave_group(sim, group, user)
    add_members(sim, group, users)


def rename(ctx: Ctx, group: Group, name: Any) -> None:
    """Rename a group; refused (mutability) unless enabled, as Atlassian refuses synced renames."""
    if not isinstance(name, str) or not name.strip():
        raise bad("'displayName' must be a non-empty string.")
    if name == group.name:
        return
    if not ctx.config.scim_group_rename_enabled:
        raise bad(
            "Renaming a group is not supported once it has synced to the organization. "
            "Create a new group, copy the membership and delete the old one.",
            "mutability",
        )
    if (
        name.lower() in ctx.state.scim_group_by_name
        or name.lower() in ctx.state.group_by_lower_name
    ):
        raise ApiError(
            409,
            f"Group with displayName '{name}' already exists.",
            scim_type="uniqueness",
        )
    ctx.state.rename_group(group, name)


@route("POST", P + "/Groups")
def create_group(ctx: Ctx) -> Response:
    """Create a group; 409 if the directory has the name; a site-group name clash never propagates."""
    body = check_group_body(ctx.json())
    state, name = ctx.state, body["displayName"]
    if name.lower() in state.scim_group_by_name:
        raise ApiError(409, "Group already exists", scim_type="uniqueness")
    users = member_users(ctx, body.get("members", []))
    # Quirk: a SCIM group named like an existing site group is created in the directory
    # but never reaches the sites (only the audit log shows it).
    propagated = name.lower() not in state.group_by_lower_name
    group = Group(
        state.new_group_seq(),
        state.ids.uuid(),
        name,
        scim_id=state.ids.uuid(),
        external_id=body.get("externalId"),
        external_synced=True,
        propagated=propagated,
        created=utc_now(),
    )
    state.add_group(group)
    ctx.sim.record_event(
        "group_created" if propagated else "group_sync_failed",
        ("group", group.group_id),
    )
    add_members(ctx.sim, group, users)
    return respond(ctx, group, 201)


@route("PUT", P + "/Groups/{id}")
def replace_group(ctx: Ctx) -> Response:
    """Replace name, externalId and members."""
    group = group_or_404(ctx)
    body = check_group_body(ctx.json())
    users = member_users(ctx, body.get("members", []))
    rename(ctx, group, body["displayName"])
    group.external_id = body.get("externalId")
    set_members(ctx.sim, group, users)
    return respond(ctx, group)


@route("PATCH", P + "/Groups/{id}")
def patch_group(ctx: Ctx) -> Response:
    """Members add/remove/replace (list or `members[value eq "id"]`), displayName, externalId."""
    group = group_or_404(ctx)
    for operation in patch_operations(ctx.json()):
        apply_group_operation(ctx, group, operation)
    return respond(ctx, group)


def apply_group_operation(ctx: Ctx, group: Group, operation: dict[str, Any]) -> None:
    """Apply one PATCH operation to a group."""
    op, path, value = (
        operation["op"].lower(),
        operation.get("path"),
        operation.get("value"),
    )
    lower = (path or "").strip().lower()
    if not path:
        if op == "remove" or not isinstance(value, dict):
            raise bad("An operation without a path needs an object value.", "noTarget")
        for key, item in value.items():
            apply_group_operation(ctx, group, {"op": op, "path": key, "value": item})
    elif lower == "members":
        if op == "remove" and value is None:
            set_members(ctx.sim, group, [])
            return
        users = member_users(
            ctx, value if isinstance(value, list) else [value], status=404
        )
        if op == "add":
            add_members(ctx.sim, group, users)
        elif op == "replace":
            set_members(ctx.sim, group, users)
        else:
            for user in users:
                leave_group(ctx.sim, group, user)
    elif lower.startswith(_MEMBER_FILTER) and path.endswith('"]') and op == "remove":
        scim_id = path[len(_MEMBER_FILTER) + 1 : -2]
        user = ctx.state.user_by_scim.get(scim_id)
        if user is None:
            raise ApiError(
                404,
                f"User {scim_id} not found in this directory.",
                scim_type="noTarget",
            )
        leave_group(ctx.sim, group, user)
    elif lower == "displayname" and op != "remove":
        rename(ctx, group, value)
    elif lower == "externalid":
        group.external_id = None if op == "remove" else value
    else:
        raise bad(f"Unsupported path '{path}' for op '{op}'.", "invalidPath")


@route("DELETE", P + "/Groups/{id}")
def delete_group(ctx: Ctx) -> Response:
    """Delete the group everywhere."""
    group = group_or_404(ctx)
    ctx.state.delete_group(group)
    ctx.sim.record_event("group_deleted", ("group", group.group_id))
    return empty(204)
