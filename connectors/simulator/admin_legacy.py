"""Admin API legacy v1 group calls (snake_case `account_id`) and last-active dates."""

from __future__ import annotations

from connectors.simulator.admin import V1, member_of_directory
from connectors.simulator.admin_groups import (
    add_member,
    create_group,
    delete_group,
    editable,
    group_or_404,
    remove_membership,
)
from connectors.simulator.ops import product_keys
from connectors.simulator.routing import Ctx, Route, check_object, registrar
from connectors.simulator.wire import Response, json_response

ROUTES: list[Route] = []
route = registrar(ROUTES)
G1 = V1 + "/directory/groups"


@route("POST", G1)
def create_group_v1(ctx: Ctx) -> Response:
    """Create a group (legacy v1): the same body and answers as v2."""
    return create_group(ctx)


@route("DELETE", G1 + "/{group_id}")
def delete_group_v1(ctx: Ctx) -> Response:
    """Delete a group (legacy v1)."""
    return delete_group(ctx)


@route("POST", G1 + "/{group_id}/memberships")
def add_membership_v1(ctx: Ctx) -> Response:
    """Add a member; the v1 body is snake_case `{"account_id": ...}`."""
    body = check_object(ctx.json(), {"account_id": str}, ("account_id",))
    return add_member(ctx, editable(group_or_404(ctx)), body["account_id"])


@route("DELETE", G1 + "/{group_id}/memberships/{account_id}")
def remove_membership_v1(ctx: Ctx) -> Response:
    """Remove a member (legacy v1)."""
    return remove_membership(ctx)


@route("GET", V1 + "/directory/users/{account_id}/last-active-dates")
def last_active_dates(ctx: Ctx) -> Response:
    """Per-product last-active dates (here one date for all of a user's products)."""
    user = member_of_directory(ctx, ctx.params["account_id"])
    access = (
        [
            {"id": key, "key": key, "last_active": user.last_active}
            for key in product_keys(ctx.sim, user)
        ]
        if user.last_active
        else []
    )  # empty until a product has seen the user
    return json_response(
        {
            "data": {"product_access": access, "added_to_org": user.created},
            "links": {"next": None},
        }
    )
