"""Confluence content operations: pages, blog posts and comments.

Attachments and space exports are in `operations_attachments`, content restrictions in
`operations_restrictions`. Space permissions are not edited here: they are requestable
entitlements, granted and revoked through requests. Archiving pages is a Confluence
long task: the job starts it once and polls it until it finishes
(`operations.follow_task`).

Creates run once per job (`operations_idempotency.create_once`): after an attempt whose
answer was lost, a page or blog post is looked up by its title in the space (Confluence
keeps titles unique there) and adopted. A comment has no such key and the reference
documents no lookup for one, so a comment whose answer was lost is posted again and the
outcome says a duplicate may exist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError

from approvals.operations import (
    Operation,
    OperationForm,
    Outcome,
    follow_task,
    register,
)
from approvals.operations_fields import (
    CONTENT_ID,
    ResourceField,
    TextListField,
    body_field,
    content_id_field,
)
from approvals.operations_idempotency import create_once
from connectors.atlassian.content_operations import ContentResult
from connectors.base import Conflict, Invalid, ResourceKind, Unavailable

if TYPE_CHECKING:
    from approvals.operations import OperationContext
    from connectors.atlassian.connector import AtlassianConnector

AREA = "confluence"
STORAGE_HELP = "Confluence storage format (XHTML), e.g. <p>Hello</p>."


class PageCreateForm(OperationForm):
    space = ResourceField(ResourceKind.SPACE)
    title = forms.CharField(max_length=255)
    body = body_field(help_text=STORAGE_HELP)
    parent_id = content_id_field(
        "Parent page", required=False, help_text="Optional parent page id."
    )


class PageUpdateForm(OperationForm):
    page_id = content_id_field("Page")
    title = forms.CharField(max_length=255)
    body = body_field(
        help_text=STORAGE_HELP + " Replaces the page's body as its next version."
    )


class PageForm(OperationForm):
    page_id = content_id_field("Page")


class PageArchiveForm(OperationForm):
    page_ids = TextListField(
        item_validator=CONTENT_ID,
        max_items=300,
        label="Pages",
        help_text="Page ids (1 to 300), separated by commas or spaces.",
    )


class BlogPostCreateForm(OperationForm):
    space = ResourceField(ResourceKind.SPACE)
    title = forms.CharField(max_length=255)
    body = body_field(help_text=STORAGE_HELP)


class BlogPostForm(OperationForm):
    blog_post_id = content_id_field("Blog post")


class CommentCreateForm(OperationForm):
    body = body_field(help_text=STORAGE_HELP)
    page_id = content_id_field("Page", required=False)
    blog_post_id = content_id_field("Blog post", required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if bool(cleaned.get("page_id")) == bool(cleaned.get("blog_post_id")):
            raise ValidationError(
                "Give either a page or a blog post to comment on, not both."
            )
        return cleaned


class CommentForm(OperationForm):
    comment_id = content_id_field("Comment")


# --- handlers --------------------------------------------------------------------------


def record_content(  # the audit event of one piece of content
    context: OperationContext,
    kind: str,
    content_id: str,
    label: str,
    before: dict,
    after: dict,
    message: str,
) -> None:
    context.record(
        target_type=f"atlassian.{kind}",
        target_id=content_id,
        target_label=label,
        before=before,
        after=after,
        message=message,
    )


def create_page(context: OperationContext) -> Outcome:
    a, connector = context.arguments, context.connector
    created = create_once(
        context,
        "page",
        ContentResult,
        lambda: connector.create_page(
            a["space"], a["title"], a["body"], parent_id=a.get("parent_id")
        ),
        find=lambda: _page_of_job(context),
    )
    page = created.made
    after = {
        "page_id": page.content_id,
        "title": page.title,
        "space": a["space"],
        "version": page.version,
    }
    message = f"Page {page.title!r} created in {a['space']}{created.note}"
    record_content(context, "page", page.content_id, page.title, {}, after, message)
    return Outcome(message, after | created.result)


def _page_of_job(context: OperationContext) -> ContentResult | None:
    """The page an unanswered create made: its title in the space, under the parent asked for."""
    a = context.arguments
    found = context.connector.find_page(a["space"], a["title"])
    if found is None:
        return None
    if a.get("parent_id") and found.parent_id != str(a["parent_id"]):
        raise Conflict(
            f"A page titled {a['title']!r} is already in {a['space']} under another "
            "parent; page titles are unique in a space.",
            family="confluence",
        )
    return found


def update_page(context: OperationContext) -> Outcome:
    a = context.arguments
    before = context.connector.get_page(a["page_id"])
    page = context.connector.update_page(a["page_id"], a["title"], a["body"])
    record_content(
        context,
        "page",
        page.content_id,
        page.title,
        {"title": before.title, "version": before.version},
        {"title": page.title, "version": page.version},
        f"Page {page.content_id} updated to version {page.version}",
    )
    return Outcome(
        f"Page {page.title!r} is at version {page.version}",
        {"page_id": page.content_id, "version": page.version},
    )


def deletion(kind: str, call: str, argument: str) -> Any:
    def run(context: OperationContext) -> Outcome:
        content_id = context.arguments[argument]
        result = getattr(context.connector, call)(content_id)
        state = "was already gone" if result.already_done else "deleted"
        record_content(
            context,
            kind,
            content_id,
            f"{kind} {content_id}",
            {"id": content_id},
            {"deleted": True, "already_done": result.already_done},
            f"Confluence {kind} {content_id} {state}",
        )
        return Outcome(
            f"Confluence {kind} {content_id} {state}",
            {"id": content_id, "already_done": result.already_done},
        )

    return run


def archive_pages(context: OperationContext) -> Outcome:
    ids: list[str] = context.arguments["page_ids"]
    status = follow_task(
        context, lambda: _start_archive(context.connector, ids), "archive"
    )
    record_content(
        context,
        "page",
        ",".join(ids)[:100],
        f"{len(ids)} pages",
        {"status": "current"},
        {"status": "archived", "task_id": status.task_id},
        f"{len(ids)} pages archived",
    )
    return Outcome(
        f"{len(ids)} pages archived", {"page_ids": ids, "task_id": status.task_id}
    )


def _start_archive(connector: AtlassianConnector, ids: list[str]) -> Any:
    try:
        return connector.archive_pages(ids)
    except Invalid as error:
        # Confluence runs one archive job per site at a time: wait for the other one.
        if "in progress" in error.message.lower():
            raise Unavailable(
                error.message, retry_after=30.0, family="confluence"
            ) from error
        raise


def create_blog_post(context: OperationContext) -> Outcome:
    a, connector = context.arguments, context.connector
    created = create_once(
        context,
        "blog_post",
        ContentResult,
        lambda: connector.create_blog_post(a["space"], a["title"], a["body"]),
        find=lambda: connector.find_blog_post(a["space"], a["title"]),
    )
    post = created.made
    after = {"blog_post_id": post.content_id, "title": post.title, "space": a["space"]}
    message = f"Blog post {post.title!r} published in {a['space']}{created.note}"
    record_content(context, "blogpost", post.content_id, post.title, {}, after, message)
    return Outcome(message, after | created.result)


def create_comment(context: OperationContext) -> Outcome:
    """Post a comment once per job; after a lost answer it is posted again (no key)."""
    a = context.arguments
    created = create_once(
        context,
        "comment",
        ContentResult,
        lambda: context.connector.create_comment(
            a["body"], page_id=a.get("page_id"), blog_post_id=a.get("blog_post_id")
        ),
    )
    comment, on = created.made, _on(a)
    after = {"comment_id": comment.content_id, "on": on}
    record_content(
        context,
        "comment",
        comment.content_id,
        f"comment on {on}",
        {},
        after,
        f"Comment added to {on}{created.note}",
    )
    return Outcome(
        f"Comment {comment.content_id} added to {on}{created.note}",
        after | created.result,
    )


def _on(a: dict[str, Any]) -> str:
    return a.get("page_id") or a.get("blog_post_id") or "?"


register(
    Operation(
        "pages.create",
        AREA,
        "Add a page",
        PageCreateForm,
        create_page,
        lambda a: f"Add the page {a.get('title')!r} to {a.get('space')}",
    )
)
register(
    Operation(
        "pages.update",
        AREA,
        "Edit a page",
        PageUpdateForm,
        update_page,
        lambda a: f"Edit page {a.get('page_id')}",
    )
)
register(
    Operation(
        "pages.delete",
        AREA,
        "Delete a page",
        PageForm,
        deletion("page", "delete_page", "page_id"),
        lambda a: f"Delete page {a.get('page_id')}",
        notes="The page goes to the space's trash.",
    )
)
register(
    Operation(
        "pages.archive",
        AREA,
        "Archive pages",
        PageArchiveForm,
        archive_pages,
        lambda a: f"Archive {len(a.get('page_ids', []))} pages",
        notes="A Confluence long task, polled until it finishes; one archive runs per site at a time.",
    )
)
register(
    Operation(
        "blogposts.create",
        AREA,
        "Add a blog post",
        BlogPostCreateForm,
        create_blog_post,
        lambda a: f"Publish the blog post {a.get('title')!r} in {a.get('space')}",
    )
)
register(
    Operation(
        "blogposts.delete",
        AREA,
        "Delete a blog post",
        BlogPostForm,
        deletion("blogpost", "delete_blog_post", "blog_post_id"),
        lambda a: f"Delete blog post {a.get('blog_post_id')}",
    )
)
register(
    Operation(
        "comments.create",
        AREA,
        "Add a comment",
        CommentCreateForm,
        create_comment,
        lambda a: f"Comment on {_on(a)}",
    )
)
register(
    Operation(
        "comments.delete",
        AREA,
        "Delete a comment",
        CommentForm,
        deletion("comment", "delete_comment", "comment_id"),
        lambda a: f"Delete comment {a.get('comment_id')}",
    )
)
