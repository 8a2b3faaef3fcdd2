"""Confluence content operations: pages, blog posts, comments, attachments, restrictions,
and space exports. Space permissions are not edited here: they are requestable
entitlements, granted and revoked through requests.

Archiving pages and exporting a space are Confluence long tasks: the job starts the
task once and polls it until it finishes (`operations.follow_task`); an export's
result holds the download link.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from approvals.operations import (
    Operation,
    OperationForm,
    Outcome,
    absolute_link,
    account_of,
    follow_task,
    register,
)
from approvals.operations_fields import (
    ATTACHMENT_ID,
    CONTENT_ID,
    GroupField,
    IdentityField,
    ResourceField,
    TextListField,
    body_field,
    content_id_field,
)
from approvals.models import ProvisioningJob
from connectors.base import Invalid, ResourceKind, Unavailable

if TYPE_CHECKING:
    from approvals.operations import OperationContext
    from connectors.atlassian.connector import AtlassianConnector

STORAGE_HELP = "Confluence storage format (XHTML), e.g. <p>Hello</p>."


class PageCreateForm(OperationForm):
    space = ResourceField(ResourceKind.SPACE)
    title = forms.CharField(max_length=255)
    body = body_field(help_text=STORAGE_HELP)
    parent_id = content_id_field("Parent page", required=False, help_text="Optional parent page id.")


class PageUpdateForm(OperationForm):
    page_id = content_id_field("Page")
    title = forms.CharField(max_length=255)
    body = body_field(help_text=STORAGE_HELP + " Replaces the page's body as its next version.")


class PageForm(OperationForm):
    page_id = content_id_field("Page")


class PageArchiveForm(OperationForm):
    page_ids = TextListField(item_validator=CONTENT_ID, max_items=300, label="Pages", help_text="Page ids (1 to 300), separated by commas or spaces.")


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
            raise ValidationError("Give either a page or a blog post to comment on, not both.")
        return cleaned


class CommentForm(OperationForm):
    comment_id = content_id_field("Comment")


class AttachmentUploadForm(OperationForm):
    page_id = content_id_field("Page")
    file = forms.FileField(required=False, help_text="The file to attach (the admin form).")
    filename = forms.CharField(required=False, max_length=255, help_text="The file's name (API uploads).")
    content_base64 = forms.CharField(required=False, strip=True, widget=forms.HiddenInput, help_text="The file's content, base64-encoded (API uploads).")
    media_type = forms.CharField(required=False, max_length=100, help_text="e.g. text/plain; guessed as application/octet-stream.")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        upload, encoded = cleaned.get("file"), cleaned.get("content_base64")
        if bool(upload) == bool(encoded):
            raise ValidationError("Give the file, either uploaded or as content_base64.")
        if upload:
            data, name = upload.read(), cleaned.get("filename") or upload.name
            media_type = cleaned.get("media_type") or getattr(upload, "content_type", "") or ""
        else:
            try:
                data = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                raise ValidationError({"content_base64": "This is not valid base64."}) from None
            name, media_type = cleaned.get("filename"), cleaned.get("media_type") or ""
            if not name:
                raise ValidationError({"filename": "Name the file."})
        limit = settings.OPERATION_ATTACHMENT_MAX_BYTES
        if len(data) > limit:
            raise ValidationError(f"The file is {len(data)} bytes; attachments up to {limit} bytes go through the portal.")
        cleaned.update(
            filename=name.replace("/", "_").replace("\\", "_"), media_type=media_type or "application/octet-stream",
            content_base64=base64.b64encode(data).decode(), size=len(data), sha256=hashlib.sha256(data).hexdigest(),
        )
        cleaned.pop("file", None)
        return cleaned


class AttachmentForm(OperationForm):
    attachment_id = content_id_field("Attachment", validator=ATTACHMENT_ID)


class RestrictionForm(OperationForm):
    content_id = content_id_field("Page or blog post")
    operation = forms.ChoiceField(choices=[("read", "Read"), ("update", "Update")])
    identity = IdentityField(required=False, help_text="A person (identity id, username or email) ...")
    group = GroupField(required=False, help_text="... or a group (name, groupId or catalog id).")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        identity, group = cleaned.get("identity"), cleaned.get("group")
        if bool(identity) == bool(group):
            if not self.has_error("identity") and not self.has_error("group"):
                raise ValidationError("Give either a person or a group.")
            return cleaned
        if identity is not None:
            account = account_of(identity, self.application)
            if account is None:
                raise ValidationError({"identity": f"{identity.label} has no Atlassian account in {self.application}."})
            cleaned["account_id"] = account.account_id
        else:
            cleaned["group_id"] = group.external_id
        cleaned["holder"] = identity.label if identity else group.name
        return cleaned


class SpaceExportForm(OperationForm):
    space = ResourceField(ResourceKind.SPACE)
    format = forms.ChoiceField(choices=[("html", "HTML"), ("xml", "XML (for import)")], initial="html", required=False)


# --- handlers --------------------------------------------------------------------------


def _content_record(context: OperationContext, kind: str, content_id: str, label: str, before: dict, after: dict, message: str) -> None:
    context.record(target_type=f"atlassian.{kind}", target_id=content_id, target_label=label, before=before, after=after, message=message)


def create_page(context: OperationContext) -> Outcome:
    a = context.arguments
    page = context.connector.create_page(a["space"], a["title"], a["body"], parent_id=a.get("parent_id"))
    after = {"page_id": page.content_id, "title": page.title, "space": a["space"], "version": page.version}
    _content_record(context, "page", page.content_id, page.title, {}, after, f"Page {page.title!r} created in {a['space']}")
    return Outcome(f"Page {page.title!r} created in {a['space']}", after)


def update_page(context: OperationContext) -> Outcome:
    a = context.arguments
    before = context.connector.get_page(a["page_id"])
    page = context.connector.update_page(a["page_id"], a["title"], a["body"])
    _content_record(
        context, "page", page.content_id, page.title,
        {"title": before.title, "version": before.version}, {"title": page.title, "version": page.version},
        f"Page {page.content_id} updated to version {page.version}",
    )
    return Outcome(f"Page {page.title!r} is at version {page.version}", {"page_id": page.content_id, "version": page.version})


def _deletion(kind: str, call: str, argument: str) -> Any:
    def run(context: OperationContext) -> Outcome:
        content_id = context.arguments[argument]
        result = getattr(context.connector, call)(content_id)
        state = "was already gone" if result.already_done else "deleted"
        _content_record(context, kind, content_id, f"{kind} {content_id}", {"id": content_id}, {"deleted": True, "already_done": result.already_done}, f"Confluence {kind} {content_id} {state}")
        return Outcome(f"Confluence {kind} {content_id} {state}", {"id": content_id, "already_done": result.already_done})

    return run


def archive_pages(context: OperationContext) -> Outcome:
    ids: list[str] = context.arguments["page_ids"]
    status = follow_task(context, lambda: _start_archive(context.connector, ids), "archive")
    _content_record(context, "page", ",".join(ids)[:100], f"{len(ids)} pages", {"status": "current"}, {"status": "archived", "task_id": status.task_id}, f"{len(ids)} pages archived")
    return Outcome(f"{len(ids)} pages archived", {"page_ids": ids, "task_id": status.task_id})


def _start_archive(connector: AtlassianConnector, ids: list[str]) -> Any:
    try:
        return connector.archive_pages(ids)
    except Invalid as error:
        # Confluence runs one archive job per site at a time: wait for the other one.
        if "in progress" in error.message.lower():
            raise Unavailable(error.message, retry_after=30.0, family="confluence") from error
        raise


def create_blog_post(context: OperationContext) -> Outcome:
    a = context.arguments
    post = context.connector.create_blog_post(a["space"], a["title"], a["body"])
    after = {"blog_post_id": post.content_id, "title": post.title, "space": a["space"]}
    _content_record(context, "blogpost", post.content_id, post.title, {}, after, f"Blog post {post.title!r} published in {a['space']}")
    return Outcome(f"Blog post {post.title!r} published in {a['space']}", after)


def create_comment(context: OperationContext) -> Outcome:
    a = context.arguments
    comment = context.connector.create_comment(a["body"], page_id=a.get("page_id"), blog_post_id=a.get("blog_post_id"))
    on = a.get("page_id") or a.get("blog_post_id")
    after = {"comment_id": comment.content_id, "on": on}
    _content_record(context, "comment", comment.content_id, f"comment on {on}", {}, after, f"Comment added to {on}")
    return Outcome(f"Comment {comment.content_id} added to {on}", after)


def upload_attachment(context: OperationContext) -> Outcome:
    a = context.arguments
    existing = next((x for x in context.connector.list_attachments(a["page_id"]) if x.title == a["filename"]), None)
    if existing is not None:  # Confluence refuses a second file of the same name
        made, already = existing, True
    else:
        data = base64.b64decode(a["content_base64"])
        made = context.connector.upload_attachment(a["page_id"], a["filename"], data, a.get("media_type") or "application/octet-stream")
        already = False
    after = {"attachment_id": made.attachment_id, "title": made.title, "page_id": a["page_id"], "size": a.get("size"), "sha256": a.get("sha256")}
    _content_record(context, "attachment", made.attachment_id, made.title, {}, after, f"{made.title} attached to page {a['page_id']}")
    # The file has reached Confluence: keep its fingerprint, not its bytes, on the job.
    arguments = {k: v for k, v in a.items() if k != "content_base64"}
    ProvisioningJob.objects.filter(pk=context.job.pk).update(payload={**context.job.payload, "arguments": arguments})
    state = "was already attached" if already else "attached"
    return Outcome(f"{made.title} {state} to page {a['page_id']}", after | {"already_done": already})


def _restriction(add: bool) -> Any:
    def run(context: OperationContext) -> Outcome:
        a = context.arguments
        call = context.connector.add_restriction if add else context.connector.delete_restriction
        before = _restrictions(context.connector, a["content_id"])
        result = call(a["content_id"], a["operation"], account_id=a.get("account_id"), group_id=a.get("group_id"))
        after = _restrictions(context.connector, a["content_id"])
        verb = "restricted to" if add else "no longer restricted to"
        message = f"{a['operation'].title()} of {a['content_id']} {verb} {a.get('holder')}"
        _content_record(context, "restriction", a["content_id"], f"{a['operation']} of {a['content_id']}", before, after, message)
        return Outcome(message + (" (already so)" if result.already_done else ""), {"already_done": result.already_done, "restrictions": after})

    return run


def _restrictions(connector: AtlassianConnector, content_id: str) -> dict[str, Any]:
    return {v.operation: {"users": sorted(v.account_ids), "groups": sorted(v.group_ids)} for v in connector.get_restrictions(content_id)}


def export_space(context: OperationContext) -> Outcome:
    a = context.arguments
    fmt = a.get("format") or "html"
    status = follow_task(context, lambda: context.connector.start_space_export(a["space"], export_format=fmt), "space export")
    link = absolute_link(context.application, status.download_link)
    after = {"space": a["space"], "format": fmt, "task_id": status.task_id, "download_link": link}
    context.record(target_type="atlassian.space", target_id=a["space"], target_label=a["space"], after=after, message=f"Space {a['space']} exported ({fmt})")
    return Outcome(f"Space {a['space']} exported: {link}", after)


# --- reads -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PageDetail:
    """A page with its attachments and restrictions, as Confluence shows them now."""

    page: Any
    attachments: list[Any]
    restrictions: dict[str, Any]


def page_detail(connector: AtlassianConnector, page_id: str) -> PageDetail:
    """One page: title, status, version, attachments and restrictions."""
    return PageDetail(connector.get_page(page_id), list(connector.list_attachments(page_id)), _restrictions(connector, page_id))


def _on(a: dict[str, Any]) -> str:
    return a.get("page_id") or a.get("blog_post_id") or "?"


AREA = "confluence"
register(Operation("pages.create", AREA, "Add a page", PageCreateForm, create_page, lambda a: f"Add the page {a.get('title')!r} to {a.get('space')}"))
register(Operation("pages.update", AREA, "Edit a page", PageUpdateForm, update_page, lambda a: f"Edit page {a.get('page_id')}"))
register(Operation("pages.delete", AREA, "Delete a page", PageForm, _deletion("page", "delete_page", "page_id"), lambda a: f"Delete page {a.get('page_id')}", notes="The page goes to the space's trash."))
register(Operation(
    "pages.archive", AREA, "Archive pages", PageArchiveForm, archive_pages, lambda a: f"Archive {len(a.get('page_ids', []))} pages",
    notes="A Confluence long task, polled until it finishes; one archive runs per site at a time.",
))
register(Operation("blogposts.create", AREA, "Add a blog post", BlogPostCreateForm, create_blog_post, lambda a: f"Publish the blog post {a.get('title')!r} in {a.get('space')}"))
register(Operation("blogposts.delete", AREA, "Delete a blog post", BlogPostForm, _deletion("blogpost", "delete_blog_post", "blog_post_id"), lambda a: f"Delete blog post {a.get('blog_post_id')}"))
register(Operation("comments.create", AREA, "Add a comment", CommentCreateForm, create_comment, lambda a: f"Comment on {_on(a)}"))
register(Operation("comments.delete", AREA, "Delete a comment", CommentForm, _deletion("comment", "delete_comment", "comment_id"), lambda a: f"Delete comment {a.get('comment_id')}"))
register(Operation(
    "attachments.upload", AREA, "Add an attachment", AttachmentUploadForm, upload_attachment,
    lambda a: f"Attach {a.get('filename')} to page {a.get('page_id')}",
    notes="A file of the same name already on the page is left as it is (Confluence keeps one per name).",
))
register(Operation("attachments.delete", AREA, "Delete an attachment", AttachmentForm, _deletion("attachment", "delete_attachment", "attachment_id"), lambda a: f"Delete attachment {a.get('attachment_id')}"))
register(Operation("restrictions.add", AREA, "Add a restriction", RestrictionForm, _restriction(add=True), lambda a: f"Restrict {a.get('operation')} of {a.get('content_id')} to {a.get('holder')}"))
register(Operation("restrictions.delete", AREA, "Remove a restriction", RestrictionForm, _restriction(add=False), lambda a: f"Lift the {a.get('operation')} restriction of {a.get('content_id')} for {a.get('holder')}"))
register(Operation(
    "spaces.export", AREA, "Export a space", SpaceExportForm, export_space, lambda a: f"Export the space {a.get('space')}",
    notes="Starts the export, polls it until it finishes, and stores the download link on the job.",
))
