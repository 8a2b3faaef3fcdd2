"""The admin's live reads for operations: what Atlassian shows now, changing nothing.

Each reader takes a connector, the Application and what the admin typed, and returns
the rows of a table (approvals/templates/admin/approvals/operations/read.html).
"""

from __future__ import annotations

from itertools import islice
from typing import TYPE_CHECKING, Any

from django.urls import reverse

from approvals.group_members import group_members
from approvals.operations_attachments import page_detail
from approvals.operations_fields import (
    GroupField,
    ResourceField,
    content_id_field,
    issue_field,
    lookup,
)
from approvals.operations_projects import project_roles
from connectors.base import ResourceKind

if TYPE_CHECKING:
    from collections.abc import Callable

    from connectors.models import Application

PAGES_SHOWN = 200

READS = {
    "members": ("Group members", "Group (name, groupId or catalog id)"),
    "roles": ("Project roles and their actors", "Jira project key"),
    "transitions": ("An issue's available transitions", "Issue key"),
    "pages": ("A space's pages", "Confluence space key"),
    "page": ("A page, its attachments and restrictions", "Page id"),
}


def _members(connector: Any, application: Application, value: str) -> dict[str, Any]:
    members, cut = group_members(
        connector, lookup(GroupField(), value, application, name="group")
    )
    rows = [
        (m.display_name or "—", m.email or "—", m.identity or "—", m.account_id)
        for m in members
    ]
    note = "Only the first members are shown." if cut else f"{len(rows)} members."
    return {
        "headers": ("Name", "Email", "Identity", "accountId"),
        "rows": rows,
        "note": note,
    }


def _roles(connector: Any, application: Application, value: str) -> dict[str, Any]:
    project = lookup(
        ResourceField(ResourceKind.PROJECT), value, application, name="project"
    )
    rows = [
        (r.name, ", ".join(r.users) or "—", ", ".join(r.groups) or "—")
        for r in project_roles(connector, project)
    ]
    return {"headers": ("Role", "People", "Groups"), "rows": rows}


def _transitions(
    connector: Any, application: Application, value: str
) -> dict[str, Any]:
    issue = lookup(issue_field(), value, application, name="issue")
    current = connector.get_issue(issue)
    rows = [
        (t.transition_id, t.name, t.to_status)
        for t in connector.list_transitions(issue)
    ]
    transition = reverse(
        "admin:approvals_operationjob_run_one", args=["issues.transition"]
    )
    return {
        "headers": ("Id", "Transition", "To status"),
        "rows": rows,
        "note": f"{current.key} is {current.status}.",
        "action_url": f"{transition}?issue={issue}",
    }


def _pages(connector: Any, application: Application, value: str) -> dict[str, Any]:
    space = lookup(ResourceField(ResourceKind.SPACE), value, application, name="space")
    rows = [
        (p.content_id, p.title, p.status, p.version)
        for p in islice(connector.list_pages(space.key), PAGES_SHOWN)
    ]
    return {"headers": ("Id", "Title", "Status", "Version"), "rows": rows}


def _page(connector: Any, application: Application, value: str) -> dict[str, Any]:
    detail = page_detail(
        connector, lookup(content_id_field("Page"), value, application, name="page_id")
    )
    rows = [
        (
            "Page",
            detail.page.title,
            detail.page.status,
            f"version {detail.page.version}",
        )
    ]
    rows += [
        ("Attachment", a.title, a.media_type or "—", a.attachment_id)
        for a in detail.attachments
    ]
    rows += [
        ("Restriction", op, ", ".join(v["users"]) or "—", ", ".join(v["groups"]) or "—")
        for op, v in detail.restrictions.items()
    ]
    return {"headers": ("What", "Name", "", ""), "rows": rows}


READERS: dict[str, Callable[[Any, Application, str], dict[str, Any]]] = {
    "members": _members,
    "roles": _roles,
    "transitions": _transitions,
    "pages": _pages,
    "page": _page,
}
