"""Admin API directory users: list, search, count, get, suspend, restore, remove, roles.

The v2 routes, with the legacy v1 suspend/restore/remove forms answered the same way.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from connectors.simulator.admin import (
    V1,
    V2,
    cursor_page,
    limit_of,
    member_of_directory,
    product_entry,
)
from connectors.simulator.ops import product_keys, visible_groups
from connectors.simulator.routing import (
    Ctx,
    Route,
    check_object,
    check_str_list,
    registrar,
)
from connectors.simulator.state import User
from connectors.simulator.wire import ApiError, Response, empty, json_response

ROUTES: list[Route] = []
route = registrar(ROUTES)
USER_FILTERS = {
    "cursor": str,
    "limit": int,
    "accountIds": list,
    "directoryIds": list,
    "resourceIds": list,
    "groupIds": list,
    "mfaEnabled": bool,
    "claimStatus": str,
    "status": list,
    "accountStatus": list,
    "membershipStatus": list,
    "roleIds": list,
    "emailDomains": list,
    "searchTerm": str,
    "sortBy": str,
    "resourceOwners": list,
}
SEARCH_BODY = {**USER_FILTERS, "emails": list, "expand": list}


def user_status(user: User) -> str:
    """The v2 `status` of a directory user."""
    if user.disabled or user.closed:
        return "deactivated"
    return "suspended" if user.suspended else "active"


def directory_user(
    ctx: Ctx, user: User, expand: list[str] | None = None
) -> dict[str, Any]:
    """Render a v2 directory user."""
    expand = expand or []
    picture = (
        f"https://avatar-management.services.atlassian.com/{quote(user.account_id)}/128"
    )
    data: dict[str, Any] = {
        "accountId": user.account_id,
        "accountType": user.account_type,
        "status": user_status(user),
        "accountStatus": user.account_status,
        "membershipStatus": "suspended" if user.suspended else "active",
        "addedToOrg": user.created,
        "name": user.display_name,
        "nickname": user.nickname or user.given_name,
        "email": user.email,
        "emailVerified": True,
        "claimStatus": "managed" if user.managed else "unmanaged",
        "platformRoles": [],
        "picture": picture,
        "avatar": picture,
        "managementSource": "synced"
        if user.scim is not None
        else ("invited" if user.managed else None),
        "mfaEnabled": False,
        "jobTitle": user.title,
        "department": user.department,
        "organization": user.organization,
        "location": None,
        "timeZone": user.timezone,
        "counts": {"resources": len(product_keys(ctx.sim, user))},
        "productAccess": [
            product_entry(ctx, key, user.last_active)
            for key in product_keys(ctx.sim, user)
        ],
        "links": {
            "self": f"{ctx.origin()}/admin/v2/orgs/{ctx.config.org_id}/directories/"
            f"{ctx.config.admin_directory_id}/users/{user.account_id}"
        },
        "deactivatedOn": None,
        "forDeletion": user.pending_delete,
    }
    if "groups" in expand:
        data["groups"] = [
            {"id": g.group_id, "name": g.name} for g in visible_groups(ctx.sim, user)
        ]
    return data


def user_filters(ctx: Ctx, query: dict[str, Any]) -> tuple[list[int], Any]:
    """Candidate seqs (sorted) and an accept function for the users list/search filters."""
    state = ctx.state
    if query.get("searchTerm") and query.get("emails"):
        raise ApiError(
            400, "searchTerm and emails are mutually exclusive.", code="INVALID_REQUEST"
        )
    candidates: list[int] = state.directory_order
    if query.get("accountIds"):
        candidates = sorted(
            {
                u.seq
                for u in (state.user_by_account.get(a) for a in query["accountIds"])
                if u
            }
        )
    elif query.get("groupIds"):
        groups = [state.group_by_id.get(g) for g in query["groupIds"]]
        members = [g.members for g in groups if g is not None]
        candidates = (
            members[0] if len(members) == 1 else sorted({s for m in members for s in m})
        )
    domains = {d.lower() for d in query.get("emailDomains") or []}
    emails = {e.lower() for e in query.get("emails") or []}
    statuses, account_statuses = (
        set(query.get("status") or []),
        set(query.get("accountStatus") or []),
    )
    memberships, term = (
        set(query.get("membershipStatus") or []),
        (query.get("searchTerm") or "").lower(),
    )
    claim = query.get("claimStatus")

    def accept(seq: int) -> bool:
        user = state.users[seq]
        return (
            user.in_directory
            and (not domains or user.email.rpartition("@")[2].lower() in domains)
            and (not emails or user.email.lower() in emails)
            and (not statuses or user_status(user) in statuses)
            and (not account_statuses or user.account_status in account_statuses)
            and (
                not memberships
                or ("suspended" if user.suspended else "active") in memberships
            )
            and (not claim or claim == ("managed" if user.managed else "unmanaged"))
            and (
                not term
                or term in user.display_name.lower()
                or term in user.email.lower()
            )
        )

    return candidates, accept


def query_filters(ctx: Ctx) -> dict[str, Any]:
    """The users filters from a GET query string."""
    out: dict[str, Any] = {}
    for key, kind in USER_FILTERS.items():
        if kind is list:
            if ctx.args(key):
                out[key] = ctx.args(key)
        elif ctx.arg(key) is not None:
            out[key] = ctx.arg(key)
    return out


def users_page(ctx: Ctx, query: dict[str, Any], expand: list[str]) -> Response:
    """One cursor page of directory users; links.next is a bare cursor in v2."""
    candidates, accept = user_filters(ctx, query)
    page, next_cursor = cursor_page(
        candidates, query.get("cursor"), limit_of(ctx, query.get("limit")), accept
    )
    data = [directory_user(ctx, ctx.state.users[s], expand) for s in page]
    return json_response(
        {
            "data": data,
            "links": {"self": query.get("cursor"), "prev": None, "next": next_cursor},
        }
    )


@route("GET", V2 + "/users")
def list_directory_users(ctx: Ctx) -> Response:
    """Directory users (deprecated GET form) with filters."""
    return users_page(ctx, query_filters(ctx), [])


@route("POST", V2 + "/users/search")
def search_directory_users(ctx: Ctx) -> Response:
    """Directory users search with a JSON body of filters."""
    raw = ctx.json() if ctx.request.body.strip() else {}
    body = check_object(raw, SEARCH_BODY)
    for key, kind in SEARCH_BODY.items():
        if kind is list and key in body:
            check_str_list(body[key], key)
    return users_page(ctx, body, body.get("expand") or [])


@route("GET", V2 + "/users/count")
def count_directory_users(ctx: Ctx) -> Response:
    """How many directory users match the filters."""
    candidates, accept = user_filters(ctx, query_filters(ctx))
    return json_response({"data": {"count": sum(1 for s in candidates if accept(s))}})


@route("GET", V2 + "/users/{account_id}")
def get_directory_user(ctx: Ctx) -> Response:
    """One directory user."""
    return json_response(
        {
            "data": directory_user(
                ctx, member_of_directory(ctx, ctx.params["account_id"]), ["groups"]
            )
        }
    )


def set_suspended(ctx: Ctx, *, suspended: bool) -> Response:
    """Suspend or restore a user's access (idempotent); groups and roles are kept."""
    user = member_of_directory(ctx, ctx.params["account_id"])
    if user.suspended != suspended:
        user.suspended = suspended
        ctx.sim.record_event(
            "user_access_suspended" if suspended else "user_access_restored",
            ("user", user.account_id),
        )
    return empty(204)


