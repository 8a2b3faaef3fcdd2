"""Confluence content operations: pages, blog posts, comments, attachments,
restrictions, archiving and space export. Mixed into `AtlassianConnector`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from connectors.base import ChangeResult, Invalid, NotFound

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from connectors.atlassian.confluence_content import Content, LongTaskStatus
    from connectors.atlassian.families import Families


@dataclass(frozen=True, slots=True)
class ContentResult:
    """A Confluence page, blog post or comment."""

    content_id: str
    title: str = ""
    status: str = ""
    version: int | None = None
    space_id: str | None = None
    parent_id: str | None = None


@dataclass(frozen=True, slots=True)
class AttachmentResult:
    """A Confluence attachment."""

    attachment_id: str
    title: str
    media_type: str | None = None
    size: int | None = None


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
        parent_id=item.parent_id,
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


class ContentOperations:
    """Confluence space content operations."""

    families: Families

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

    def find_page(self, space_key: str, title: str) -> ContentResult | None:
        """The current page of that exact title in the space (titles are unique there)."""
        content = self.families.content
        found = content.list_space_pages(self._space_id(space_key), title=title)
        return next((_content(p) for p in found if p.title == title), None)

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

    def find_blog_post(self, space_key: str, title: str) -> ContentResult | None:
        """The current blog post of that exact title in the space, or None."""
        content = self.families.content
        found = content.list_space_blog_posts(self._space_id(space_key), title=title)
        return next((_content(p) for p in found if p.title == title), None)

    def delete_blog_post(self, blog_post_id: str) -> ChangeResult:
        """Trash a blog post; idempotent."""
        return _done(self.families.content.delete_blog_post(blog_post_id))

    def create_comment(
        self, body: str, *, page_id: str | None = None, blog_post_id: str | None = None
    ) -> ContentResult:
        """Add a footer comment to a page or blog post.

        Not idempotent: a comment has no natural key Confluence could look up, so a
        create whose answer was lost cannot be told apart from a second one.
        """
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
            AttachmentResult(a.id, a.title, a.media_type, a.file_size)
            for a in self.families.content.list_attachments(page_id)
        )

    def find_attachment(self, page_id: str, filename: str) -> AttachmentResult | None:
        """The page's attachment of that file name (one per name), or None."""
        found = self.families.content.list_attachments(page_id, filename=filename)
        return next(
            (
                AttachmentResult(a.id, a.title, a.media_type, a.file_size)
                for a in found
                if a.title == filename
            ),
            None,
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
        return AttachmentResult(
            made.id, made.title, made.media_type, made.file_size or len(data)
        )

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
