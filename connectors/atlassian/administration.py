"""Running the organization beyond access: groups, projects, issues, Confluence content.

`AtlassianAdministration` is mixed into `AtlassianConnector`; each method is one plain
operation with a frozen dataclass result. Deletes are idempotent (already gone →
`already_done`); creates are not repeated on 5xx, except where a repeat is recognised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectors.atlassian.jira_issues import adf_from_text
from connectors.base import ChangeResult, Conflict, Invalid, ManagedExternally, NotFound

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from connectors.atlassian.confluence_content import Content, LongTaskStatus
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


@dataclass(frozen=True, slots=True)
class ContentResult:
    """A Confluence page, blog post or comment."""

    content_id: str
    title: str = ""
    status: str = ""
    version: int | None = None
    space_id: str | None = None


@dataclass(frozen=True, slots=True)
class AttachmentResult:
    """A Confluence attachment."""

    attachment_id: str
    title: str
    media_type: str | None = None


@dataclass(frozen=True, slots=True)
class RestrictionView:
    """Who may read or update a piece of content."""

    operation: str
    account_ids: tuple[str, ...]
    group_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TaskResult:
    """A Confluence long-running task (archive, export)."""

    task_id: str
    finished: bool = False
    successful: bool = False
    percent: int = 0
    download_link: str | None = None


def _content(item: Content) -> ContentResult:
    return ContentResult(
        content_id=item.id,
        title=item.title or "",
        status=item.status or "",
        version=item.version.number if item.version else None,
        space_id=item.space_id,
    )


def _task(task_id: str, status: LongTaskStatus | None = None) -> TaskResult:
    if status is None:
        return TaskResult(task_id=task_id)
    return TaskResult(
        task_id=task_id,
        finished=status.finished,
        successful=status.successful,
        percent=status.percentage_complete,
        download_link=status.download_link,
    )


def _done(changed: bool) -> ChangeResult:  # noqa: FBT001 - "changed?" is the one argument
    return ChangeResult(already_done=not changed)


class AtlassianAdministration:
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
        """Create an issue; the description is plain text, sent as ADF."""
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

    # -- Confluence content ------------------------------------------------------------------

    def _space_id(self, space_key: str) -> str:
        space = self.families.confluence.find_space_by_key(space_key)
        if space is None:
            raise NotFound(
                f"No Confluence space with key {space_key}", family="confluence"
            )
        return space.id

    def list_pages(self, space_key: str) -> Iterator[ContentResult]:
        """The pages of a space."""
        return (
            _content(p)
            for p in self.families.content.list_space_pages(self._space_id(space_key))
        )

    def get_page(self, page_id: str) -> ContentResult:
        """One page."""
        return _content(self.families.content.get_page(page_id))

    def create_page(
        self, space_key: str, title: str, body: str, *, parent_id: str | None = None
    ) -> ContentResult:
        """Create a page (storage-format body)."""
        page = self.families.content.create_page(
            self._space_id(space_key), title, body, parent_id=parent_id
        )
        return _content(page)

    def update_page(self, page_id: str, title: str, body: str) -> ContentResult:
        """Replace a page's title and body as the next version."""
        current = self.families.content.get_page(page_id)
        version = (current.version.number if current.version else 0) + 1
        return _content(
            self.families.content.update_page(page_id, title, body, version=version)
        )

    def delete_page(self, page_id: str) -> ChangeResult:
        """Move a page to the trash; idempotent."""
        return _done(self.families.content.delete_page(page_id))

    def archive_pages(self, page_ids: Iterable[str]) -> TaskResult:
        """Start archiving pages (≤300); poll with `get_task`."""
        ids = list(page_ids)
        if not ids or len(ids) > 300:
            raise Invalid(
                "Archive between 1 and 300 pages at a time", family="confluence"
            )
        return _task(self.families.content.archive_pages(ids).id)

    def get_task(self, task_id: str) -> TaskResult:
        """Progress of an archive or export task."""
        return _task(task_id, self.families.content.get_long_task(task_id))

    def create_blog_post(self, space_key: str, title: str, body: str) -> ContentResult:
        """Publish a blog post."""
        return _content(
            self.families.content.create_blog_post(
                self._space_id(space_key), title, body
            )
        )

    def delete_blog_post(self, blog_post_id: str) -> ChangeResult:
        """Trash a blog post; idempotent."""
        return _done(self.families.content.delete_blog_post(blog_post_id))

    def create_comment(
        self, body: str, *, page_id: str | None = None, blog_post_id: str | None = None
    ) -> ContentResult:
        """Add a footer comment to a page or blog post."""
        if bool(page_id) == bool(blog_post_id):
            raise Invalid(
                "A comment needs exactly one of page_id or blog_post_id",
                family="confluence",
            )
        comment = self.families.content.create_footer_comment(
            body, page_id=page_id, blog_post_id=blog_post_id
        )
        return _content(comment)

    def delete_comment(self, comment_id: str) -> ChangeResult:
        """Delete a footer comment; idempotent."""
        return _done(self.families.content.delete_footer_comment(comment_id))

    def list_attachments(self, page_id: str) -> Iterator[AttachmentResult]:
        """The attachments of a page."""
        return (
            AttachmentResult(a.id, a.title, a.media_type)
            for a in self.families.content.list_attachments(page_id)
        )

    def upload_attachment(
        self,
        page_id: str,
        filename: str,
        data: bytes,
        media_type: str = "application/octet-stream",
    ) -> AttachmentResult:
        """Attach a file to a page."""
        made = self.families.content.upload_attachment(
            page_id, filename, data, media_type
        )
        return AttachmentResult(made.id, made.title, made.media_type)

    def delete_attachment(self, attachment_id: str) -> ChangeResult:
        """Delete an attachment; idempotent."""
        return _done(self.families.content.delete_attachment(attachment_id))

    def get_restrictions(self, content_id: str) -> list[RestrictionView]:
        """Read/update restrictions of a page or blog post."""
        return [
            RestrictionView(r.operation, r.account_ids, r.group_ids)
            for r in self.families.content.get_restrictions(content_id)
        ]

    def add_restriction(
        self,
        content_id: str,
        operation: str,
        *,
        account_id: str | None = None,
        group_id: str | None = None,
    ) -> ChangeResult:
        """Restrict read or update to a user or group; idempotent."""
        _check_restriction(operation, account_id, group_id)
        held = self._restricted(content_id, operation, account_id, group_id)
        if held:
            return ChangeResult(already_done=True)
        self.families.content.add_restriction(
            content_id, operation, account_id=account_id, group_id=group_id
        )
        return ChangeResult()

    def delete_restriction(
        self,
        content_id: str,
        operation: str,
        *,
        account_id: str | None = None,
        group_id: str | None = None,
    ) -> ChangeResult:
        """Lift a user's or group's restriction; idempotent."""
        _check_restriction(operation, account_id, group_id)
        content = self.families.content
        return _done(
            content.delete_restriction(
                content_id, operation, account_id=account_id, group_id=group_id
            )
        )

    def _restricted(
        self,
        content_id: str,
        operation: str,
        account_id: str | None,
        group_id: str | None,
    ) -> bool:
        for view in self.get_restrictions(content_id):
            if view.operation == operation:
                return (
                    (account_id in view.account_ids)
                    if account_id
                    else (group_id in view.group_ids)
                )
        return False

    def start_space_export(
        self, space_key: str, *, export_format: str = "html"
    ) -> TaskResult:
        """Start a space export (html or xml); poll with `get_task` for the download link."""
        if export_format not in ("html", "xml"):
            raise Invalid("Export format must be html or xml", family="confluence")
        return _task(
            self.families.content.start_space_export(
                space_key, export_format=export_format
            ).id
        )


def _check_restriction(
    operation: str, account_id: str | None, group_id: str | None
) -> None:
    if operation not in ("read", "update"):
        raise Invalid("Restrictions apply to read or update", family="confluence")
    if bool(account_id) == bool(group_id):
        raise Invalid(
            "A restriction needs exactly one of account_id or group_id",
            family="confluence",
        )
