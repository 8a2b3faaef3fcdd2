"""Confluence v1 content restrictions: whole-set GET/POST/PUT/DELETE and per-principal calls."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectors.simulator.routing import Ctx, Route, registrar
from connectors.simulator.wire import ApiError, Response, empty, json_response

if TYPE_CHECKING:
    from connectors.simulator.state import Content

ROUTES: list[Route] = []
route = registrar(ROUTES)
R = "/wiki/rest/api/content/{content_id}/restriction"
OPERATIONS = ("read", "update")


def content(ctx: Ctx) -> Content:
    """The page or blog post in the path."""
    raw = ctx.params["content_id"]
    found = ctx.state.content.get(int(raw)) if raw.isdigit() else None
    if found is None or found.type not in ("page", "blogpost"):
        raise ApiError(404, f"No content found with id: {raw}")
    return found


def slot(item: Content, operation: str) -> tuple[set[str], set[str]]:
    """The (accountIds, groupIds) restricted for an operation."""
    if operation not in OPERATIONS:
        raise ApiError(400, f"Invalid operation '{operation}'; use read or update.")
    return item.restrictions.setdefault(operation, (set(), set()))


def operation_json(ctx: Ctx, item: Content, operation: str) -> dict[str, Any]:
    """Render the restrictions of one operation."""
    users, groups = item.restrictions.get(operation, (set(), set()))
    user_list = []
    for account_id in sorted(users):
        user = ctx.state.user_by_account.get(account_id)
        user_list.append(
            {
                "type": "known",
                "accountId": account_id,
                "displayName": user.display_name if user else "",
            }
        )
    group_list = []
    for group_id in sorted(groups):
        group = ctx.state.group_by_id.get(group_id)
        group_list.append(
            {"type": "group", "name": group.name if group else "", "id": group_id}
        )
    return {
        "operation": operation,
        "restrictions": {
            "user": {
                "results": user_list,
                "start": 0,
                "limit": 200,
                "size": len(user_list),
            },
            "group": {
                "results": group_list,
                "start": 0,
                "limit": 200,
                "size": len(group_list),
            },
        },
        "content": {
            "id": str(item.id),
            "type": item.type,
            "status": item.status,
            "title": item.title,
        },
        "_links": {
            "self": f"{ctx.origin()}/wiki/rest/api/content/{item.id}/restriction/byOperation/{operation}"
        },
    }


def all_json(ctx: Ctx, item: Content) -> Response:
    """Render both operations."""
    results = [operation_json(ctx, item, op) for op in OPERATIONS]
    return json_response(
        {
            "results": results,
            "start": 0,
            "limit": 100,
            "size": len(results),
            "_links": {"base": f"{ctx.origin()}/wiki"},
        }
    )


def parse_restrictions(ctx: Ctx) -> list[tuple[str, set[str], set[str]]]:
    """Parse an array (or {results: [...]}) of {operation, restrictions: {user, group}}."""
    body = ctx.json()
    items = body.get("results") if isinstance(body, dict) else body
    if not isinstance(items, list):
        raise ApiError(400, "Expected an array of restrictions.")
    parsed = []
    for item in items:
        if not isinstance(item, dict) or set(item) - {"operation", "restrictions"}:
            raise ApiError(
                400, "Each restriction has only 'operation' and 'restrictions'."
            )
        operation, restrictions = item.get("operation"), item.get("restrictions") or {}
        if (
            operation not in OPERATIONS
            or not isinstance(restrictions, dict)
            or set(restrictions) - {"user", "group"}
        ):
            raise ApiError(
                400,
                "Invalid restriction: operation must be read or update with user/group lists.",
            )
        users = {resolve_user(ctx, u) for u in _entries(restrictions.get("user"))}
        groups = {resolve_group(ctx, g) for g in _entries(restrictions.get("group"))}
        parsed.append((operation, users, groups))
    return parsed


def _entries(value: Any) -> list[dict[str, Any]]:
    """A list of principal objects, bare or wrapped in {results: [...]}."""
    if value is None:
        return []
    if isinstance(value, dict):
        value = value.get("results", [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ApiError(400, "Restriction principals must be a list of objects.")
    return value


def resolve_user(ctx: Ctx, entry: dict[str, Any]) -> str:
    """An accountId that exists."""
    account_id = entry.get("accountId") or ""
    if account_id not in ctx.state.user_by_account:
        raise ApiError(400, f"No user found with accountId '{account_id}'.")
    return account_id


def resolve_group(ctx: Ctx, entry: dict[str, Any]) -> str:
    """A groupId (groups may be named by id or name)."""
    group = ctx.state.group_by_id.get(entry.get("id") or "") or ctx.state.group_by_name(
        entry.get("name") or ""
    )
    if group is None:
        raise ApiError(400, f"No group found for {entry}.")
    return group.group_id


@route("GET", R)
def get_restrictions(ctx: Ctx) -> Response:
    """Restrictions of both operations."""
    return all_json(ctx, content(ctx))


@route("POST", R)
def add_restrictions(ctx: Ctx) -> Response:
    """Add restrictions (existing ones stay)."""
    item = content(ctx)
    for operation, users, groups in parse_restrictions(ctx):
        current = slot(item, operation)
        current[0].update(users)
        current[1].update(groups)
    return all_json(ctx, item)


@route("PUT", R)
def replace_restrictions(ctx: Ctx) -> Response:
    """Replace restrictions per operation named in the body."""
    item = content(ctx)
    for operation, users, groups in parse_restrictions(ctx):
        item.restrictions[operation] = (users, groups)
    return all_json(ctx, item)


@route("DELETE", R)
def delete_restrictions(ctx: Ctx) -> Response:
    """Remove every restriction."""
    item = content(ctx)
    item.restrictions.clear()
    return all_json(ctx, item)


@route("GET", R + "/byOperation/{operation}")
def get_by_operation(ctx: Ctx) -> Response:
    """Restrictions of one operation."""
    item = content(ctx)
    slot(item, ctx.params["operation"])
    return json_response(operation_json(ctx, item, ctx.params["operation"]))


def principal_call(ctx: Ctx, index: int, ident: str, *, exists: bool) -> Response:
    """GET/PUT/DELETE one principal of one operation; GET/DELETE of an absent one is a 404."""
    item = content(ctx)
    current = slot(item, ctx.params["operation"])[index]
    method = ctx.request.method
    if method in ("GET", "DELETE") and ident not in current:
        raise ApiError(
            404,
            f"{ident} has no '{ctx.params['operation']}' restriction on content {item.id}.",
        )
    if method == "PUT":
        if not exists:
            raise ApiError(404, f"No principal '{ident}'.")
        current.add(ident)
    elif method == "DELETE":
        current.discard(ident)
    return empty(200)


def _user_route(ctx: Ctx) -> Response:
    """Per-user restriction call (?accountId=)."""
    account_id = ctx.arg("accountId") or ""
    if not account_id:
        raise ApiError(400, "accountId is required.")
    return principal_call(
        ctx, 0, account_id, exists=account_id in ctx.state.user_by_account
    )


def _group_route(ctx: Ctx) -> Response:
    """Per-group restriction call (groupId in the path)."""
    group_id = ctx.params["group_id"]
    return principal_call(ctx, 1, group_id, exists=group_id in ctx.state.group_by_id)


for _method in ("GET", "PUT", "DELETE"):
    route(_method, R + "/byOperation/{operation}/user")(_user_route)
    route(_method, R + "/byOperation/{operation}/byGroupId/{group_id}")(_group_route)
