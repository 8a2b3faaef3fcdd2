"""Jira Cloud REST v3 project roles: global roles, a project's roles and their actors."""

from __future__ import annotations

from typing import Any

from connectors.simulator.jira import J
from connectors.simulator.jira_projects import project_or_404, role_map
from connectors.simulator.routing import (
    Ctx,
    Route,
    check_object,
    check_str_list,
    registrar,
)
from connectors.simulator.state import Project, Role
from connectors.simulator.wire import ApiError, Response, empty, json_response

ROUTES: list[Route] = []
route = registrar(ROUTES)


USER_ACTOR = "atlassian-user-role-actor"


GROUP_ACTOR = "atlassian-group-role-actor"


def role_or_404(ctx: Ctx) -> Role:
    """The global role in the path."""
    raw = ctx.params["role"]
    role = ctx.state.roles.get(int(raw)) if raw.isdigit() else None
    if role is None:
        raise ApiError(404, f"Can not find a project role with id: {raw}")
    return role


def role_json(
    ctx: Ctx, role: Role, project: Project | None = None, *, actors: bool = True
) -> dict[str, Any]:
    """A ProjectRole; with a project, `actors` are that project's actors."""
    where = f"project/{project.id}/role" if project else "role"
    data: dict[str, Any] = {
        "self": f"{ctx.origin()}{J}/{where}/{role.id}",
        "name": role.name,
        "id": role.id,
        "description": role.description,
        "admin": role.id == 10002,
        "default": role.id == 10003,
        "roleConfigurable": True,
        "translatedName": role.name,
    }
    if project is not None:
        data["scope"] = {
            "type": "PROJECT",
            "project": {
                "id": str(project.id),
                "key": project.key,
                "name": project.name,
            },
        }
    if actors:
        data["actors"] = role_actors(
            ctx,
            role,
            project,
            exclude_inactive=ctx.bool_arg("excludeInactiveUsers", default=False),
        )
    return data


def role_actors(
    ctx: Ctx, role: Role, project: Project | None, *, exclude_inactive: bool
) -> list[dict[str, Any]]:
    """The actors of a role in a project (the default actors for the global role)."""
    users = project.users.get(role.id, set()) if project else role.default_users
    groups = project.groups.get(role.id, set()) if project else role.default_groups
    state, out = ctx.state, []
    for seq in sorted(users):
        user = state.users[seq]
        if exclude_inactive and not user.active:
            continue
        out.append(
            {
                "id": 20000 + seq,
                "displayName": user.display_name,
                "type": USER_ACTOR,
                "actorUser": {"accountId": user.account_id},
                "avatarUrl": f"https://avatar-management.services.atlassian.com/{user.account_id}/48x48",
            }
        )
    for seq in sorted(groups):
        group = state.groups[seq]
        out.append(
            {
                "id": 1000000 + seq,
                "displayName": group.name,
                "type": GROUP_ACTOR,
                "name": group.name,
                "actorGroup": {
                    "name": group.name,
                    "displayName": group.name,
                    "groupId": group.group_id,
                },
            }
        )
    return out


@route("GET", J + "/role")
def list_roles(ctx: Ctx) -> Response:
    """All global roles (plain array)."""
    return json_response([role_json(ctx, r) for r in ctx.state.roles.values()])


@route("GET", J + "/role/{role}")
def get_role(ctx: Ctx) -> Response:
    """One global role."""
    return json_response(role_json(ctx, role_or_404(ctx)))


@route("GET", J + "/project/{project}/role")
def get_project_roles(ctx: Ctx) -> Response:
    """Object map of role name to role URL."""
    return json_response(role_map(ctx, project_or_404(ctx)))


@route("GET", J + "/project/{project}/roledetails")
def get_project_role_details(ctx: Ctx) -> Response:
    """Role details of a project, without actors."""
    project = project_or_404(ctx)
    return json_response(
        [role_json(ctx, r, project, actors=False) for r in ctx.state.roles.values()]
    )


@route("GET", J + "/project/{project}/role/{role}")
def get_project_role(ctx: Ctx) -> Response:
    """A role of a project with its actors."""
    return json_response(role_json(ctx, role_or_404(ctx), project_or_404(ctx)))


def resolve_actors(
    ctx: Ctx, users: list[str], group_ids: list[str], group_names: list[str]
) -> tuple[set[int], set[int]]:
    """Account ids and groups (by id or name) to seqs; missing or inactive ones are a 404."""
    state = ctx.state
    user_seqs, group_seqs = set(), set()
    for account_id in users:
        user = state.user_by_account.get(account_id)
        if user is None or not user.active:
            raise ApiError(
                404,
                f"We couldn't find the user with account ID '{account_id}' or the user is inactive.",
            )
        user_seqs.add(user.seq)
    for ident, group in [(i, state.group_by_id.get(i)) for i in group_ids] + [
        (n, state.group_by_name(n)) for n in group_names
    ]:
        if group is None:
            raise ApiError(404, f"We couldn't find the group '{ident}'.")
        group_seqs.add(group.seq)
    return user_seqs, group_seqs


@route("POST", J + "/project/{project}/role/{role}")
def add_project_role_actors(ctx: Ctx) -> Response:
    """Add users or groups; 400 if one already is an actor; returns the full role."""
    project, role = project_or_404(ctx), role_or_404(ctx)
    user_seqs, group_seqs = actor_body(ctx)
    current_users, current_groups = project.users[role.id], project.groups[role.id]
    for seq in user_seqs & current_users:
        raise ApiError(
            400,
            f"User '{ctx.state.users[seq].account_id}' is already a member of the project role.",
        )
    for seq in group_seqs & current_groups:
        raise ApiError(
            400,
            f"Group '{ctx.state.groups[seq].name}' is already a member of the project role.",
        )
    current_users |= user_seqs
    current_groups |= group_seqs
    record_actor_events(
        ctx, "project_role_actor_added", project, role, user_seqs, group_seqs
    )
    return json_response(role_json(ctx, role, project))


