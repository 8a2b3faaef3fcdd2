"""Jira Cloud REST v3 issues: create (ADF checked), get, edit, delete, transitions."""

from __future__ import annotations

from typing import Any

from connectors.simulator.jira import J
from connectors.simulator.routing import Ctx, Route, check_object, registrar
from connectors.simulator.state import Issue, utc_now
from connectors.simulator.wire import ApiError, Response, empty, json_response

ROUTES: list[Route] = []
route = registrar(ROUTES)
ISSUE_TYPES = {"Task": "10001", "Bug": "10002"}
STATUSES = {
    "To Do": ("10000", "new"),
    "In Progress": ("3", "indeterminate"),
    "Done": ("10001", "done"),
}
TRANSITIONS = {
    "11": ("To Do", "To Do"),
    "21": ("In Progress", "In Progress"),
    "31": ("Done", "Done"),
}
FIELDS = {
    "project",
    "issuetype",
    "summary",
    "description",
    "assignee",
    "reporter",
    "labels",
    "priority",
}
ADF_NODES = {
    "doc",
    "paragraph",
    "text",
    "heading",
    "bulletList",
    "orderedList",
    "listItem",
    "codeBlock",
    "blockquote",
    "rule",
    "hardBreak",
    "mention",
    "emoji",
    "panel",
    "table",
    "tableRow",
    "tableHeader",
    "tableCell",
    "mediaSingle",
    "media",
    "inlineCard",
    "status",
    "date",
}
ADF_ERROR = (
    "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
)


def check_adf(node: Any, *, root: bool = True) -> None:
    """Raise ValueError unless `node` is an ADF document (doc root, version 1, known nodes)."""
    if not isinstance(node, dict) or not isinstance(node.get("type"), str):
        raise ValueError("node")
    if root and (
        node["type"] != "doc"
        or node.get("version") != 1
        or not isinstance(node.get("content"), list)
    ):
        raise ValueError("root")
    if node["type"] not in ADF_NODES or (not root and node["type"] == "doc"):
        raise ValueError(node["type"])
    if node["type"] == "text" and not isinstance(node.get("text"), str):
        raise ValueError("text")
    content = node.get("content", [])
    if not isinstance(content, list):
        raise ValueError("content")
    for child in content:
        check_adf(child, root=False)


def issue_or_404(ctx: Ctx) -> Issue:
    """The issue in the path, by key or id."""
    raw, state = ctx.params["issue"], ctx.state
    issue = state.issue_by_key.get(raw.upper()) or (
        state.issues.get(int(raw)) if raw.isdigit() else None
    )
    if issue is None:
        raise ApiError(
            404, "Issue does not exist or you do not have permission to see it."
        )
    return issue


