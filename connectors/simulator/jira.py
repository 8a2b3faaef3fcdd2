"""Jira Cloud REST v3: users, groups, group membership, /myself and /mypermissions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from connectors.simulator.ops import (
    LicenceLimitReached,
    join_group,
    product_keys,
    visible_groups,
)
from connectors.simulator.paging import clamp
from connectors.simulator.routing import (
    Ctx,
    Route,
    check_object,
    check_str_list,
    registrar,
)
from connectors.simulator.state import Group, User, utc_now
from connectors.simulator.wire import ApiError, Response, empty, json_response

if TYPE_CHECKING:
    from collections.abc import Sequence

ROUTES: list[Route] = []
route = registrar(ROUTES)
J = "/rest/api/3"
PRODUCTS = ("jira-core", "jira-servicedesk", "jira-product-discovery", "jira-software")
PERMISSIONS = {
    "ADMINISTER": "GLOBAL",
    "SYSTEM_ADMIN": "GLOBAL",
    "USER_PICKER": "GLOBAL",
    "CREATE_PROJECT": "GLOBAL",
    "ADMINISTER_PROJECTS": "PROJECT",
    "BROWSE_PROJECTS": "PROJECT",
    "CREATE_ISSUES": "PROJECT",
    "EDIT_ISSUES": "PROJECT",
    "DELETE_ISSUES": "PROJECT",
    "TRANSITION_ISSUES": "PROJECT",
    "ASSIGN_ISSUES": "PROJECT",
    "ASSIGNABLE_USER": "PROJECT",
    "ADD_COMMENTS": "PROJECT",
}


def user_json(ctx: Ctx, user: User, expand: Sequence[str] = ()) -> dict[str, Any]:
    """Render a Jira user."""
    avatar = (
        f"https://avatar-management.services.atlassian.com/{quote(user.account_id)}"
    )
    data: dict[str, Any] = {
        "self": f"{ctx.origin()}{J}/user?accountId={quote(user.account_id)}",
        "accountId": user.account_id,
        "accountType": user.account_type,
        "emailAddress": None if user.account_type == "app" else user.email,
        "avatarUrls": {
            size: f"{avatar}/{size}" for size in ("48x48", "24x24", "16x16", "32x32")
        },
        "displayName": user.display_name,
        "active": user.active,
        "timeZone": user.timezone,
        "locale": user.locale,
    }
    if "groups" in expand:
        items = [group_ref(ctx, g) for g in visible_groups(ctx.sim, user)]
        data["groups"] = {"size": len(items), "items": items}
    if "applicationRoles" in expand:
        keys = product_keys(ctx.sim, user)
        data["applicationRoles"] = {
            "size": len(keys),
            "items": [{"key": k, "name": k} for k in keys],
        }
    data["expand"] = "groups,applicationRoles"
    return data


def group_ref(ctx: Ctx, group: Group) -> dict[str, Any]:
    """`{name, groupId, self}` as Jira lists a group."""
    return {
        "name": group.name,
        "groupId": group.group_id,
        "self": f"{ctx.origin()}{J}/group?groupId={group.group_id}",
    }


def page_bean(
    ctx: Ctx, values: list[Any], start: int, max_results: int, total: int
) -> dict[str, Any]:
    """Jira's paged bean: startAt/maxResults/total/isLast/nextPage/values."""
    is_last = start + len(values) >= total
    base = f"{ctx.origin()}{ctx.request.path}"
    data: dict[str, Any] = {
        "self": f"{base}?startAt={start}&maxResults={max_results}",
        "maxResults": max_results,
        "startAt": start,
        "total": total,
        "isLast": is_last,
        "values": values,
    }
    if not is_last:
        data["nextPage"] = (
            f"{base}?startAt={start + len(values)}&maxResults={max_results}"
        )
    return data


def window(ctx: Ctx, default: int, cap: int) -> tuple[int, int]:
    """startAt and maxResults, the latter silently capped."""
    return ctx.int_arg("startAt", 0), clamp(ctx.int_arg("maxResults", default), 0, cap)


def account_arg(ctx: Ctx) -> User:
    """The user named by `accountId`: 400 if absent, 404 if unknown."""
    account_id = ctx.arg("accountId")
    if not account_id:
        raise ApiError(
            400,
            "The accountId query parameter needs to be provided.",
            field="accountId",
        )
    user = ctx.state.user_by_account.get(account_id)
    if user is None or user.closed:
        raise ApiError(
            404,
            f"Specified user does not exist or you do not have required permissions: {account_id}",
        )
    return user


@route("GET", J + "/myself")
def get_myself(ctx: Ctx) -> Response:
    """The calling (service) account."""
    return json_response(user_json(ctx, ctx.sim.service_account, ctx.args("expand")))


@route("GET", J + "/mypermissions")
def get_my_permissions(ctx: Ctx) -> Response:
    """The service account holds every permission (it is a site admin)."""
    keys = ctx.args("permissions")
    if not keys:
        raise ApiError(
            400, "The permissions query parameter is required.", field="permissions"
        )
    project_key = ctx.arg("projectKey") or ctx.arg("projectId")
    if (
        project_key
        and project_key not in ctx.state.project_by_key
        and not _project_id_exists(ctx, project_key)
    ):
        raise ApiError(404, f"No project could be found with key '{project_key}'.")
    unknown = [k for k in keys if k not in PERMISSIONS]
    if unknown:
        raise ApiError(
            400,
            f"Unrecognized permission keys: {', '.join(unknown)}",
            field="permissions",
        )
    result = {
        k: {
            "id": str(i),
            "key": k,
            "name": k.replace("_", " ").title(),
            "type": PERMISSIONS[k],
            "description": "",
            "havePermission": True,
        }
        for i, k in enumerate(keys, start=1)
    }
    return json_response({"permissions": result})


