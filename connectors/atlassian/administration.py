"""Running the organization beyond access: groups, projects and issues (+ content_operations).

`AtlassianAdministration` is mixed into `AtlassianConnector`; each method is one plain
operation with a frozen dataclass result. Deletes are idempotent (already gone →
`already_done`); creates are not repeated on 5xx, except where a repeat is recognised.
The `find_*` lookups by natural key (project key, group name, page title ...) let a
job whose create went unanswered find what Atlassian made instead of making it twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectors.atlassian.content_operations import ContentOperations
from connectors.atlassian.jira_issues import adf_from_text
from connectors.base import (
    ChangeResult,
    Conflict,
    Invalid,
    ManagedExternally,
    NotFound,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from connectors.atlassian.families import Families

NAME_IN_USE = re.compile(r"already exists|in use|already used", re.I)


@dataclass(frozen=True, slots=True)
class GroupResult:
    """A group created or found."""

    group_id: str
    name: str
    created: bool


@dataclass(frozen=True, slots=True)
class ProjectResult:
    """A Jira project."""

    project_id: str
    key: str
    name: str = ""
    lead_account_id: str | None = None
    is_deleted: bool = False  # in the recycle bin


@dataclass(frozen=True, slots=True)
class ProjectRoleView:
    """A project role with its actors."""

    role_id: int
    name: str
    account_ids: tuple[str, ...]
    group_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class IssueResult:
    """A Jira issue."""

    issue_id: str
    key: str
    summary: str = ""
    status: str = ""


@dataclass(frozen=True, slots=True)
class TransitionOption:
    """A transition an issue can take now."""

    transition_id: str
    name: str
    to_status: str


def _done(changed: bool) -> ChangeResult:  # noqa: FBT001 - "changed?" is the one argument
    return ChangeResult(already_done=not changed)


class AtlassianAdministration(ContentOperations):
    """Groups, projects, issues and Confluence content operations."""

    families: Families

    # -- groups ------------------------------------------------------------------------------

    def create_group(self, name: str, description: str = "") -> GroupResult:
        """Create a site group (Admin API when configured, else Jira); existing → found."""
        families = self.families
        try:
            if families.admin is not None:
                made = families.admin.create_group(
                    families.directory_id(), name, description
                )
                return GroupResult(made.id, made.name, created=True)
            if description:
                raise Invalid(
                    "A group description needs the Organizations API", family="jira"
                )
            group = families.jira.create_group(name)
            return GroupResult(group.group_id, group.name, created=True)
        except (Conflict, Invalid) as exc:
            if not NAME_IN_USE.search(exc.message):
                raise
            existing = next(iter(families.jira.list_groups(names=[name])), None)
            if existing is None:
                raise
            return GroupResult(existing.group_id, existing.name, created=False)

    def find_group(self, name: str) -> GroupResult | None:
        """The site group of that name (Jira's group list by groupName), or None."""
        found = self.families.jira.list_groups(names=[name])
        group = next((g for g in found if g.name.casefold() == name.casefold()), None)
        return GroupResult(group.group_id, group.name, created=False) if group else None

    def delete_group(self, group_id: str) -> ChangeResult:
        """Delete a group; refuses groups an identity provider manages."""
        meta = self.families.admin_group(group_id)
        if meta is not None and meta.is_managed_externally:
            message = (
                f"The group {meta.name} is managed by your identity provider; delete it there "
                "(Atlassian keeps IdP-synced groups read-only)."
            )
            raise ManagedExternally(message, family="admin")
        return _done(self.families.jira.delete_group(group_id))

    def rename_group(self, group_id: str, new_name: str) -> GroupResult:
        """Refuse: no Atlassian API renames a group (SCIM cannot once synced)."""
        message = (
            f"Atlassian has no API to rename a group (group {group_id} → {new_name!r}). "
            "Create the new group, copy its members, then delete the old group."
        )
        raise Invalid(message, family="admin")

    def update_group_description(self, group_id: str, description: str) -> None:
        """Refuse: the Organizations API cannot edit a group's description."""
        if self.families.admin is None:
            raise Invalid(
                "Group descriptions need the Organizations API", family="admin"
            )
        self.families.admin.update_group_description(group_id, description)

    def iter_group_member_ids(self, group_id: str) -> Iterator[str]:
        """The accountIds of a group's members."""
        return (
            user.account_id for user in self.families.jira.list_group_members(group_id)
        )

    # -- Jira projects -------------------------------------------------------------------------

    def create_project(
        self,
        key: str,
        name: str,
        *,
        project_type: str = "software",
        lead_account_id: str,
        template_key: str = "",
        description: str = "",
    ) -> ProjectResult:
        """Create a project (template where the API supports it)."""
        fields: dict[str, Any] = {
            "key": key,
            "name": name,
            "projectTypeKey": project_type,
            "leadAccountId": lead_account_id,
        }
        if template_key:
            fields["projectTemplateKey"] = template_key
        if description:
            fields["description"] = description
        made = self.families.jira.create_project(fields)
        return ProjectResult(made.id, made.key, name)

    def find_project(self, key: str) -> ProjectResult | None:
        """The project holding this key (even in the recycle bin), or None."""
        try:
            found = self.families.jira.get_project(key)
        except NotFound:
            return None
        lead = found.lead.account_id if found.lead else None
        return ProjectResult(found.id, found.key, found.name, lead, found.deleted)

    def update_project(self, project: str, **changes: str) -> ProjectResult:
        """Change name, key, description or lead (`lead_account_id`)."""
        names = {"name": "name", "key": "key", "description": "description"}
        names["lead_account_id"] = "leadAccountId"
        unknown = set(changes) - set(names)
        if unknown:
            raise Invalid(
                f"Cannot change project fields: {', '.join(sorted(unknown))}",
                family="jira",
            )
        fields = {names[key]: value for key, value in changes.items()}
        updated = self.families.jira.update_project(project, fields)
        return ProjectResult(updated.id, updated.key, updated.name)

    def delete_project(self, project: str) -> ChangeResult:
        """Move a project to the recycle bin; idempotent."""
        return _done(self.families.jira.delete_project(project))

    def list_project_roles(self, project: str) -> list[ProjectRoleView]:
        """The project's roles with their user and group actors."""
        jira = self.families.jira
        views = []
        for name, role_id in sorted(jira.get_project_roles(project).items()):
            role = jira.get_project_role(project, role_id)
            users = tuple(a.account_id for a in role.actors if a.account_id)
            groups = tuple(a.group_id for a in role.actors if a.group_id)
            views.append(ProjectRoleView(role_id, name, users, groups))
        return views

    # -- Jira issues ---------------------------------------------------------------------------

    def create_issue(
        self,
        project_key: str,
        summary: str,
        *,
        issue_type: str = "Task",
        description: str = "",
    ) -> IssueResult:
        """Create an issue; the description is plain text, sent as ADF.

        Not idempotent: Jira takes no client-supplied key for an issue, so a create
        whose answer was lost cannot be told apart from a second one.
        """
        fields: dict[str, Any] = {
            "project": {"key": project_key},
            "issuetype": {"name": issue_type},
            "summary": summary,
        }
        if description:
            fields["description"] = adf_from_text(description)
        made = self.families.issues.create_issue(fields)
        return IssueResult(made.id, made.key, summary)

    def get_issue(self, issue: str) -> IssueResult:
        """One issue with its status."""
        found = self.families.issues.get_issue(issue)
        status = found.fields.status.name if found.fields.status else ""
        return IssueResult(found.id, found.key, found.fields.summary or "", status)

    def update_issue(
        self, issue: str, *, summary: str | None = None, description: str | None = None
    ) -> None:
        """Change summary and/or description (plain text → ADF)."""
        fields: dict[str, Any] = {}
        if summary is not None:
            fields["summary"] = summary
        if description is not None:
            fields["description"] = adf_from_text(description)
        if fields:
            self.families.issues.edit_issue(issue, fields)

    def delete_issue(
        self, issue: str, *, delete_subtasks: bool = False
    ) -> ChangeResult:
        """Delete an issue; idempotent."""
        return _done(
            self.families.issues.delete_issue(issue, delete_subtasks=delete_subtasks)
        )

    def list_transitions(self, issue: str) -> list[TransitionOption]:
        """The transitions the issue can take now."""
        return [
            TransitionOption(t.id, t.name, t.to.name if t.to else "")
            for t in self.families.issues.get_transitions(issue)
        ]

    def transition_issue(self, issue: str, transition: str) -> ChangeResult:
        """Move the issue by transition id, name or target status name.

        Already in the target status → `already_done`. Invalid lists the options.
        """
        current = self.get_issue(issue).status
        options = self.list_transitions(issue)
        wanted = transition.casefold()
        match = next(
            (
                o
                for o in options
                if wanted
                in (
                    o.transition_id.casefold(),
                    o.name.casefold(),
                    o.to_status.casefold(),
                )
            ),
            None,
        )
        if match is None:
            if current.casefold() == wanted:
                return ChangeResult(already_done=True)
            choices = ", ".join(f"{o.name} → {o.to_status}" for o in options) or "none"
            raise Invalid(
                f"Issue {issue} cannot take {transition!r} now; available: {choices}"
            )
        self.families.issues.transition_issue(issue, match.transition_id)
        return ChangeResult(detail=f"{current} → {match.to_status}")
