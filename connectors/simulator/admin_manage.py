"""Admin API audit events and the user-management API (`/users/{accountId}/manage`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from connectors.simulator.admin import V1, limit_of, next_url
from connectors.simulator.paging import decode_cursor, encode_cursor
from connectors.simulator.routing import Ctx, Route, check_object, registrar
from connectors.simulator.state import Event, User
from connectors.simulator.wire import ApiError, Response, empty, json_response

ROUTES: list[Route] = []
route = registrar(ROUTES)


M = "/users/{account_id}/manage"


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


def event_json(ctx: Ctx, event: Event, *, stream: bool = False) -> dict[str, Any]:
    """Render an audit event; the stream's events also say when they were processed."""
    processed = {"processedAt": event.time} if stream else {}
    return {
        "id": event.id,
        "type": "events",
        "attributes": {
            "time": event.time,
            **processed,
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
    return events_page(ctx, newest_first=True)


@route("GET", V1 + "/events-stream")
def stream_events(ctx: Ctx) -> Response:
    """Audit events for bulk polling: `sortOrder` asc (default) or desc; from/to; cursor."""
    order = ctx.arg("sortOrder", "asc")
    if order not in ("asc", "desc"):
        raise ApiError(400, "sortOrder must be asc or desc.", code="INVALID_PARAMETER")
    return events_page(ctx, newest_first=order == "desc", stream=True)


def events_page(ctx: Ctx, *, newest_first: bool, stream: bool = False) -> Response:
    """One page of events in either direction (events are stored by seq; seq == index + 1)."""
    start, end = parse_time(ctx.arg("from"), "from"), parse_time(ctx.arg("to"), "to")
    action, limit = ctx.arg("action"), limit_of(ctx, ctx.arg("limit"))
    events, cursor = ctx.state.events, ctx.arg("cursor")
    step = -1 if newest_first else 1
    if cursor:
        index = decode_cursor(cursor) - 1 + step
    else:
        index = len(events) - 1 if newest_first else 0
    page: list[Event] = []
    while 0 <= index < len(events) and len(page) <= limit:
        event = events[index]
        when = datetime.fromisoformat(event.time.replace("Z", "+00:00"))
        if newest_first and start is not None and when < start:
            break  # older than the window: nothing further back can match
        if not newest_first and end is not None and when > end:
            break
        inside = (start is None or when >= start) and (end is None or when <= end)
        if inside and (not action or event.action == action):
            page.append(event)
        index += step
    more = len(page) > limit
    page = page[:limit]
    cursor = encode_cursor(page[-1].seq) if more and page else None
    next_link = next_url(ctx, cursor)
    data = [event_json(ctx, e, stream=stream) for e in page]
    links = {"self": f"{ctx.origin()}{ctx.request.path}", "next": next_link}
    return json_response(
        {"data": data, "links": links, "meta": {"next": cursor, "page_size": len(data)}}
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
