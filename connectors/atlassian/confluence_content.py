"""Confluence content: pages, blog posts, footer comments, attachments, restrictions,
archiving and long-running tasks (space export)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pydantic

from connectors.atlassian.confluence import V1, V2
from connectors.atlassian.paging import iter_confluence_v2
from connectors.atlassian.responses import MalformedResponse, Model, TextId, parse_model
from connectors.base import ApiFamily, NotFound

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from connectors.atlassian.http import ApiClient

RESTRICTION_OPERATIONS = ("read", "update")


class Version(Model):
    """A content version."""

    number: int


class Content(Model):
    """A page, blog post or footer comment (v2)."""

    id: TextId
    title: str | None = None
    status: str | None = None
    space_id: TextId | None = pydantic.Field(None, alias="spaceId")
    parent_id: TextId | None = pydantic.Field(None, alias="parentId")
    version: Version | None = None


class Attachment(Model):
    """An attachment (v2 list or v1 upload answer)."""

    id: TextId
    title: str
    media_type: str | None = pydantic.Field(
        None, validation_alias=pydantic.AliasChoices("mediaType", "mediatype")
    )
    file_size: int | None = pydantic.Field(None, alias="fileSize")


class LongTask(Model):
    """A long-running task started by archive, space delete or export."""

    id: TextId
    status_path: str | None = None


class LongTaskStatus(Model):
    """Progress of a long-running task."""

    id: TextId | None = None
    percentage_complete: int = pydantic.Field(0, alias="percentageComplete")
    successful: bool = False
    finished: bool = False
    messages: tuple[Any, ...] = ()
    details: dict[str, Any] = pydantic.Field(
        default_factory=dict,
        validation_alias=pydantic.AliasChoices("additionalDetails", "result"),
    )

    @property
    def download_link(self) -> str | None:
        """The file of a finished export, when the task produced one."""
        link = (
            self.details.get("downloadLink") if isinstance(self.details, dict) else None
        )
        return link if isinstance(link, str) else None


class Restriction(Model):
    """Who is restricted to an operation (read/update) on a piece of content."""

    operation: str
    account_ids: tuple[str, ...] = ()
    group_ids: tuple[str, ...] = ()


def _results(value: Any) -> list[Any]:
    """v1 restriction lists come bare or wrapped in {"results": [...]}."""
    if isinstance(value, dict):
        value = value.get("results", [])
    return value if isinstance(value, list) else []


def _restriction(item: Any) -> Restriction:
    if not isinstance(item, dict) or not isinstance(item.get("operation"), str):
        raise MalformedResponse(
            "Unexpected content restriction from Confluence", family="confluence"
        )
    restrictions = item.get("restrictions") or {}
    users = [
        u.get("accountId")
        for u in _results(restrictions.get("user"))
        if isinstance(u, dict)
    ]
    groups = [
        g.get("id") for g in _results(restrictions.get("group")) if isinstance(g, dict)
    ]
    return Restriction(
        operation=item["operation"],
        account_ids=tuple(u for u in users if u),
        group_ids=tuple(g for g in groups if g),
    )


def _long_task(body: Any) -> LongTask:
    body = body if isinstance(body, dict) else {}
    links = body.get("links") or body.get("_links")
    status = links.get("status") if isinstance(links, dict) else None
    data = {"id": body.get("id"), "status_path": status}
    return parse_model(LongTask, data, family=ApiFamily.CONFLUENCE, what="long task")


def _storage(value: str) -> dict[str, str]:
    return {"representation": "storage", "value": value}


class ConfluenceContentClient:
    """One method per content operation."""

    family = ApiFamily.CONFLUENCE

    def __init__(self, api: ApiClient) -> None:
        self.api = api

    def _content(self, body: Any, what: str) -> Content:
        return parse_model(Content, body, family=self.family, what=what)

    def _delete(self, path: str, params: dict[str, str] | None = None) -> bool:
        try:
            self.api.request("DELETE", path, params=params)
        except NotFound:
            return False
        return True

    # -- pages -----------------------------------------------------------------------------

    # https://developer.atlassian.com/cloud/confluence/rest/v2/api-group-page/#api-spaces-id-pages-get
    def list_space_pages(
        self, space_id: str, *, title: str | None = None
    ) -> Iterator[Content]:
        """The current pages of a space; `title` keeps the one of that exact title."""
        params = {"title": title} if title else None
        return iter_confluence_v2(
            self.api, f"{V2}/spaces/{space_id}/pages", Content, params=params
        )

    # https://developer.atlassian.com/cloud/confluence/rest/v2/api-group-page/#api-pages-id-get
    def get_page(self, page_id: str) -> Content:
        """One page with its version."""
        body = self.api.request(
            "GET", f"{V2}/pages/{page_id}", params={"body-format": "storage"}
        )
        return self._content(body, "page")

    # https://developer.atlassian.com/cloud/confluence/rest/v2/api-group-page/#api-pages-post
    def create_page(
        self, space_id: str, title: str, body: str, *, parent_id: str | None = None
    ) -> Content:
        """Create a page from storage-format XHTML."""
        payload: dict[str, Any] = {
            "spaceId": space_id,
            "status": "current",
            "title": title,
            "body": _storage(body),
        }
        if parent_id:
            payload["parentId"] = parent_id
        return self._content(
            self.api.request("POST", f"{V2}/pages", json=payload), "page"
        )

    # https://developer.atlassian.com/cloud/confluence/rest/v2/api-group-page/#api-pages-id-put
    def update_page(
        self, page_id: str, title: str, body: str, *, version: int
    ) -> Content:
        """Replace title and body; `version` is the new number (current + 1)."""
        payload = {
            "id": page_id,
            "status": "current",
            "title": title,
            "body": _storage(body),
            "version": {"number": version},
        }
        return self._content(
            self.api.request("PUT", f"{V2}/pages/{page_id}", json=payload), "page"
        )

    # https://developer.atlassian.com/cloud/confluence/rest/v2/api-group-page/#api-pages-id-delete
    def delete_page(self, page_id: str, *, purge: bool = False) -> bool:
        """Move to the trash (or purge a trashed page); False when already gone."""
        return self._delete(
            f"{V2}/pages/{page_id}", {"purge": "true"} if purge else None
        )

    # https://developer.atlassian.com/cloud/confluence/rest/v1/api-group-content/#api-wiki-rest-api-content-archive-post
    def archive_pages(self, page_ids: Iterable[str]) -> LongTask:
        """Start archiving up to 300 pages; one archive job per site at a time."""
        pages = [{"id": int(p) if str(p).isdigit() else p} for p in page_ids]
        body = self.api.request("POST", f"{V1}/content/archive", json={"pages": pages})
        return _long_task(body)

    # https://developer.atlassian.com/cloud/confluence/rest/v1/api-group-long-running-task/#api-wiki-rest-api-longtask-id-get
    def get_long_task(self, task_id: str) -> LongTaskStatus:
        """Progress of a long-running task."""
        body = self.api.request("GET", f"{V1}/longtask/{task_id}")
        return parse_model(
            LongTaskStatus, body, family=self.family, what="long task status"
        )

    # -- blog posts and comments -------------------------------------------------------------

    # https://developer.atlassian.com/cloud/confluence/rest/v2/api-group-blog-post/#api-blogposts-post
    def create_blog_post(self, space_id: str, title: str, body: str) -> Content:
        """Publish a blog post."""
        payload = {
            "spaceId": space_id,
            "status": "current",
            "title": title,
            "body": _storage(body),
        }
        return self._content(
            self.api.request("POST", f"{V2}/blogposts", json=payload), "blog post"
        )

    # https://developer.atlassian.com/cloud/confluence/rest/v2/api-group-blog-post/#api-spaces-id-blogposts-get
    def list_space_blog_posts(
        self, space_id: str, *, title: str | None = None
    ) -> Iterator[Content]:
        """The current blog posts of a space; `title` keeps those of that exact title."""
        params = {"title": title} if title else None
        return iter_confluence_v2(
            self.api, f"{V2}/spaces/{space_id}/blogposts", Content, params=params
        )

    # https://developer.atlassian.com/cloud/confluence/rest/v2/api-group-blog-post/#api-blogposts-id-delete
    def delete_blog_post(self, blog_post_id: str, *, purge: bool = False) -> bool:
        """Trash (or purge) a blog post; False when already gone."""
        return self._delete(
            f"{V2}/blogposts/{blog_post_id}", {"purge": "true"} if purge else None
        )

    # https://developer.atlassian.com/cloud/confluence/rest/v2/api-group-comment/#api-footer-comments-post
    def create_footer_comment(
        self,
        body: str,
        *,
        page_id: str | None = None,
        blog_post_id: str | None = None,
        parent_comment_id: str | None = None,
    ) -> Content:
        """Comment on a page or blog post, or reply to a comment."""
        payload: dict[str, Any] = {"body": _storage(body)}
        for key, value in (
            ("pageId", page_id),
            ("blogPostId", blog_post_id),
            ("parentCommentId", parent_comment_id),
        ):
            if value:
                payload[key] = value
        return self._content(
            self.api.request("POST", f"{V2}/footer-comments", json=payload), "comment"
        )

    # https://developer.atlassian.com/cloud/confluence/rest/v2/api-group-comment/#api-footer-comments-comment-id-delete
    def delete_footer_comment(self, comment_id: str) -> bool:
        """Delete a footer comment; False when already gone."""
        return self._delete(f"{V2}/footer-comments/{comment_id}")

    # -- attachments -------------------------------------------------------------------------

    # https://developer.atlassian.com/cloud/confluence/rest/v2/api-group-attachment/#api-pages-id-attachments-get
    def list_attachments(
        self, page_id: str, *, filename: str | None = None
    ) -> Iterator[Attachment]:
        """The attachments of a page; `filename` keeps the one of that name."""
        params = {"filename": filename} if filename else None
        return iter_confluence_v2(
            self.api, f"{V2}/pages/{page_id}/attachments", Attachment, params=params
        )

    # https://developer.atlassian.com/cloud/confluence/rest/v1/api-group-content---attachments/#api-wiki-rest-api-content-id-child-attachment-post
    def upload_attachment(
        self,
        content_id: str,
        filename: str,
        data: bytes,
        media_type: str = "application/octet-stream",
    ) -> Attachment:
        """Upload one file (multipart `file`; v1 only; needs X-Atlassian-Token: no-check)."""
        body = self.api.request(
            "POST",
            f"{V1}/content/{content_id}/child/attachment",
            files={"file": (filename, data, media_type)},
            headers={"X-Atlassian-Token": "no-check"},
        )
        results = body.get("results") if isinstance(body, dict) else None
        item = results[0] if isinstance(results, list) and results else body
        return parse_model(Attachment, item, family=self.family, what="attachment")

    # https://developer.atlassian.com/cloud/confluence/rest/v2/api-group-attachment/#api-attachments-id-delete
    def delete_attachment(self, attachment_id: str) -> bool:
        """Delete an attachment; False when already gone."""
        return self._delete(f"{V2}/attachments/{attachment_id}")

    # -- restrictions -----------------------------------------------------------------------

    # https://developer.atlassian.com/cloud/confluence/rest/v1/api-group-content-restrictions/#api-wiki-rest-api-content-id-restriction-get
    def get_restrictions(self, content_id: str) -> list[Restriction]:
        """Read and update restrictions of a piece of content."""
        body = self.api.request("GET", f"{V1}/content/{content_id}/restriction")
        items = body if isinstance(body, list) else (body or {}).get("results")
        if not isinstance(items, list):
            raise MalformedResponse(
                "Unexpected restrictions answer from Confluence", family="confluence"
            )
        return [_restriction(item) for item in items]

    def _restriction_path(
        self,
        content_id: str,
        operation: str,
        account_id: str | None,
        group_id: str | None,
    ) -> tuple[str, dict[str, str] | None]:
        base = f"{V1}/content/{content_id}/restriction/byOperation/{operation}"
        if account_id:
            return f"{base}/user", {"accountId": account_id}
        if group_id:
            return f"{base}/byGroupId/{group_id}", None
        raise ValueError("a restriction needs an account_id or a group_id")

    # https://developer.atlassian.com/cloud/confluence/rest/v1/api-group-content-restrictions/#api-wiki-rest-api-content-id-restriction-byoperation-operationkey-user-put
    def add_restriction(
        self,
        content_id: str,
        operation: str,
        *,
        account_id: str | None = None,
        group_id: str | None = None,
    ) -> None:
        """Restrict an operation to a user or group (PUT: idempotent)."""
        path, params = self._restriction_path(
            content_id, operation, account_id, group_id
        )
        self.api.request("PUT", path, params=params)

    # https://developer.atlassian.com/cloud/confluence/rest/v1/api-group-content-restrictions/#api-wiki-rest-api-content-id-restriction-byoperation-operationkey-user-delete
    def delete_restriction(
        self,
        content_id: str,
        operation: str,
        *,
        account_id: str | None = None,
        group_id: str | None = None,
    ) -> bool:
        """Remove a user or group from a restriction; False when it was not there."""
        path, params = self._restriction_path(
            content_id, operation, account_id, group_id
        )
        return self._delete(path, params)

    # -- space export ------------------------------------------------------------------------

    # No documented Cloud REST endpoint exports a whole space (reference §5.4, unconfirmed);
    # this is the form our simulator offers: a v1 long task whose result holds the link.
    def start_space_export(
        self, space_key: str, *, export_format: str = "html"
    ) -> LongTask:
        """Start exporting a space (html or xml); poll with `get_long_task`."""
        body = self.api.request(
            "POST", f"{V1}/space/{space_key}/export", json={"format": export_format}
        )
        return _long_task(body)
