"""Jira Cloud REST v3: projects, global roles and project role actors."""

from __future__ import annotations

import re
from typing import Any

from connectors.simulator.jira import J, page_bean, user_json, window
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
KEY_RULE = re.compile(r"^[A-Z][A-Z0-9]{1,9}$")
USER_ACTOR = "atlassian-user-role-actor"
GROUP_ACTOR = "atlassian-group-role-actor"
SCHEME_FIELDS = {
    k: int
    for k in (
        "permissionScheme",
        "notificationScheme",
        "issueSecurityScheme",
        "workflowScheme",
        "issueTypeScheme",
        "issueTypeScreenScheme",
        "fieldConfigurationScheme",
        "categoryId",
        "avatarId",
    )
}
UPDATE_FIELDS = {
    "name": str,
    "key": str,
    "description": str,
    "leadAccountId": str,
    "assigneeType": str,
    "url": str,
    **SCHEME_FIELDS,
}
CREATE_FIELDS = {**UPDATE_FIELDS, "projectTypeKey": str, "projectTemplateKey": str}


def project_json(
    ctx: Ctx, project: Project, expand: list[str] | None = None, *, full: bool = False
) -> dict[str, Any]:
    """Render a project; `full` adds what GET /project/{key} returns."""
    expand = expand or []
    base = f"{ctx.origin()}{J}/project/{project.id}"
    data: dict[str, Any] = {
        "expand": "description,lead,issueTypes,url,projectKeys,permissions,insight",
        "self": base,
        "id": str(project.id),
        "key": project.key,
        "name": project.name,
        "avatarUrls": {
            s: f"{ctx.origin()}/rest/api/3/universal_avatar/view/type/project/avatar/10400?size={s}"
            for s in ("48x48", "24x24", "16x16", "32x32")
        },
        "projectTypeKey": project.type_key,
        "simplified": False,
        "style": "classic",
        "isPrivate": False,
        "properties": {},
    }
    if project.archived:
        data["archived"] = True
    if project.deleted:
        data["deleted"] = True
    lead = ctx.state.users.get(project.lead) if project.lead is not None else None
    if full or "description" in expand:
        data["description"] = project.description
    if (full or "lead" in expand) and lead is not None:
        data["lead"] = user_json(ctx, lead)
    if full:
        data["assigneeType"] = "UNASSIGNED"
        data["issueTypes"] = [
            {"id": "10001", "name": "Task", "subtask": False},
            {"id": "10002", "name": "Bug", "subtask": False},
        ]
        data["roles"] = role_map(ctx, project)
    return data


def project_or_404(ctx: Ctx, *, include_deleted: bool = False) -> Project:
    """The project in the path, by key or id."""
    raw = ctx.params["project"]
    state = ctx.state
    project = state.project_by_key.get(raw.upper()) or (
        state.projects.get(int(raw)) if raw.isdigit() else None
    )
    if project is None or (project.deleted and not include_deleted):
        raise ApiError(404, f"No project could be found with key '{raw}'.")
    return project


def role_or_404(ctx: Ctx) -> Role:
    """The global role in the path."""
    raw = ctx.params["role"]
    role = ctx.state.roles.get(int(raw)) if raw.isdigit() else None
    if role is None:
        raise ApiError(404, f"Can not find a project role with id: {raw}")
    return role


def role_map(ctx: Ctx, project: Project) -> dict[str, str]:
    """`{role name: role URL}` for a project."""
    base = f"{ctx.origin()}{J}/project/{project.id}/role"
    return {role.name: f"{base}/{role.id}" for role in ctx.state.roles.values()}


@route("GET", J + "/project/search")
def search_projects(ctx: Ctx) -> Response:
    """Page bean of projects; filters query, keys, id, typeKey, status; orderBy key/name/id."""
    start, size = window(ctx, 50, 100)
    state = ctx.state
    statuses = set(ctx.args("status")) or {"live"}
    keys, ids = (
        set(ctx.request.query.get("keys", [])),
        set(ctx.request.query.get("id", [])),
    )
    query, type_key = (ctx.arg("query") or "").lower(), ctx.arg("typeKey")
    plain = (
        statuses == {"live"}
        and not (keys or ids or query or type_key)
        and not ctx.arg("orderBy")
    )
    if plain and not any(
        p.archived or p.deleted
        for p in (state.projects[i] for i in state.project_order[start : start + size])
    ):
        pass  # fall through to the general path; it stays cheap for 1k projects
    chosen = []
    for project_id in state.project_order:
        project = state.projects[project_id]
        status = (
            "deleted" if project.deleted else "archived" if project.archived else "live"
        )
        if (
            status not in statuses
            or (keys and project.key not in keys)
            or (ids and str(project.id) not in ids)
        ):
            continue
        if (
            query
            and query not in project.key.lower()
            and query not in project.name.lower()
        ):
            continue
        if type_key and project.type_key != type_key:
            continue
        chosen.append(project)
    order = (ctx.arg("orderBy") or "key").lstrip("+")
    field = order.lstrip("-")
    if field in ("key", "name", "id"):
        chosen.sort(key=lambda p: getattr(p, field), reverse=order.startswith("-"))
    values = [
        project_json(ctx, p, ctx.args("expand")) for p in chosen[start : start + size]
    ]
    return json_response(page_bean(ctx, values, start, size, len(chosen)))


