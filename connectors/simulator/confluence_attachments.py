"""Confluence attachments (v2 list/delete, v1 multipart upload) and v1 page archiving."""

from __future__ import annotations

from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from connectors.simulator import confluence_tasks
from connectors.simulator.confluence import V1, V2, next_links, space_by_id, v2_limit
from connectors.simulator.confluence_content import (
    content_or_404,
    content_v2,
    delete_content,
)
from connectors.simulator.paging import (
    decode_cursor,
    encode_cursor,
    iter_after,
    take_page,
)
from connectors.simulator.routing import Ctx, Route, check_object, registrar
from connectors.simulator.state import Content, utc_now
from connectors.simulator.wire import ApiError, Response, json_response

ROUTES: list[Route] = []
route = registrar(ROUTES)


MAX_ARCHIVE = 300


def attachment_v2(content: Content) -> dict[str, Any]:
    """Render a v2 attachment."""
    return {
        "id": f"att{content.id}",
        "status": content.status,
        "title": content.title,
        "createdAt": content.created,
        "pageId": str(content.parent_id),
        "mediaType": content.media_type,
        "mediaTypeDescription": "",
        "comment": "",
        "fileId": f"file-{content.id}",
        "fileSize": len(content.data),
        "webuiLink": f"/pages/viewpageattachments.action?pageId={content.parent_id}",
        "downloadLink": f"/download/attachments/{content.parent_id}/{content.title}",
        "version": {
            "createdAt": content.created,
            "message": "",
            "number": content.version,
            "minorEdit": False,
            "authorId": content.author,
        },
        "_links": {
            "download": f"/download/attachments/{content.parent_id}/{content.title}"
        },
    }


@route("GET", V2 + "/pages/{content_id}/attachments")
def list_page_attachments(ctx: Ctx) -> Response:
    """A page's attachments, cursor paging; filters status, mediaType, filename."""
    page, limit = content_or_404(ctx, ("page",)), v2_limit(ctx)
    statuses = set(ctx.args("status")) or {"current"}
    media, name = ctx.arg("mediaType"), ctx.arg("filename")
    keys = sorted(
        c.id
        for c in ctx.state.content.values()
        if c.type == "attachment"
        and c.parent_id == page.id
        and c.status in statuses
        and (not media or c.media_type == media)
        and (not name or c.title == name)
    )
    cursor = ctx.arg("cursor")
    chosen, more = take_page(
        iter_after(keys, decode_cursor(cursor) if cursor else None), limit
    )
    next_cursor = encode_cursor(chosen[-1]) if more and chosen else None
    data, headers = next_links(
        ctx,
        next_cursor,
        {"results": [attachment_v2(ctx.state.content[i]) for i in chosen]},
    )
    return json_response(data, headers=headers)


@route("GET", V2 + "/spaces/{space_id}/pages")
def list_space_pages(ctx: Ctx) -> Response:
    """A space's pages, cursor paging; filters status and title."""
    return list_space_content(ctx, "page")


@route("GET", V2 + "/spaces/{space_id}/blogposts")
def list_space_blogposts(ctx: Ctx) -> Response:
    """A space's blog posts, cursor paging; filters status and title."""
    return list_space_content(ctx, "blogpost")


def list_space_content(ctx: Ctx, kind: str) -> Response:
    """Pages or blog posts of a space (default status current; title is exact)."""
    space, limit = space_by_id(ctx), v2_limit(ctx)
    statuses = set(ctx.args("status")) or {"current"}
    title = ctx.arg("title")
    keys = sorted(
        c.id
        for c in ctx.state.content.values()
        if c.type == kind
        and c.space_id == space.id
        and c.status in statuses
        and (not title or c.title == title)
    )
    cursor = ctx.arg("cursor")
    chosen, more = take_page(
        iter_after(keys, decode_cursor(cursor) if cursor else None), limit
    )
    next_cursor = encode_cursor(chosen[-1]) if more and chosen else None
    data, headers = next_links(
        ctx,
        next_cursor,
        {"results": [content_v2(ctx, ctx.state.content[i]) for i in chosen]},
    )
    return json_response(data, headers=headers)


@route("DELETE", V2 + "/attachments/{content_id}")
def delete_attachment(ctx: Ctx) -> Response:
    """Trash or purge an attachment."""
    return delete_content(ctx, ("attachment",))


def parse_files(ctx: Ctx) -> list[tuple[str, str, bytes]]:
    """(filename, media type, data) for every `file` part of a multipart/form-data body."""
    content_type = ctx.request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise ApiError(415, "Attachments must be uploaded as multipart/form-data.")
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + ctx.request.body
    )
    files = []
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == "file":
            files.append(
                (
                    part.get_filename() or "file",
                    part.get_content_type(),
                    part.get_payload(decode=True) or b"",
                )
            )
    if not files:
        raise ApiError(400, "No 'file' part in the upload.")
    return files


@route("POST", V1 + "/content/{content_id}/child/attachment")
def upload_attachment(ctx: Ctx) -> Response:
    """Upload attachments (v1, multipart, needs X-Atlassian-Token: no-check)."""
    if ctx.request.headers.get("x-atlassian-token", "").lower() != "no-check":
        raise ApiError(403, "XSRF check failed")
    container = content_or_404(ctx, ("page", "blogpost"))
    state, results = ctx.state, []
    for name, media_type, data in parse_files(ctx):
        if any(
            c.type == "attachment"
            and c.parent_id == container.id
            and c.title == name
            and c.status == "current"
            for c in state.content.values()
        ):
            raise ApiError(
                400,
                "Cannot add a new attachment with same file name as an existing attachment: "
                + name,
            )
        attachment = state.add_content(
            Content(
                state.new_content_id(),
                "attachment",
                container.space_id,
                name,
                parent_id=container.id,
                author=ctx.sim.service_account.account_id,
                created=utc_now(),
                media_type=media_type,
                data=data,
            )
        )
        results.append(
            {
                "id": f"att{attachment.id}",
                "type": "attachment",
                "status": "current",
                "title": name,
                "extensions": {
                    "mediaType": media_type,
                    "fileSize": len(data),
                    "comment": "",
                },
                "_links": {"download": attachment_v2(attachment)["downloadLink"]},
            }
        )
    return json_response(
        {
            "results": results,
            "size": len(results),
            "_links": {"base": f"{ctx.origin()}/wiki"},
        }
    )


@route("POST", V1 + "/content/archive")
def archive_pages(ctx: Ctx) -> Response:
    """Archive up to 300 pages as a long task; one archive job at a time."""
    body = check_object(ctx.json(), {"pages": list}, ("pages",))
    pages = body["pages"]
    if len(pages) > MAX_ARCHIVE:
        raise ApiError(
            400, f"Cannot archive more than {MAX_ARCHIVE} pages in one request."
        )
    if any(t.kind == "archive" and not t.finished for t in ctx.state.tasks.values()):
        raise ApiError(
            400,
            "Another archive operation is in progress for this site. Try again later.",
        )
    chosen = []
    for item in pages:
        check_object(item, {"id": (int, str)}, ("id",), "page")
        page = content_or_404(ctx, ("page",), str(item["id"]))
        if page.status != "current":
            raise ApiError(
                400, f"Page {page.id} is not current and cannot be archived."
            )
        chosen.append(page)
    for page in chosen:
        page.status = "archived"
    task = confluence_tasks.start(
        ctx, "com.atlassian.confluence.pages.archive", "archive"
    )
    return json_response(
        {"id": task.id, "links": {"status": f"{V1}/longtask/{task.id}"}}, 202
    )
