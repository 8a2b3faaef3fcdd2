"""SCIM 2.0 Users: list/filter, get, create (or link), PUT, PATCH and DELETE."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from connectors.simulator.ops import leave_group
from connectors.simulator.routing import Ctx, Route, registrar
from connectors.simulator.scim import (
    P,
    list_response,
    paging,
    patch_operations,
    projection,
    reply,
    scim_base,
)
from connectors.simulator.scim_model import (
    CORE_USER,
    ENTERPRISE,
    bad,
    parse_filter,
    project,
    set_user_attribute,
    user_resource,
)
from connectors.simulator.state import ScimProfile, User, utc_now
from connectors.simulator.wire import ApiError, Response, empty

if TYPE_CHECKING:
    from connectors.simulator.state import State

ROUTES: list[Route] = []
route = registrar(ROUTES)
USER_KEYS = {
    "schemas",
    "id",
    "meta",
    "groups",
    "externalId",
    "userName",
    "emails",
    "name",
    "displayName",
    "nickName",
    "title",
    "preferredLanguage",
    "timezone",
    "phoneNumbers",
    "active",
    "department",
    "organization",
    ENTERPRISE,
    "urn:scim:schemas:extension:atlassian-external:1.0",
}
READ_ONLY = {
    "id",
    "meta",
    "groups",
    "schemas",
    "urn:scim:schemas:extension:atlassian-external:1.0",
}
CLEARED_BY_PUT = (
    "externalId",
    "name",
    "displayName",
    "nickName",
    "title",
    "preferredLanguage",
    "timezone",
    "phoneNumbers",
    "department",
    "organization",
    "manager",
)


def scim_user_or_404(state: State, scim_id: str) -> User:
    """The linked user with this SCIM id, else a SCIM 404."""
    user = state.user_by_scim.get(scim_id)
    if user is None:
        raise ApiError(404, f"User {scim_id} not found.")
    return user


@route("GET", P + "/Users")
def list_users(ctx: Ctx) -> Response:
    """List users: one `userName eq`/`externalId eq` filter, startIndex/count paging."""
    attributes, excluded = projection(ctx)
    found = parse_filter(ctx.arg("filter"), ("userName", "externalId"))
    start, count = paging(ctx)
    state = ctx.state
    if found is None:
        seqs = state.scim_order[start - 1 : start - 1 + count]
        total = len(state.scim_order)
        users = [state.users[s] for s in seqs]
    else:
        attribute, value = found
        if attribute == "username":
            match = state.scim_by_user_name.get(value.lower())
            matches = [match] if match is not None else []
        else:
            matches = [
                state.users[s]
                for s in state.scim_order
                if state.users[s].scim.external_id == value
            ]  # type: ignore[union-attr]
        total, users = len(matches), matches[start - 1 : start - 1 + count]
    base = scim_base(ctx)
    resources = [
        project(user_resource(state, u, base), attributes, excluded) for u in users
    ]
    return reply(list_response(resources, total, start))


@route("GET", P + "/Users/{id}")
def get_user(ctx: Ctx) -> Response:
    """One user (deleted SCIM users are 404)."""
    attributes, excluded = projection(ctx)
    user = scim_user_or_404(ctx.state, ctx.params["id"])
    return reply(
        project(user_resource(ctx.state, user, scim_base(ctx)), attributes, excluded)
    )


def check_user_body(body: Any) -> dict[str, Any]:
    """A User body: an object with known attributes and the core schema."""
    if not isinstance(body, dict):
        raise bad("The body must be a SCIM User object.", "invalidSyntax")
    unknown = set(body) - USER_KEYS
    if unknown:
        raise bad(
            f"Unknown attribute(s): {', '.join(sorted(unknown))}.", "invalidSyntax"
        )
    schemas = body.get("schemas")
    if not isinstance(schemas, list) or CORE_USER not in schemas:
        raise bad(f"'schemas' must include {CORE_USER}.", "invalidSyntax")
    if not isinstance(body.get("userName"), str) or not body["userName"].strip():
        raise bad("'userName' is required.")
    return body


def apply_user_body(state: State, user: User, body: dict[str, Any]) -> None:
    """Write every writable attribute of a POST/PUT body (read-only ones are ignored, RFC 7643)."""
    for key, value in body.items():
        if key not in READ_ONLY:
            set_user_attribute(state, user, key, value)


class Snapshot:
    """Copies of a user and its SCIM record, to undo a failed multi-attribute write."""

    def __init__(self, user: User) -> None:
        self.user = dataclasses.replace(user, groups=list(user.groups))
        self.profile = dataclasses.replace(user.scim) if user.scim else None

    def restore(self, state: State, user: User) -> None:
        """Put the user back as it was, indexes included."""
        if user.scim is not None and self.profile is not None:
            state.rename_scim_user(user, self.profile.user_name)
        state.change_email(user, self.user.email)
        for item in dataclasses.fields(User):
            if item.name not in ("scim", "groups", "email"):
                setattr(user, item.name, getattr(self.user, item.name))
        if self.profile is not None and user.scim is not None:
            for item in dataclasses.fields(ScimProfile):
                setattr(user.scim, item.name, getattr(self.profile, item.name))


@route("POST", P + "/Users")
def create_user(ctx: Ctx) -> Response:
    """Create a user on a verified domain, or link the existing managed account; 409 if taken."""
    body = check_user_body(ctx.json())
    state, config = ctx.state, ctx.config
    email = primary_email(body)
    if not config.is_verified(email):
        raise bad(
            f"Users can only be created with an email on a verified domain; '{email}' is not."
        )
    if body["userName"].lower() in state.scim_by_user_name:
        raise ApiError(409, "User already exists", scim_type="uniqueness")
    now = utc_now()
    account = state.user_by_email(email)
    if account is not None and account.scim is not None:
        raise ApiError(409, "User already exists", scim_type="uniqueness")
    profile = ScimProfile(state.ids.uuid(), body["userName"], created=now, modified=now)
    if account is None:
        account = User(
            state.new_user_seq(),
            state.ids.managed_account_id(),
            email,
            body["userName"],
            managed=True,
            in_directory=True,
            created=now,
        )
        state.add_user(account)
        fresh = True
    else:
        fresh = False
        snapshot = Snapshot(account)
        account.managed = True
    state.link_scim(account, profile)
    try:
        apply_user_body(state, account, body)
    except ApiError:
        state.unlink_scim(account)
        if fresh:
            drop_user(state, account)
        else:
            snapshot.restore(state, account)
        raise
    ctx.sim.record_event(
        "user_created" if fresh else "user_linked_to_directory",
        ("user", account.account_id),
    )
    attributes, excluded = projection(ctx)
    return reply(
        project(user_resource(state, account, scim_base(ctx)), attributes, excluded),
        201,
    )


def primary_email(body: dict[str, Any]) -> str:
    """The primary email of a create body."""
    emails = body.get("emails")
    if (
        not isinstance(emails, list)
        or not emails
        or not all(isinstance(e, dict) for e in emails)
    ):
        raise bad("'emails' with one primary email is required.")
    primaries = [e for e in emails if e.get("primary") is True] or (
        emails if len(emails) == 1 else []
    )
    if len(primaries) != 1 or not isinstance(primaries[0].get("value"), str):
        raise bad("Exactly one email must be primary.")
    return primaries[0]["value"]


def drop_user(state: State, user: User) -> None:
    """Undo a user that was created during a failed request."""
    state.users.pop(user.seq, None)
    state.user_by_account.pop(user.account_id, None)
    state.user_by_mail.pop(user.email.lower(), None)
    for order in (state.site_order, state.directory_order, state.managed_order):
        if order and order[-1] == user.seq:
            order.pop()


@route("PUT", P + "/Users/{id}")
def replace_user(ctx: Ctx) -> Response:
    """Replace a user: omitted attributes are cleared."""
    user = scim_user_or_404(ctx.state, ctx.params["id"])
    body = check_user_body(ctx.json())
    snapshot = Snapshot(user)
    try:
        for key in CLEARED_BY_PUT:
            if key not in body and (key != "department" or ENTERPRISE not in body):
                set_user_attribute(ctx.state, user, key, None)
        apply_user_body(ctx.state, user, body)
    except ApiError:
        snapshot.restore(ctx.state, user)
        raise
    return updated(ctx, user, snapshot)


def updated(ctx: Ctx, user: User, snapshot: Snapshot) -> Response:
    """Stamp lastModified, record events for status changes and return the user."""
    assert user.scim is not None  # noqa: S101
    user.scim.modified = utc_now()
    if snapshot.user.suspended != user.suspended:
        action = "user_deactivated" if user.suspended else "user_reactivated"
        ctx.sim.record_event(action, ("user", user.account_id))
    ctx.sim.record_event("user_updated", ("user", user.account_id))
    attributes, excluded = projection(ctx)
    return reply(
        project(user_resource(ctx.state, user, scim_base(ctx)), attributes, excluded)
    )


@route("PATCH", P + "/Users/{id}")
def patch_user(ctx: Ctx) -> Response:
    """Apply add/replace/remove operations (with a path, or value-less with an object value)."""
    user = scim_user_or_404(ctx.state, ctx.params["id"])
    operations = patch_operations(ctx.json())
    snapshot = Snapshot(user)
    try:
        for operation in operations:
            apply_user_operation(ctx.state, user, operation)
    except ApiError:
        snapshot.restore(ctx.state, user)
        raise
    return updated(ctx, user, snapshot)


def apply_user_operation(state: State, user: User, operation: dict[str, Any]) -> None:
    """Apply one PATCH operation to a user."""
    op, path, value = (
        operation["op"].lower(),
        operation.get("path"),
        operation.get("value"),
    )
    if op == "remove":
        if not path:
            raise bad("A remove operation needs a path.", "noTarget")
        if path.lower() in ("active", "username", "emails"):
            raise bad(f"Attribute '{path}' cannot be removed.", "mutability")
        set_user_attribute(state, user, path, None)
    elif path:
        set_user_attribute(state, user, path, value)
    elif isinstance(value, dict):
        for key, item in value.items():
            set_user_attribute(state, user, key, item)
    else:
        raise bad("An operation without a path needs an object value.", "noTarget")


@route("DELETE", P + "/Users/{id}")
def delete_user(ctx: Ctx) -> Response:
    """Delete the SCIM record, unlink it and deactivate the managed account (irreversible here)."""
    state = ctx.state
    user = scim_user_or_404(state, ctx.params["id"])
    for group_seq in list(user.groups):
        group = state.groups[group_seq]
        if group.scim_id is not None:
            leave_group(ctx.sim, group, user)  # audited, as any membership change
    state.unlink_scim(user)
    user.disabled = True
    ctx.sim.record_event("user_deactivated", ("user", user.account_id))
    return empty(204)
