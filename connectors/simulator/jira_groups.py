"""Jira Cloud REST v3 groups: bulk list, members, create/delete, add/remove user, picker."""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

from connectors.simulator.jira import (
    J,
    account_arg,
    group_ref,
    page_bean,
    user_json,
    window,
)
from connectors.simulator.ops import LicenceLimitReached, join_group, leave_group
from connectors.simulator.paging import clamp, contains_sorted
from connectors.simulator.routing import Ctx, Route, check_object, registrar
from connectors.simulator.state import Group, utc_now
from connectors.simulator.wire import ApiError, Response, empty, json_response

ROUTES: list[Route] = []
route = registrar(ROUTES)
SMALL_GROUP = 5000  # filter these directly; bigger ones use the cached inactive set


def group_arg(ctx: Ctx) -> Group:
    """The group named by `groupId` or `groupname` (mutually exclusive)."""
    group_id, name = ctx.arg("groupId"), ctx.arg("groupname") or ctx.arg("groupName")
    if group_id and name:
        raise ApiError(400, "You must provide either groupId or groupname, not both.")
    if not group_id and not name:
        raise ApiError(400, "Either groupname or groupId must be specified.")
    group = (
        ctx.state.group_by_id.get(group_id)
        if group_id
        else ctx.state.group_by_name(name or "")
    )
    if group is None:
        raise ApiError(404, f"Specified group does not exist: {group_id or name}")
    return group


def writable(group: Group) -> Group:
    """IdP-synced groups are read-only in Jira."""
    if group.external_synced:
        raise ApiError(
            400,
            f"Group '{group.name}' is synced from an external identity provider and is read-only "
            "in Jira. Change it in the identity provider (SCIM).",
        )
    return group


@route("GET", J + "/group/bulk")
def bulk_get_groups(ctx: Ctx) -> Response:
    """Groups, page bean of {groupId, name}; filters groupId/groupName (repeat)."""
    start, size = window(ctx, 50, 50)
    state = ctx.state
    ids, names = (
        ctx.request.query.get("groupId", []),
        ctx.request.query.get("groupName", []),
    )
    if ids or names:
        wanted = [state.group_by_id.get(i) for i in ids] + [
            state.group_by_name(n) for n in names
        ]
        chosen = sorted({g.seq for g in wanted if g is not None})
        seqs, total = chosen[start : start + size], len(chosen)
    else:
        seqs, total = state.group_order[start : start + size], len(state.group_order)
    values = [
        {"groupId": state.groups[s].group_id, "name": state.groups[s].name}
        for s in seqs
    ]
    return json_response(page_bean(ctx, values, start, size, total))


@route("GET", J + "/group/member")
def get_group_members(ctx: Ctx) -> Response:
    """Members of a group, page bean; inactive users only with includeInactiveUsers=true."""
    group = group_arg(ctx)
    start, size = window(ctx, 50, 50)
    state = ctx.state
    members = group.members
    if ctx.bool_arg("includeInactiveUsers", default=False):
        seqs, total = members[start : start + size], len(members)
    elif len(members) <= SMALL_GROUP:
        active = [s for s in members if state.users[s].active]
        seqs, total = active[start : start + size], len(active)
    else:  # big groups skip the (few) inactive members without scanning everyone
        seqs, total = active_slice(members, state.inactive_seqs(), start, size)
    values = [user_json(ctx, state.users[s]) for s in seqs]
    return json_response(page_bean(ctx, values, start, size, total))


def active_slice(
    members: list[int], inactive: set[int], start: int, size: int
) -> tuple[list[int], int]:
    """Page over the active members in O(page + inactive), not O(members)."""
    positions = sorted(bisect_left(members, s) for s in inactive if _holds(members, s))
    index = start
    for (
        position
    ) in positions:  # the start-th active member sits after the inactive ones before it
        if position <= index:
            index += 1
        else:
            break
    skip, page = set(positions), []
    while index < len(members) and len(page) < size:
        if index not in skip:
            page.append(members[index])
        index += 1
    return page, len(members) - len(positions)


