"""Admin API: user roles, invites, workspaces, audit events and the user-management lifecycle."""

from __future__ import annotations

from typing import Any

from connectors.simulator.admin import V1, limit_of
from connectors.simulator.ops import LicenceLimitReached, join_group, product_keys
from connectors.simulator.routing import (
    Ctx,
    Route,
    check_object,
    check_str_list,
    registrar,
)
from connectors.simulator.state import User, utc_now
from connectors.simulator.wire import ApiError, Response, empty, json_response

ROUTES: list[Route] = []
route = registrar(ROUTES)
ROLES = (
    "atlassian/org-admin",
    "atlassian/site-admin",
    "atlassian/user-access-admin",
    "atlassian/user",
    "atlassian/admin",
    "atlassian/guest",
    "atlassian/customer",
    "atlassian/contributor",
    "atlassian/basic",
    "atlassian/stakeholder",
    "atlassian/viewer",
)
INVITE_ROLES = (
    "atlassian/user",
    "atlassian/admin",
    "atlassian/guest",
    "atlassian/contributor",
    "atlassian/customer",
    "atlassian/basic",
    "atlassian/stakeholder",
    "atlassian/viewer",
)
DISABLED = (
    "This API is enabled on request for your organization and is not enabled. "
    "Contact Atlassian support to enable it."
)


def require_feature(*, enabled: bool) -> None:
    """Answer a 403 FEATURE_NOT_ENABLED for endpoints that are enabled on request."""
    if not enabled:
        raise ApiError(403, DISABLED, code="FEATURE_NOT_ENABLED")


def org_user(ctx: Ctx) -> User:
    """The account in the path; it must be in the org's directory."""
    user = ctx.state.user_by_account.get(ctx.params["account_id"])
    if user is None or not user.in_directory:
        raise ApiError(
            404,
            f"User {ctx.params['account_id']} not found in the organization.",
            code="USER_NOT_FOUND",
        )
    return user


def change_role(ctx: Ctx, *, assign: bool, org_level: bool) -> Response:
    """Assign or revoke a product or org role (idempotent); 204."""
    require_feature(enabled=ctx.config.org_roles_enabled)
    user = org_user(ctx)
    allowed = {"role": str} if org_level else {"role": str, "resource": str}
    body = check_object(ctx.json(), allowed, ("role",))
    role, resource = body["role"], body.get("resource", "")
    if role not in ROLES or (org_level and role != "atlassian/org-admin"):
        raise ApiError(
            400, f"Unknown or unsupported role '{role}'.", code="INVALID_ROLE"
        )
    if role == "atlassian/org-admin":
        resource = ctx.config.org_id  # ignored for org-admin
    elif resource not in ctx.config.workspaces:
        raise ApiError(
            400 if not resource else 404,
            f"Resource '{resource}' not found.",
            code="RESOURCE_NOT_FOUND",
        )
    pair = (role, resource)
    if assign and pair not in user.roles:
        user.roles.append(pair)
        ctx.sim.record_event(
            "user_role_assigned", ("user", user.account_id), ("resource", resource)
        )
    elif not assign and pair in user.roles:
        user.roles.remove(pair)
        ctx.sim.record_event(
            "user_role_revoked", ("user", user.account_id), ("resource", resource)
        )
    return empty(204)


@route("POST", V1 + "/users/{account_id}/roles/assign")
def assign_role(ctx: Ctx) -> Response:
    """Grant a product role on a workspace."""
    return change_role(ctx, assign=True, org_level=False)


@route("POST", V1 + "/users/{account_id}/roles/revoke")
def revoke_role(ctx: Ctx) -> Response:
    """Revoke a product role."""
    return change_role(ctx, assign=False, org_level=False)


@route("POST", V1 + "/users/{account_id}/role-assignments/assign")
def assign_org_role(ctx: Ctx) -> Response:
    """Grant an org-level role."""
    return change_role(ctx, assign=True, org_level=True)


@route("POST", V1 + "/users/{account_id}/role-assignments/revoke")
def revoke_org_role(ctx: Ctx) -> Response:
    """Revoke an org-level role."""
    return change_role(ctx, assign=False, org_level=True)


