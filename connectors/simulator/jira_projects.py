"""Jira Cloud REST v3: projects, global roles and project role actors."""

from __future__ import annotations

import re
from typing import Any

from connectors.simulator.jira import J, page_bean, user_json, window
from connectors.simulator.routing import (
    Ctx,
    Route,
    check_object,
    registrar,
)
from connectors.simulator.state import Project
from connectors.simulator.wire import ApiError, Response, empty, json_response

ROUTES: list[Route] = []
route = registrar(ROUTES)
KEY_RULE = re.compile(r"^[A-Z][A-Z0-9]{1,9}$")
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
