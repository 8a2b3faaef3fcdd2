"""Organizations (Admin) API: orgs, managed accounts, directories, shared helpers.

The helpers (page size, cursor pages, v1 next links, a directory's user or 404) serve
every `admin*.py` route module; directory users are in `admin_users.py`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from connectors.simulator.ops import product_keys
from connectors.simulator.paging import (
    clamp,
    decode_cursor,
    encode_cursor,
    iter_after,
    take_page,
)
from connectors.simulator.routing import Ctx, Route, registrar
from connectors.simulator.state import User
from connectors.simulator.wire import ApiError, Response, json_response

ROUTES: list[Route] = []
route = registrar(ROUTES)
V1 = "/admin/v1/orgs/{org_id}"
V2 = "/admin/v2/orgs/{org_id}/directories/{directory_id}"
PAGE_MAX = 100


def product_entry(ctx: Ctx, key: str, last_active: str | None = None) -> dict[str, Any]:
    """One product-access item."""
    from connectors.simulator.config import PRODUCT_NAMES

    return {
        "key": key,
        "name": PRODUCT_NAMES.get(key, key),
        "url": ctx.config.site_url,
        "last_active": last_active,
    }


def limit_of(ctx: Ctx, raw: Any) -> int:
    """Page size: default and maximum 100."""
    if raw is None or raw == "":
        return PAGE_MAX
    try:
        return clamp(int(raw), 1, PAGE_MAX)
    except (TypeError, ValueError) as error:
        raise ApiError(400, f"Invalid limit: {raw}", code="INVALID_LIMIT") from error


def cursor_page(
    keys: Any, cursor: str | None, limit: int, accept: Any = None
) -> tuple[list[int], str | None]:
    """One cursor page over sorted keys; returns (page, next cursor or None)."""
    after = decode_cursor(cursor) if cursor else None
    page, more = take_page(iter_after(keys, after), limit, accept)
    return page, (encode_cursor(page[-1]) if more and page else None)


def next_url(ctx: Ctx, next_cursor: str | None) -> str | None:
    """A full next-page URL keeping the caller's other query parameters (v1 style)."""
    if not next_cursor:
        return None
    query = {k: v[0] for k, v in ctx.request.query.items() if k != "cursor"}
    query["cursor"] = next_cursor
    return f"{ctx.origin()}{ctx.request.path}?{urlencode(query)}"


def member_of_directory(ctx: Ctx, account_id: str) -> User:
    """A user of the org's directory, else 404."""
    user = ctx.state.user_by_account.get(account_id)
    if user is None or not user.in_directory:
        raise ApiError(
            404, f"User {account_id} not found in the directory.", code="USER_NOT_FOUND"
        )
    return user


@route("GET", "/admin/v1/orgs")
def list_orgs(ctx: Ctx) -> Response:
    """The orgs this key can see (one)."""
    return json_response(
        {
            "data": [org_json(ctx)],
            "links": {"self": f"{ctx.origin()}/admin/v1/orgs", "next": None},
        }
    )


def org_json(ctx: Ctx) -> dict[str, Any]:
    """Render the org."""
    org_id = ctx.config.org_id
    return {
        "id": org_id,
        "type": "orgs",
        "attributes": {"name": ctx.config.org_name},
        "links": {"self": f"{ctx.origin()}/admin/v1/orgs/{org_id}"},
    }


@route("GET", "/admin/v1/orgs/{org_id}")
def get_org(ctx: Ctx) -> Response:
    """The org."""
    return json_response({"data": org_json(ctx)})


@route("GET", V1 + "/users")
def list_managed_accounts(ctx: Ctx) -> Response:
    """Managed accounts, cursor paging; links.next is a full URL here."""
    state = ctx.state
    limit = limit_of(ctx, ctx.arg("limit"))
    page, next_cursor = cursor_page(state.managed_order, ctx.arg("cursor"), limit)
    data = [managed_account(ctx, state.users[s]) for s in page]
    base = f"{ctx.origin()}/admin/v1/orgs/{ctx.config.org_id}/users"
    links = {"self": base, "next": next_url(ctx, next_cursor)}
    return json_response(
        {"data": data, "links": links, "meta": {"total": len(state.managed_order)}}
    )


def managed_account(ctx: Ctx, user: User) -> dict[str, Any]:
    """Render a v1 managed account."""
    keys = product_keys(ctx.sim, user)
    return {
        "account_id": user.account_id,
        "account_type": user.account_type,
        "account_status": user.account_status,
        "name": user.display_name,
        "picture": f"https://avatar-management.services.atlassian.com/{user.account_id}/128",
        "email": user.email,
        "access_billable": bool(keys) and user.active,
        "last_active": user.last_active,
        "product_access": [product_entry(ctx, k, user.last_active) for k in keys],
        "links": {"self": f"{ctx.origin()}/users/{user.account_id}/manage/profile"},
    }


@route("GET", "/admin/v2/orgs/{org_id}/directories")
def list_directories(ctx: Ctx) -> Response:
    """The org's one directory."""
    data = [
        {
            "directoryId": ctx.config.admin_directory_id,
            "name": f"{ctx.config.org_name} directory",
            "icon": None,
        }
    ]
    return json_response(
        {"data": data, "links": {"self": None, "prev": None, "next": None}}
    )