@route("POST", "/admin/v2/orgs/{org_id}/users/invite")
def invite_users(ctx: Ctx) -> Response:
    """Invite people: accounts join the directory, get the roles and the groups."""
    require_feature(enabled=ctx.config.invite_enabled)
    body = check_object(
        ctx.json(),
        {
            "emails": list,
            "permissionRules": list,
            "additionalGroups": list,
            "sendNotification": bool,
            "notificationText": str,
        },
        ("emails",),
    )
    emails, groups = (
        check_str_list(body["emails"], "emails"),
        check_str_list(body.get("additionalGroups", []), "additionalGroups"),
    )
    rules = [
        check_object(
            r, {"resource": str, "role": str}, ("resource", "role"), "permission rule"
        )
        for r in body.get("permissionRules", [])
    ]
    for rule in rules:
        if rule["role"] not in INVITE_ROLES:
            raise ApiError(
                400, f"Invalid invite role '{rule['role']}'.", code="INVALID_ROLE"
            )
        if rule["resource"] not in ctx.config.workspaces:
            raise ApiError(
                404,
                f"Resource '{rule['resource']}' not found.",
                code="RESOURCE_NOT_FOUND",
            )
    targets = [ctx.state.group_by_id.get(g) for g in groups]
    if None in targets:
        raise ApiError(
            404, "One of additionalGroups does not exist.", code="GROUP_NOT_FOUND"
        )
    return json_response({"data": [invite_one(ctx, e, rules, targets) for e in emails]})  # type: ignore[arg-type]


def invite_one(
    ctx: Ctx, email: str, rules: list[dict[str, str]], groups: list[Any]
) -> dict[str, Any]:
    """Invite one email; existing directory members are reported, not re-created."""
    state = ctx.state
    if "@" not in email:
        return {"email": email, "accountId": None, "status": "INVALID_EMAIL"}
    user = state.user_by_email(email)
    status = "ALREADY_MEMBER" if user is not None and user.in_directory else "INVITED"
    if user is None:
        managed = ctx.config.is_verified(email)
        account_id = (
            state.ids.managed_account_id() if managed else state.ids.legacy_account_id()
        )
        name = email.partition("@")[0].replace(".", " ").title()
        user = state.add_user(
            User(
                state.new_user_seq(),
                account_id,
                email,
                name,
                managed=managed,
                created=utc_now(),
            )
        )
    state.set_in_directory(user, member=True)
    state.set_site_access(user, granted=True)
    for rule in rules:
        if (rule["role"], rule["resource"]) not in user.roles:
            user.roles.append((rule["role"], rule["resource"]))
    for group in groups:
        try:
            join_group(ctx.sim, group, user)
        except LicenceLimitReached:
            status = "LICENSE_LIMIT_EXCEEDED"
    ctx.sim.record_event("user_invited", ("user", user.account_id))
    return {"email": email, "accountId": user.account_id, "status": status}


@route("POST", "/admin/v2/orgs/{org_id}/workspaces")
def list_workspaces(ctx: Ctx) -> Response:
    """The product workspaces (Jira and Confluence of the site)."""
    body = check_object(
        ctx.json() if ctx.request.body.strip() else {},
        {"limit": int, "cursor": str, "query": dict, "sort": list},
    )
    usage: dict[str, int] = {}
    for seq in ctx.state.site_order:
        for key in product_keys(ctx.sim, ctx.state.users[seq]):
            usage[key] = usage.get(key, 0) + 1
    items = list(ctx.config.workspaces.items())
    data = [
        {
            "id": ident,
            "type": "workspace",
            "attributes": {
                "name": name,
                "typeKey": key,
                "type": key.split("-")[0],
                "owner": ctx.config.org_id,
                "status": "online",
                "hostUrl": ctx.config.site_url,
                "usage": usage.get(key, 0),
                "capacity": None,
                "createdAt": "2023-01-02T09:00:00.000Z",
                "realm": "us",
                "regions": ["us-east-1"],
                "sandbox": {"type": "NONE"},
            },
            "links": {
                "self": f"{ctx.origin()}/admin/v2/orgs/{ctx.config.org_id}/workspaces/{ident}"
            },
        }
        for ident, (key, name) in items
    ]
    data = data[: limit_of(ctx, body.get("limit"))]
    meta = {
        "pageSize": len(data),
        "startIndex": 0,
        "endIndex": len(data),
        "total": len(items),
    }
    return json_response(
        {
            "data": data,
            "links": {"self": None, "prev": None, "next": None},
            "meta": meta,
        }
    )
