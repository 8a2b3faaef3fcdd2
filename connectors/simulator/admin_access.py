"""Admin API: user roles, invites, workspaces, audit events and the user-management lifecycle."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from connectors.simulator.admin import V1, limit_of, next_url
from connectors.simulator.ops import LicenceLimitReached, join_group, product_keys
from connectors.simulator.paging import decode_cursor, encode_cursor
from connectors.simulator.routing import (
    Ctx,
    Route,
    check_object,
    check_str_list,
    registrar,
)
from connectors.simulator.state import Event, User, utc_now
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
M = "/users/{account_id}/manage"
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


def parse_time(raw: str | None, name: str) -> datetime | None:
    """Epoch milliseconds or ISO-8601 to a UTC datetime."""
    if not raw:
        return None
    try:
        if raw.isdigit():
            return datetime.fromtimestamp(int(raw) / 1000, UTC)
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except ValueError as error:
        raise ApiError(
            400, f"Invalid '{name}': {raw}", code="INVALID_PARAMETER"
        ) from error


def event_json(ctx: Ctx, event: Event) -> dict[str, Any]:
    """Render an audit event."""
    return {
        "id": event.id,
        "type": "events",
        "attributes": {
            "time": event.time,
            "action": event.action,
            "actor": {"id": event.actor, "name": "Access Portal Service", "links": {}},
            "context": [{**c, "attributes": {}} for c in event.context],
            "container": [{"id": ctx.config.org_id, "type": "orgs"}],
            "location": {"ip": "127.0.0.1", "geo": None},
        },
        "links": {
            "self": f"{ctx.origin()}/admin/v1/orgs/{ctx.config.org_id}/events/{event.id}"
        },
    }


@route("GET", V1 + "/events")
def list_events(ctx: Ctx) -> Response:
    """Audit events, newest first; filters from/to (ISO or epoch ms) and action; cursor paging."""
    start, end = parse_time(ctx.arg("from"), "from"), parse_time(ctx.arg("to"), "to")
    action, limit = ctx.arg("action"), limit_of(ctx, ctx.arg("limit"))
    events = ctx.state.events  # ascending by seq; seq == index + 1
    cursor = ctx.arg("cursor")
    index = (decode_cursor(cursor) - 2) if cursor else len(events) - 1
    page: list[Event] = []
    while index >= 0 and len(page) <= limit:
        event = events[index]
        when = datetime.fromisoformat(event.time.replace("Z", "+00:00"))
        if start is not None and when < start:
            break  # older than the window: nothing further back can match
        if (end is None or when <= end) and (not action or event.action == action):
            page.append(event)
        index -= 1
    more = len(page) > limit
    page = page[:limit]
    base = f"{ctx.origin()}/admin/v1/orgs/{ctx.config.org_id}/events"
    next_link = next_url(ctx, encode_cursor(page[-1].seq) if more and page else None)
    data = [event_json(ctx, e) for e in page]
    return json_response(
        {
            "data": data,
            "links": {"self": base, "next": next_link},
            "meta": {"page_size": len(data)},
        }
    )


@route("GET", V1 + "/events/{event_id}")
def get_event(ctx: Ctx) -> Response:
    """One audit event."""
    event = next((e for e in ctx.state.events if e.id == ctx.params["event_id"]), None)
    if event is None:
        raise ApiError(404, "Event not found.", code="EVENT_NOT_FOUND")
    return json_response({"data": event_json(ctx, event)})


def managed_user(ctx: Ctx) -> User:
    """A managed account of the org (others are 403, unknown ones 404)."""
    user = ctx.state.user_by_account.get(ctx.params["account_id"])
    if user is None:
        raise ApiError(
            404, f"Account {ctx.params['account_id']} not found.", code="USER_NOT_FOUND"
        )
    if not user.managed:
        raise ApiError(
            403, "The account is not managed by your organization.", code="NOT_MANAGED"
        )
    return user


@route("GET", M)
def get_manage(ctx: Ctx) -> Response:
    """What the caller may do to this account."""
    user = managed_user(ctx)
    allowed = {"allowed": True}
    return json_response(
        {
            "profile.write": allowed,
            "profile.read": allowed,
            "email.set": allowed,
            "lifecycle.enablement": {"allowed": not user.pending_delete},
            "lifecycle.delete": allowed,
            "apiToken.read": allowed,
            "apiToken.delete": allowed,
        }
    )


def lifecycle(ctx: Ctx, action: str) -> Response:
    """Disable, enable, delete (14-day grace) or cancel-delete a managed account."""
    user = managed_user(ctx)
    allowed = {"message": str} if action == "disable" else {}
    check_object(ctx.json() if ctx.request.body.strip() else {}, allowed)
    if action == "enable" and user.pending_delete:
        raise ApiError(
            400,
            "The account is scheduled for deletion and cannot be enabled.",
            code="ACCOUNT_PENDING_DELETION",
        )
    if action == "cancel-delete" and not user.pending_delete:
        raise ApiError(
            400,
            "The account is not scheduled for deletion.",
            code="NOT_PENDING_DELETION",
        )
    if action == "disable":
        user.disabled = True
    elif action == "enable":
        user.disabled = False
    elif action == "delete":
        user.pending_delete = user.disabled = True
    else:
        user.pending_delete = False
    ctx.sim.record_event(f"user_{action.replace('-', '_')}", ("user", user.account_id))
    return empty(204)


@route("POST", M + "/lifecycle/disable")
def disable_account(ctx: Ctx) -> Response:
    """Deactivate the account everywhere."""
    return lifecycle(ctx, "disable")


@route("POST", M + "/lifecycle/enable")
def enable_account(ctx: Ctx) -> Response:
    """Reactivate the account."""
    return lifecycle(ctx, "enable")


@route("POST", M + "/lifecycle/delete")
def delete_account(ctx: Ctx) -> Response:
    """Schedule permanent deletion (the account is deactivated meanwhile)."""
    return lifecycle(ctx, "delete")


@route("POST", M + "/lifecycle/cancel-delete")
def cancel_delete_account(ctx: Ctx) -> Response:
    """Cancel a scheduled deletion."""
    return lifecycle(ctx, "cancel-delete")


PROFILE = {
    "name": "display_name",
    "nickname": "nickname",
    "job_title": "title",
    "department": "department",
    "organization": "organization",
    "zoneinfo": "timezone",
    "locale": "locale",
}


@route("GET", M + "/profile")
def get_profile(ctx: Ctx) -> Response:
    """Managed profile (body shape unconfirmed upstream)."""
    user = managed_user(ctx)
    account = {
        "account_id": user.account_id,
        "email": user.email,
        "account_status": user.account_status,
        **{key: getattr(user, attr) for key, attr in PROFILE.items()},
    }
    return json_response({"account": account})


@route("PATCH", M + "/profile")
def patch_profile(ctx: Ctx) -> Response:
    """Change managed profile fields (snake_case keys; shape unconfirmed upstream)."""
    user = managed_user(ctx)
    body = check_object(ctx.json(), dict.fromkeys(PROFILE, str))
    for key, value in body.items():
        setattr(user, PROFILE[key], value)
    ctx.sim.record_event("user_profile_updated", ("user", user.account_id))
    return get_profile(ctx)