@route("GET", J + "/project/{project}")
def get_project(ctx: Ctx) -> Response:
    """One project."""
    return json_response(
        project_json(ctx, project_or_404(ctx), ctx.args("expand"), full=True)
    )


def lead_seq(ctx: Ctx, account_id: str | None) -> int:
    """Resolve leadAccountId (default: the caller)."""
    if account_id is None:
        return ctx.sim.service_account.seq
    user = ctx.state.user_by_account.get(account_id)
    if user is None or not user.active:
        raise ApiError(
            400, "The project lead must be an active user.", field="leadAccountId"
        )
    return user.seq


def check_key_and_name(
    ctx: Ctx, key: str | None, name: str | None, current: Project | None = None
) -> None:
    """Project keys follow Jira's rule and keys/names are unique."""
    state = ctx.state
    if key is not None:
        if not KEY_RULE.match(key):
            raise ApiError(
                400,
                "Project keys must start with an uppercase letter, followed by one or more uppercase "
                "alphanumeric characters.",
                field="projectKey",
            )
        other = state.project_by_key.get(key)
        if other is not None and other is not current:
            raise ApiError(
                400,
                f"Project '{other.name}' uses this project key.",
                field="projectKey",
            )
    if name is not None and any(
        p.name.lower() == name.lower() and p is not current
        for p in state.projects.values()
    ):
        raise ApiError(
            400, "A project with that name already exists.", field="projectName"
        )


@route("POST", J + "/project")
def create_project(ctx: Ctx) -> Response:
    """Create a project; 201 {id, key, self}."""
    body = check_object(ctx.json(), CREATE_FIELDS, ("key", "name"))
    if body.get("projectTypeKey", "software") not in (
        "software",
        "business",
        "service_desk",
    ):
        raise ApiError(400, "Invalid project type key.", field="projectTypeKey")
    check_key_and_name(ctx, body["key"], body["name"])
    state = ctx.state
    project = Project(
        state.next_project,
        body["key"],
        body["name"],
        body.get("projectTypeKey", "software"),
        lead_seq(ctx, body.get("leadAccountId")),
        body.get("description", ""),
    )
    state.add_project(project)
    ctx.sim.record_event("project_created", ("project", str(project.id)))
    return json_response(
        {
            "self": f"{ctx.origin()}{J}/project/{project.id}",
            "id": project.id,
            "key": project.key,
        },
        201,
    )


@route("PUT", J + "/project/{project}")
def update_project(ctx: Ctx) -> Response:
    """Update name, key, description, lead (schemes are accepted and kept as they are)."""
    project = project_or_404(ctx)
    body = check_object(ctx.json(), UPDATE_FIELDS)
    check_key_and_name(ctx, body.get("key"), body.get("name"), project)
    if "leadAccountId" in body:
        project.lead = lead_seq(ctx, body["leadAccountId"])
    if body.get("key") and body["key"] != project.key:
        del ctx.state.project_by_key[project.key]
        project.key = body["key"]
        ctx.state.project_by_key[project.key] = project
    project.name = body.get("name") or project.name
    project.description = body.get("description", project.description)
    ctx.sim.record_event("project_updated", ("project", str(project.id)))
    return json_response(project_json(ctx, project, full=True))


@route("DELETE", J + "/project/{project}")
def delete_project(ctx: Ctx) -> Response:
    """Delete (to the recycle bin with enableUndo=true, the default); archived ones are a 400."""
    project = project_or_404(ctx)
    if project.archived:
        raise ApiError(
            400, f"Project '{project.key}' is archived. Restore it before deleting it."
        )
    if ctx.bool_arg("enableUndo", default=True):
        project.deleted = True
    else:
        state = ctx.state
        del state.projects[project.id], state.project_by_key[project.key]
        state.project_order.remove(project.id)
    ctx.sim.record_event("project_deleted", ("project", str(project.id)))
    return empty(204)


@route("POST", J + "/project/{project}/archive")
def archive_project(ctx: Ctx) -> Response:
    """Archive a live project."""
    project = project_or_404(ctx)
    if project.archived:
        raise ApiError(400, f"Project '{project.key}' is already archived.")
    project.archived = True
    ctx.sim.record_event("project_archived", ("project", str(project.id)))
    return empty(204)


@route("POST", J + "/project/{project}/restore")
def restore_project(ctx: Ctx) -> Response:
    """Restore an archived or deleted project."""
    project = project_or_404(ctx, include_deleted=True)
    if not (project.archived or project.deleted):
        raise ApiError(400, f"Project '{project.key}' is neither archived nor deleted.")
    project.archived = project.deleted = False
    ctx.sim.record_event("project_restored", ("project", str(project.id)))
    return json_response(project_json(ctx, project, full=True))


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
    """The actors of a role in a project (none for the global role)."""
    if project is None:
        return []
    state, out = ctx.state, []
    for seq in sorted(project.users.get(role.id, ())):
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
    for seq in sorted(project.groups.get(role.id, ())):
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
    body = check_object(ctx.json(), {"user": list, "groupId": list, "group": list})
    if "group" in body and "groupId" in body:
        raise ApiError(400, "You can't specify both group and groupId.")
    users, group_ids, names = (
        check_str_list(body.get(k, []), k) for k in ("user", "groupId", "group")
    )
    if not (users or group_ids or names):
        raise ApiError(400, "Specify at least one user or group to add.")
    user_seqs, group_seqs = resolve_actors(ctx, users, group_ids, names)
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