def _project_id_exists(ctx: Ctx, raw: str) -> bool:
    """Whether `raw` is the numeric id of a project."""
    return raw.isdigit() and int(raw) in ctx.state.projects


@route("GET", J + "/users/search")
def search_all_users(ctx: Ctx) -> Response:
    """Every user of the site (active, inactive, apps), plain array, startAt/maxResults."""
    start, size = window(ctx, 50, 1000)
    state = ctx.state
    seqs = state.site_order[start : start + size]
    return json_response([user_json(ctx, state.users[s]) for s in seqs])


@route("GET", J + "/user/search")
def find_users(ctx: Ctx) -> Response:
    """Active users whose name or email starts with `query` (first 1,000 matches only)."""
    start, size = window(ctx, 50, 1000)
    query, account_id = ctx.arg("query"), ctx.arg("accountId")
    if not query and not account_id:
        raise ApiError(
            400, "One of 'query' or 'accountId' query parameters must be provided."
        )
    state, needle = ctx.state, (query or "").lower()
    found: list[User] = []
    for seq in state.site_order:
        user = state.users[seq]
        if not user.active or (account_id and user.account_id != account_id):
            continue
        words = [user.email.lower(), *user.display_name.lower().split()]
        if (
            needle
            and not any(w.startswith(needle) for w in words)
            and not user.display_name.lower().startswith(needle)
        ):
            continue
        found.append(user)
        if len(found) == 1000:
            break
    return json_response([user_json(ctx, u) for u in found[start : start + size]])


@route("GET", J + "/user")
def get_user(ctx: Ctx) -> Response:
    """One user, with optional groups/applicationRoles expansion."""
    return json_response(user_json(ctx, account_arg(ctx), ctx.args("expand")))


@route("POST", J + "/user")
def create_user(ctx: Ctx) -> Response:
    """Legacy create: 201 when created or already present with Jira access."""
    ignored = {
        "displayName": str,
        "password": str,
        "name": str,
        "key": str,
        "notification": (str, bool),
    }
    body = check_object(
        ctx.json(),
        {"emailAddress": str, "products": list, **ignored},
        ("emailAddress",),
    )
    email, products = body["emailAddress"], body.get("products")
    if "@" not in email:
        raise ApiError(400, "The email address is not valid.", field="emailAddress")
    if products is not None and any(
        p not in PRODUCTS for p in check_str_list(products, "products")
    ):
        raise ApiError(
            400,
            f"Unknown product in {products}; use one of {', '.join(PRODUCTS)}.",
            field="products",
        )
    state = ctx.state
    user = state.user_by_email(email)
    if user is not None:
        if not user.site_access:
            raise ApiError(
                400, f"The user '{email}' already exists but has no access to Jira."
            )
        return json_response(user_json(ctx, user), 201)
    user = new_account(ctx, email)
    ctx.sim.record_event("user_created", ("user", user.account_id))
    grant_products(ctx, user, ["jira-software"] if products is None else products)
    return json_response(user_json(ctx, user), 201)


def new_account(ctx: Ctx, email: str) -> User:
    """A new account for `email`: managed on a verified domain, external otherwise."""
    state = ctx.state
    managed = ctx.config.is_verified(email)
    account_id = (
        state.ids.managed_account_id() if managed else state.ids.legacy_account_id()
    )
    name = email.partition("@")[0].replace(".", " ").title()
    organization = ctx.config.org_name if managed else ""
    user = User(
        state.new_user_seq(),
        account_id,
        email,
        name,
        managed=managed,
        in_directory=True,
        organization=organization,
        created=utc_now(),
    )
    return state.add_user(user)


def grant_products(ctx: Ctx, user: User, products: list[str]) -> None:
    """Add the user to the product-access group of each product (400 on a full licence)."""
    by_product = {key: name for name, key in ctx.config.product_groups.items()}
    for product in products:
        group = ctx.state.group_by_name(by_product.get(product, ""))
        if group is None:
            continue
        try:
            join_group(ctx.sim, group, user)
        except LicenceLimitReached as error:
            raise ApiError(
                400, f"Cannot add user to '{group.name}': license limit exceeded."
            ) from error


@route("DELETE", J + "/user")
def delete_user(ctx: Ctx) -> Response:
    """Remove the user from the site's user base (not the Atlassian account)."""
    user = account_arg(ctx)
    ctx.state.forget_user_grants(user)
    ctx.state.set_site_access(user, granted=False)
    ctx.sim.record_event("user_removed_from_site", ("user", user.account_id))
    return empty(204)


@route("GET", J + "/user/bulk")
def bulk_get_users(ctx: Ctx) -> Response:
    """Several users by repeated accountId, as a page bean."""
    start, size = window(ctx, 10, 200)
    ids = ctx.request.query.get("accountId", [])
    if not ids:
        raise ApiError(400, "At least one accountId is required.", field="accountId")
    users = [
        u
        for u in (ctx.state.user_by_account.get(i) for i in ids)
        if u is not None and not u.closed
    ]
    return json_response(
        page_bean(
            ctx,
            [user_json(ctx, u) for u in users[start : start + size]],
            start,
            size,
            len(users),
        )
    )


@route("GET", J + "/user/groups")
def get_user_groups(ctx: Ctx) -> Response:
    """The groups a user is a direct member of."""
    user = account_arg(ctx)
    return json_response([group_ref(ctx, g) for g in visible_groups(ctx.sim, user)])
