"""Jira issues (create, get, edit, delete, transitions) with ADF rich text."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pydantic

from connectors.atlassian.jira import API
from connectors.atlassian.responses import MalformedResponse, Model, TextId, parse_model
from connectors.base import ApiFamily, NotFound

if TYPE_CHECKING:
    from connectors.atlassian.http import ApiClient


def adf_from_text(text: str) -> dict[str, Any]:
    """Plain text as an Atlassian Document Format doc: one paragraph per blank-line block.

    Jira v3 takes rich-text fields (description, comments) only as ADF.
    """
    paragraphs = []
    for block in text.split("\n\n"):
        lines = block.split("\n")
        content: list[dict[str, Any]] = []
        for index, line in enumerate(lines):
            if index:
                content.append({"type": "hardBreak"})
            if line:
                content.append({"type": "text", "text": line})
        paragraphs.append({"type": "paragraph", "content": content})
    return {"type": "doc", "version": 1, "content": paragraphs}


class CreatedIssue(Model):
    """Answer of issue creation."""

    id: TextId
    key: str


class IssueStatus(Model):
    """An issue's status."""

    id: TextId | None = None
    name: str


class IssueFields(Model):
    """The fields the portal reads back."""

    summary: str | None = None
    status: IssueStatus | None = None


class Issue(Model):
    """An issue."""

    id: TextId
    key: str
    fields: IssueFields = IssueFields()


class Transition(Model):
    """A transition available from the issue's current status."""

    id: TextId
    name: str
    to: IssueStatus | None = None
    is_available: bool = pydantic.Field(default=True, alias="isAvailable")


class JiraIssueClient:
    """One method per issue operation."""

    family = ApiFamily.JIRA

    def __init__(self, api: ApiClient) -> None:
        self.api = api

    # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-post
    def create_issue(self, fields: dict[str, Any]) -> CreatedIssue:
        """Create an issue (not repeated on 5xx: a repeat would make a duplicate)."""
        body = self.api.request("POST", f"{API}/issue", json={"fields": fields})
        return parse_model(CreatedIssue, body, family=self.family, what="created issue")

    # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-issueidorkey-get
    def get_issue(self, issue: str) -> Issue:
        """One issue with its summary and status."""
        body = self.api.request(
            "GET", f"{API}/issue/{issue}", params={"fields": "summary,status"}
        )
        return parse_model(Issue, body, family=self.family, what="issue")

    # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-issueidorkey-put
    def edit_issue(
        self, issue: str, fields: dict[str, Any], *, notify_users: bool = True
    ) -> None:
        """Set fields (204)."""
        params = {"notifyUsers": str(notify_users).lower(), "returnIssue": "false"}
        self.api.request(
            "PUT", f"{API}/issue/{issue}", params=params, json={"fields": fields}
        )

    # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-issueidorkey-delete
    def delete_issue(self, issue: str, *, delete_subtasks: bool = False) -> bool:
        """Delete; False when already gone."""
        params = {"deleteSubtasks": str(delete_subtasks).lower()}
        try:
            self.api.request("DELETE", f"{API}/issue/{issue}", params=params)
        except NotFound:
            return False
        return True

    # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-issueidorkey-transitions-get
    def get_transitions(self, issue: str) -> list[Transition]:
        """The transitions available now."""
        body = self.api.request("GET", f"{API}/issue/{issue}/transitions")
        items = body.get("transitions") if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise MalformedResponse(
                "Unexpected transitions answer from Jira", family="jira"
            )
        return [
            parse_model(Transition, t, family=self.family, what="transition")
            for t in items
        ]

    # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-issueidorkey-transitions-post
    def transition_issue(
        self, issue: str, transition_id: str, *, fields: dict[str, Any] | None = None
    ) -> None:
        """Move the issue through a transition (204)."""
        payload: dict[str, Any] = {"transition": {"id": transition_id}}
        if fields:
            payload["fields"] = fields
        self.api.request("POST", f"{API}/issue/{issue}/transitions", json=payload)
