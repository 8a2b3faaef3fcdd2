"""Jira issue operations: create, update, delete, and change status through the
transitions available now (Jira's issue management through the connector).

Creating an issue runs once per job (`operations_idempotency.create_once`): the key
Jira answers is saved on the job at once, so a later attempt (after the read-back failed,
or the worker died) reuses it. Jira takes no client-supplied key for an issue and the
reference documents no lookup that would find one by what we sent, so an issue whose
create answer was lost is created again and the outcome says a duplicate may exist.
Deleting what is gone, or moving an issue to the status it has, succeeds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError

from approvals.operations import Operation, OperationForm, Outcome, register
from approvals.operations_fields import ResourceField, body_field, issue_field
from approvals.operations_idempotency import create_once
from connectors.atlassian.administration import IssueResult
from connectors.base import NotFound, ResourceKind

if TYPE_CHECKING:
    from approvals.operations import OperationContext
    from connectors.atlassian.connector import AtlassianConnector


class CreateIssueForm(OperationForm):
    project = ResourceField(ResourceKind.PROJECT)
    summary = forms.CharField(max_length=255)
    issue_type = forms.CharField(
        max_length=60,
        initial="Task",
        required=False,
        help_text="Task unless you name another type.",
    )
    description = body_field(
        "Description",
        required=False,
        help_text="Plain text; blank lines separate paragraphs.",
    )


class UpdateIssueForm(OperationForm):
    issue = issue_field()
    summary = forms.CharField(required=False, max_length=255)
    description = body_field(
        "Description", required=False, help_text="Plain text; replaces the description."
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not (cleaned.get("summary") or cleaned.get("description")):
            raise ValidationError("Change the summary or the description.")
        return cleaned


class DeleteIssueForm(OperationForm):
    issue = issue_field()
    delete_subtasks = forms.BooleanField(
        required=False, help_text="Also delete its subtasks (needed when it has any)."
    )


class TransitionIssueForm(OperationForm):
    issue = issue_field()
    transition = forms.CharField(
        max_length=100,
        help_text="The transition's id or name, or the status to move to (e.g. Done).",
    )


# --- handlers --------------------------------------------------------------------------


def _issue_view(connector: AtlassianConnector, issue: str) -> dict[str, Any]:
    try:
        found = connector.get_issue(issue)
    except NotFound:
        return {}
    return {"key": found.key, "summary": found.summary, "status": found.status}


def create_issue(context: OperationContext) -> Outcome:
    """Create the issue once per job, then read it back for its status."""
    a = context.arguments
    created = create_once(
        context,
        "issue",
        IssueResult,
        lambda: context.connector.create_issue(
            a["project"],
            a["summary"],
            issue_type=a.get("issue_type") or "Task",
            description=a.get("description", ""),
        ),
    )
    made = context.connector.get_issue(created.made.key)
    context.record(
        target_type="atlassian.issue",
        target_id=made.key,
        target_label=f"{made.key} {a['summary']}"[:300],
        after={
            "key": made.key,
            "id": made.issue_id,
            "summary": a["summary"],
            "issue_type": a.get("issue_type") or "Task",
            "status": made.status,
        },
        message=f"Jira issue {made.key} created{created.note}",
    )
    return Outcome(
        f"Jira issue {made.key} created ({made.status}){created.note}",
        {"key": made.key, "issue_id": made.issue_id, "status": made.status}
        | created.result,
    )


def update_issue(context: OperationContext) -> Outcome:
    a = context.arguments
    before = _issue_view(context.connector, a["issue"])
    context.connector.update_issue(
        a["issue"], summary=a.get("summary"), description=a.get("description")
    )
    after = _issue_view(context.connector, a["issue"])
    changed = sorted(k for k in ("summary", "description") if a.get(k))
    context.record(
        target_type="atlassian.issue",
        target_id=a["issue"],
        target_label=a["issue"],
        before=before,
        after=after | {"description_changed": "description" in changed},
        message=f"Jira issue {a['issue']} updated: {', '.join(changed)}",
    )
    return Outcome(
        f"Jira issue {a['issue']} updated", {"key": a["issue"], "changed": changed}
    )


def delete_issue(context: OperationContext) -> Outcome:
    a = context.arguments
    before = _issue_view(context.connector, a["issue"])
    result = context.connector.delete_issue(
        a["issue"], delete_subtasks=bool(a.get("delete_subtasks"))
    )
    context.record(
        target_type="atlassian.issue",
        target_id=a["issue"],
        target_label=a["issue"],
        before=before,
        after={"deleted": True, "already_done": result.already_done},
        message=f"Jira issue {a['issue']} deleted",
    )
    state = "was already deleted" if result.already_done else "deleted"
    return Outcome(
        f"Jira issue {a['issue']} {state}",
        {"key": a["issue"], "already_done": result.already_done},
    )


def transition_issue(context: OperationContext) -> Outcome:
    a = context.arguments
    before = _issue_view(context.connector, a["issue"])
    result = context.connector.transition_issue(a["issue"], a["transition"])
    after = _issue_view(context.connector, a["issue"])
    context.record(
        target_type="atlassian.issue",
        target_id=a["issue"],
        target_label=a["issue"],
        before={"status": before.get("status")},
        after={"status": after.get("status"), "already_done": result.already_done},
        message=f"Jira issue {a['issue']}: {result.detail or 'already ' + str(after.get('status'))}",
    )
    return Outcome(
        f"Jira issue {a['issue']} is {after.get('status')}",
        {
            "key": a["issue"],
            "status": after.get("status"),
            "already_done": result.already_done,
        },
    )


register(
    Operation(
        "issues.create",
        "issues",
        "Create a Jira issue",
        CreateIssueForm,
        create_issue,
        lambda a: f"Create an issue in {a.get('project')}: {a.get('summary')}",
    )
)
register(
    Operation(
        "issues.update",
        "issues",
        "Update a Jira issue",
        UpdateIssueForm,
        update_issue,
        lambda a: f"Update the Jira issue {a.get('issue')}",
    )
)
register(
    Operation(
        "issues.delete",
        "issues",
        "Delete a Jira issue",
        DeleteIssueForm,
        delete_issue,
        lambda a: f"Delete the Jira issue {a.get('issue')}",
    )
)
register(
    Operation(
        "issues.transition",
        "issues",
        "Change an issue's status",
        TransitionIssueForm,
        transition_issue,
        lambda a: f"Move the Jira issue {a.get('issue')} through {a.get('transition')}",
        notes="Only the transitions available from the issue's current status can be taken.",
    )
)