def _holds(members: list[int], seq: int) -> bool:
    """Whether the sorted list holds seq."""
    return contains_sorted(members, seq)


def group_json(ctx: Ctx, group: Group) -> dict[str, Any]:
    """The Group bean returned by create and add-user."""
    return {
        **group_ref(ctx, group),
        "users": {
            "size": len(group.members),
            "items": [],
            "max-results": 50,
            "start-index": 0,
            "end-index": 0,
        },
        "expand": "users",
    }


@route("POST", J + "/group")
def create_group(ctx: Ctx) -> Response:
    """Create a group; 400 if the name is in use."""
    body = check_object(ctx.json(), {"name": str}, ("name",))
    state, name = ctx.state, body["name"].strip()
    if (
        state.group_by_name(name) is not None
        or name.lower() in state.scim_group_by_name
    ):
        raise ApiError(400, f"A group with name '{name}' already exists.", field="name")
    group = state.add_group(
        Group(state.new_group_seq(), state.ids.uuid(), name, created=utc_now())
    )
    ctx.sim.record_event("group_created", ("group", group.group_id))
    return json_response(group_json(ctx, group), 201)


@route("DELETE", J + "/group")
def delete_group(ctx: Ctx) -> Response:
    """Delete a group (optional swapGroupId must exist)."""
    group = writable(group_arg(ctx))
    swap = ctx.arg("swapGroupId")
    if swap and swap not in ctx.state.group_by_id:
        raise ApiError(404, f"Specified swap group does not exist: {swap}")
    ctx.state.delete_group(group)
    ctx.sim.record_event("group_deleted", ("group", group.group_id))
    return empty(200)


@route("POST", J + "/group/user")
def add_user_to_group(ctx: Ctx) -> Response:
    """Add a user; 400 'is already a member of' when present, 400 on a full licence."""
    group = writable(group_arg(ctx))
    body = check_object(ctx.json(), {"accountId": str, "name": str}, ("accountId",))
    user = ctx.state.user_by_account.get(body["accountId"])
    if user is None or user.closed:
        raise ApiError(404, f"Specified user does not exist: {body['accountId']}")
    try:
        added = join_group(ctx.sim, group, user)
    except LicenceLimitReached as error:
        raise ApiError(
            400,
            f"Cannot add user. Adding user '{user.account_id}' to group '{group.name}' would "
            f"exceed the license limit ({error.limit} users).",
        ) from error
    if not added:
        raise ApiError(
            400,
            f"Cannot add user. User '{user.account_id}' is already a member of '{group.name}'.",
        )
    return json_response(group_json(ctx, group), 201)


@route("DELETE", J + "/group/user")
def remove_user_from_group(ctx: Ctx) -> Response:
    """Remove a user; 400 'is not a member of' when absent."""
    group = writable(group_arg(ctx))
    user = account_arg(ctx)
    if not leave_group(ctx.sim, group, user):
        raise ApiError(
            400,
            f"Cannot remove user. User '{user.account_id}' is not a member of '{group.name}'.",
        )
    return empty(200)


@route("GET", J + "/groups/picker")
def pick_groups(ctx: Ctx) -> Response:
    """Groups whose name contains `query` (case-insensitive)."""
    query, size = (
        (ctx.arg("query") or "").lower(),
        clamp(ctx.int_arg("maxResults", 20), 0, 1000),
    )
    excluded = set(ctx.request.query.get("exclude", [])) | set(
        ctx.request.query.get("excludeId", [])
    )
    state = ctx.state
    found = [
        g
        for g in (state.groups[s] for s in state.group_order)
        if query in g.name.lower()
        and g.name not in excluded
        and g.group_id not in excluded
    ]
    groups = [
        {"name": g.name, "html": g.name, "groupId": g.group_id, "labels": []}
        for g in found[:size]
    ]
    header = f"Showing {len(groups)} of {len(found)} matching groups"
    return json_response({"header": header, "total": len(found), "groups": groups})