def check_fields(ctx: Ctx, fields: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """Validate issue fields; unknown ones and non-ADF descriptions are field errors."""
    for name in fields:
        if name not in FIELDS or (name in ("project", "issuetype") and not creating):
            raise ApiError(
                400,
                f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown.",
                field=name,
            )
    if creating:
        for name in ("project", "issuetype", "summary"):
            if not fields.get(name):
                raise ApiError(400, f"{name.capitalize()} is required.", field=name)
    if "summary" in fields and (
        not isinstance(fields["summary"], str) or len(fields["summary"]) > 255
    ):
        raise ApiError(
            400, "Summary must be a string of at most 255 characters.", field="summary"
        )
    if fields.get("description") is not None:
        try:
            check_adf(fields["description"])
        except ValueError as error:
            raise ApiError(400, ADF_ERROR, field="description") from error
    for name in ("assignee", "reporter"):
        person = fields.get(name)
        if person is not None and (
            not isinstance(person, dict)
            or ctx.state.user_by_account.get(person.get("accountId", "")) is None
        ):
            raise ApiError(400, f"Specify a valid value for {name}.", field=name)
    return fields


@route("POST", J + "/issue")
def create_issue(ctx: Ctx) -> Response:
    """Create an issue; 201 {id, key, self}."""
    body = check_object(ctx.json(), {"fields": dict, "update": dict}, ("fields",))
    fields = check_fields(ctx, body["fields"], creating=True)
    ref = fields["project"]
    state = ctx.state
    project = None
    if isinstance(ref, dict):
        project = state.project_by_key.get(
            str(ref.get("key", ""))
        ) or state.projects.get(int(ref.get("id") or 0))
    if project is None or project.deleted or project.archived:
        raise ApiError(400, "Specify a valid project ID or key", field="project")
    issue_type = fields["issuetype"]
    if not isinstance(issue_type, dict) or (
        issue_type.get("name") not in ISSUE_TYPES
        and issue_type.get("id") not in ISSUE_TYPES.values()
    ):
        raise ApiError(400, "Specify an issue type", field="issuetype")
    project.issue_counter += 1
    now = utc_now()
    issue = Issue(
        state.next_issue,
        f"{project.key}-{project.issue_counter}",
        project.id,
        dict(fields),
        created=now,
        updated=now,
    )
    state.next_issue += 1
    state.issues[issue.id], state.issue_by_key[issue.key] = issue, issue
    return json_response(
        {
            "id": str(issue.id),
            "key": issue.key,
            "self": f"{ctx.origin()}{J}/issue/{issue.id}",
        },
        201,
    )


def issue_json(ctx: Ctx, issue: Issue) -> dict[str, Any]:
    """Render an issue with its fields and status."""
    project = ctx.state.projects[issue.project_id]
    status_id, category = STATUSES[issue.status]
    fields = {
        k: v for k, v in issue.fields.items() if k not in ("project", "issuetype")
    }
    issue_type = issue.fields["issuetype"].get("name") or next(
        k for k, v in ISSUE_TYPES.items() if v == issue.fields["issuetype"].get("id")
    )
    fields.update(
        {
            "project": {
                "id": str(project.id),
                "key": project.key,
                "name": project.name,
            },
            "issuetype": {"id": ISSUE_TYPES[issue_type], "name": issue_type},
            "status": {
                "id": status_id,
                "name": issue.status,
                "statusCategory": {"key": category},
            },
            "created": issue.created,
            "updated": issue.updated,
        }
    )
    fields.setdefault("description", None)
    return {
        "expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
        "id": str(issue.id),
        "self": f"{ctx.origin()}{J}/issue/{issue.id}",
        "key": issue.key,
        "fields": fields,
    }


@route("GET", J + "/issue/{issue}")
def get_issue(ctx: Ctx) -> Response:
    """One issue."""
    return json_response(issue_json(ctx, issue_or_404(ctx)))


@route("PUT", J + "/issue/{issue}")
def edit_issue(ctx: Ctx) -> Response:
    """Edit fields; 204, or 200 with the issue when returnIssue=true."""
    issue = issue_or_404(ctx)
    body = check_object(
        ctx.json(),
        {"fields": dict, "update": dict, "historyMetadata": dict, "properties": list},
    )
    issue.fields.update(check_fields(ctx, body.get("fields", {}), creating=False))
    issue.updated = utc_now()
    if ctx.bool_arg("returnIssue", default=False):
        return json_response(issue_json(ctx, issue))
    return empty(204)


@route("DELETE", J + "/issue/{issue}")
def delete_issue(ctx: Ctx) -> Response:
    """Delete an issue (no subtasks exist here)."""
    issue = issue_or_404(ctx)
    del ctx.state.issues[issue.id], ctx.state.issue_by_key[issue.key]
    return empty(204)


def available(issue: Issue) -> dict[str, tuple[str, str]]:
    """Transitions from the issue's status: every other status."""
    return {tid: t for tid, t in TRANSITIONS.items() if t[1] != issue.status}


@route("GET", J + "/issue/{issue}/transitions")
def get_transitions(ctx: Ctx) -> Response:
    """Transitions available from the current status."""
    issue = issue_or_404(ctx)
    items = []
    for tid, (name, target) in available(issue).items():
        status_id, category = STATUSES[target]
        items.append(
            {
                "id": tid,
                "name": name,
                "hasScreen": False,
                "isGlobal": True,
                "isInitial": False,
                "isAvailable": True,
                "isConditional": False,
                "isLooped": False,
                "to": {
                    "id": status_id,
                    "name": target,
                    "statusCategory": {"key": category},
                },
            }
        )
    return json_response({"expand": "transitions", "transitions": items})


@route("POST", J + "/issue/{issue}/transitions")
def do_transition(ctx: Ctx) -> Response:
    """Move the issue along a transition; 400 if it is not available."""
    issue = issue_or_404(ctx)
    body = check_object(
        ctx.json(),
        {"transition": dict, "fields": dict, "update": dict, "historyMetadata": dict},
        ("transition",),
    )
    transition_id = str(body["transition"].get("id", ""))
    target = available(issue).get(transition_id)
    if target is None:
        raise ApiError(
            400, f"Transition id '{transition_id}' is not valid for this issue."
        )
    issue.fields.update(check_fields(ctx, body.get("fields", {}), creating=False))
    issue.status, issue.updated = target[1], utc_now()
    return empty(204)
