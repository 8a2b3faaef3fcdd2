"""Admin API legacy v1 group calls (snake_case `account_id`) and last-active dates."""

from __future__ import annotations

from connectors.simulator.admin import V1, member_of_directory
from connectors.simulator.admin_groups import editable, group_json
from connectors.simulator.ops import (
    LicenceLimitReached,
    join_group,
    leave_group,
    product_keys,
)
from connectors.simulator.routing import Ctx, Route, check_object, registrar
from connectors.simulator.state import Group, utc_now
from connectors.simulator.wire import ApiError, Response, empty, json_response

ROUTES: list[Route] = []
route = registrar(ROUTES)
G1 = V1 + "/directory/groups"


def legacy_group(ctx: Ctx) -> Group:
    """The group in a v1 path."""
    group = ctx.state.group_by_id.get(ctx.params["group_id"])
    if group is None:
        raise ApiError(
            404, f"Group {ctx.params['group_id']} not found.", code="GROUP_NOT_FOUND"
        )
    return group


@route("POST", G1)
def create_group_v1(ctx: Ctx) -> Response:
    """Create a group (legacy v1); 409 if the name is taken."""
    body = check_object(ctx.json(), {"name": str, "description": str}, ("name",))
    state, name = ctx.state, body["name"].strip()
    if (
        state.group_by_name(name) is not None
        or name.lower() in state.scim_group_by_name
    ):
        raise ApiError(
            409, f"A group named '{name}' already exists.", code="GROUP_ALREADY_EXISTS"
        )
    group = Group(
        state.new_group_seq(),
        state.ids.uuid(),
        name,
        body.get("description") or "",
        created=utc_now(),
    )
    state.add_group(group)
    ctx.sim.record_event("group_created", ("group", group.group_id))
    return json_response({"data": group_json(ctx, group)}, 201)


@route("DELETE", G1 + "/{group_id}")
def delete_group_v1(ctx: Ctx) -> Response:
    """Delete a group (legacy v1)."""
    group = editable(legacy_group(ctx))
    ctx.state.delete_group(group)
    ctx.sim.record_event("group_deleted", ("group", group.group_id))
    return empty(204)


@route("POST", G1 + "/{group_id}/memberships")
def add_membership_v1(ctx: Ctx) -> Response:
    """Add a member; the v1 body is snake_case `{"account_id": ...}`."""
    group = editable(legacy_group(ctx))
    body = check_object(ctx.json(), {"account_id": str}, ("account_id",))
    user = member_of_directory(ctx, body["account_id"])
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


@route("DELETE", G1 + "/{group_id}/memberships/{account_id}")
def remove_membership_v1(ctx: Ctx) -> Response:
    """Remove a member (legacy v1)."""
    group = editable(legacy_group(ctx))
    user = member_of_directory(ctx, ctx.params["account_id"])
    if not leave_group(ctx.sim, group, user):
        raise ApiError(
            404,
            f"User {user.account_id} is not a member of group '{group.name}'.",
            code="NOT_A_MEMBER",
        )
    return empty(204)


@route("GET", V1 + "/directory/users/{account_id}/last-active-dates")
def last_active_dates(ctx: Ctx) -> Response:
    """Per-product last-active dates (the simulator records none: `last_active` is null)."""
    user = member_of_directory(ctx, ctx.params["account_id"])
    access = [
        {"id": key, "key": key, "last_active": None}
        for key in product_keys(ctx.sim, user)
    ]
    return json_response(
        {
            "data": {"product_access": access, "added_to_org": user.created},
            "links": {"next": None},
        }
    )