@route("PUT", J + "/project/{project}/role/{role}")
def set_project_role_actors(ctx: Ctx) -> Response:
    """Replace every actor of the role."""
    project, role = project_or_404(ctx), role_or_404(ctx)
    body = check_object(
        ctx.json(), {"id": int, "categorisedActors": dict}, ("categorisedActors",)
    )
    if body.get("id") not in (None, role.id):
        raise ApiError(
            400, "The role id in the body does not match the path.", field="id"
        )
    actors = check_object(
        body["categorisedActors"],
        {USER_ACTOR: list, f"{GROUP_ACTOR}-id": list, GROUP_ACTOR: list},
        where="categorisedActors",
    )
    users, group_ids, names = (
        check_str_list(actors.get(k, []), k)
        for k in (USER_ACTOR, f"{GROUP_ACTOR}-id", GROUP_ACTOR)
    )
    user_seqs, group_seqs = resolve_actors(ctx, users, group_ids, names)
    project.users[role.id], project.groups[role.id] = user_seqs, group_seqs
    record_actor_events(
        ctx, "project_role_actors_replaced", project, role, user_seqs, group_seqs
    )
    return json_response(role_json(ctx, role, project))


@route("DELETE", J + "/project/{project}/role/{role}")
def delete_project_role_actor(ctx: Ctx) -> Response:
    """Remove one actor (?user=, ?groupId= or ?group=); 404 when it is not an actor."""
    project, role = project_or_404(ctx), role_or_404(ctx)
    given = [(k, ctx.arg(k)) for k in ("user", "groupId", "group") if ctx.arg(k)]
    if len(given) != 1:
        raise ApiError(400, "Specify exactly one of user, groupId or group.")
    kind, value = given[0]
    state = ctx.state
    if kind == "user":
        user = state.user_by_account.get(value or "")
        if user is None or user.seq not in project.users[role.id]:
            raise ApiError(
                404,
                f"User '{value}' is not a member of the project role '{role.name}'.",
            )
        project.users[role.id].discard(user.seq)
        record_actor_events(
            ctx, "project_role_actor_removed", project, role, {user.seq}, set()
        )
    else:
        group = (
            state.group_by_id.get(value or "")
            if kind == "groupId"
            else state.group_by_name(value or "")
        )
        if group is None or group.seq not in project.groups[role.id]:
            raise ApiError(
                404,
                f"Group '{value}' is not a member of the project role '{role.name}'.",
            )
        project.groups[role.id].discard(group.seq)
        record_actor_events(
            ctx, "project_role_actor_removed", project, role, set(), {group.seq}
        )
    return empty(204)


def record_actor_events(
    ctx: Ctx,
    action: str,
    project: Project,
    role: Role,
    users: set[int],
    groups: set[int],
) -> None:
    """One audit event per actor change."""
    context = [("project", str(project.id)), ("role", str(role.id))]
    for seq in users:
        ctx.sim.record_event(
            action, *context, ("user", ctx.state.users[seq].account_id)
        )
    for seq in groups:
        ctx.sim.record_event(
            action, *context, ("group", ctx.state.groups[seq].group_id)
        )
    if not users and not groups:
        ctx.sim.record_event(action, *context)


def actor_body(ctx: Ctx) -> tuple[set[int], set[int]]:
    """A `{"user": [...]}` / `{"groupId": [...]}` / `{"group": [...]}` body resolved to seqs."""
    body = check_object(ctx.json(), {"user": list, "groupId": list, "group": list})
    if "group" in body and "groupId" in body:
        raise ApiError(400, "You can't specify both group and groupId.")
    users, group_ids, names = (
        check_str_list(body.get(k, []), k) for k in ("user", "groupId", "group")
    )
    if not (users or group_ids or names):
        raise ApiError(400, "Specify at least one user or group to add.")
    return resolve_actors(ctx, users, group_ids, names)


@route("GET", J + "/role/{role}/actors")
def get_default_actors(ctx: Ctx) -> Response:
    """A global role with its default actors (the template for new projects)."""
    return json_response(role_json(ctx, role_or_404(ctx)))


@route("POST", J + "/role/{role}/actors")
def add_default_actors(ctx: Ctx) -> Response:
    """Add default actors; 400 if one is already there."""
    role = role_or_404(ctx)
    users, groups = actor_body(ctx)
    if users & role.default_users or groups & role.default_groups:
        raise ApiError(
            400, "The actor is already a default member of the project role."
        )
    role.default_users |= users
    role.default_groups |= groups
    return json_response(role_json(ctx, role))


@route("DELETE", J + "/role/{role}/actors")
def delete_default_actor(ctx: Ctx) -> Response:
    """Remove one default actor (?user=, ?groupId= or ?group=); 404 when absent."""
    role = role_or_404(ctx)
    given = [(k, ctx.arg(k)) for k in ("user", "groupId", "group") if ctx.arg(k)]
    if len(given) != 1:
        raise ApiError(400, "Specify exactly one of user, groupId or group.")
    kind, value = given[0]
    state = ctx.state
    if kind == "user":
        user = state.user_by_account.get(value or "")
        seq, held = (user.seq if user else -1), role.default_users
    else:
        group = (
            state.group_by_id.get(value or "")
            if kind == "groupId"
            else state.group_by_name(value or "")
        )
        seq, held = (group.seq if group else -1), role.default_groups
    if seq not in held:
        raise ApiError(
            404, f"'{value}' is not a default member of the project role '{role.name}'."
        )
    held.discard(seq)
    return json_response(role_json(ctx, role))