@route("POST", V2 + "/users/{account_id}/suspend")
def suspend_user(ctx: Ctx) -> Response:
    """Suspend access (reversible)."""
    return set_suspended(ctx, suspended=True)


@route("POST", V2 + "/users/{account_id}/restore")
def restore_user(ctx: Ctx) -> Response:
    """Restore access."""
    return set_suspended(ctx, suspended=False)


@route("POST", V1 + "/directory/users/{account_id}/suspend-access")
def suspend_user_v1(ctx: Ctx) -> Response:
    """Legacy v1 suspend."""
    return set_suspended(ctx, suspended=True)


@route("POST", V1 + "/directory/users/{account_id}/restore-access")
def restore_user_v1(ctx: Ctx) -> Response:
    """Legacy v1 restore."""
    return set_suspended(ctx, suspended=False)


def remove_from_directory(ctx: Ctx) -> Response:
    """Remove a user from the directory: groups, roles and site access go."""
    user = member_of_directory(ctx, ctx.params["account_id"])
    ctx.state.forget_user_grants(user)
    user.roles.clear()
    ctx.state.set_in_directory(user, member=False)
    ctx.state.set_site_access(user, granted=False)
    ctx.sim.record_event("user_removed_from_directory", ("user", user.account_id))
    return empty(204)


@route("DELETE", V2 + "/users/{account_id}")
def delete_directory_user(ctx: Ctx) -> Response:
    """Remove from the directory (v2)."""
    return remove_from_directory(ctx)


@route("DELETE", V1 + "/directory/users/{account_id}")
def delete_directory_user_v1(ctx: Ctx) -> Response:
    """Remove from the directory (legacy v1; queued in reality, immediate here)."""
    return remove_from_directory(ctx)


@route("GET", V2 + "/users/{account_id}/role-assignments")
def list_user_role_assignments(ctx: Ctx) -> Response:
    """A user's direct role assignments."""
    user = member_of_directory(ctx, ctx.params["account_id"])
    data = [
        {
            "roleId": role,
            "resourceId": resource,
            "principalId": user.account_id,
            "principalType": "USER",
        }
        for role, resource in user.roles
    ]
    return json_response(
        {"data": data, "links": {"self": None, "prev": None, "next": None}}
    )
