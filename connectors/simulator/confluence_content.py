"""Confluence content: v2 pages, blog posts, footer comments, attachments; v1 upload and archive."""

from __future__ import annotations

from typing import Any

from connectors.simulator import confluence_restrictions
from connectors.simulator.confluence import V2
from connectors.simulator.routing import Ctx, Route, check_object, registrar
from connectors.simulator.state import Content, utc_now
from connectors.simulator.wire import ApiError, Response, empty, json_response

ROUTES: list[Route] = [*confluence_restrictions.ROUTES]
route = registrar(ROUTES)
REPRESENTATIONS = ("storage", "atlas_doc_format", "wiki")
PAGE_BODY = {
    "spaceId": (str, int),
    "status": str,
    "title": str,
    "parentId": (str, int),
    "body": dict,
    "subtype": str,
}
UPDATE_BODY = {
    "id": (str, int),
    "status": str,
    "title": str,
    "body": dict,
    "version": dict,
    "spaceId": (str, int),
    "parentId": (str, int),
    "ownerId": str,
}


def content_or_404(ctx: Ctx, kinds: tuple[str, ...], raw: str | None = None) -> Content:
    """Non-purged content of one of `kinds` by id (attachments also as `att123`)."""
    raw = (raw if raw is not None else ctx.params["content_id"]).removeprefix("att")
    content = ctx.state.content.get(int(raw)) if raw.isdigit() else None
    if content is None or content.type not in kinds:
        raise ApiError(404, f"Content {raw} not found.")
    return content


def check_body(body: Any) -> tuple[str, str]:
    """A v2 body `{representation, value}`."""
    check_object(
        body, {"representation": str, "value": str}, ("representation",), "body"
    )
    if body["representation"] not in REPRESENTATIONS:
        raise ApiError(
            400, f"Unsupported body representation '{body['representation']}'."
        )
    return body.get("value", ""), body["representation"]


def content_v2(ctx: Ctx, content: Content) -> dict[str, Any]:
    """Render a v2 page, blog post or footer comment."""
    data: dict[str, Any] = {
        "id": str(content.id),
        "status": content.status,
        "title": content.title,
        "spaceId": str(content.space_id),
        "authorId": content.author,
        "ownerId": content.author,
        "createdAt": content.created,
        "version": {
            "createdAt": content.created,
            "message": "",
            "number": content.version,
            "minorEdit": False,
            "authorId": content.author,
        },
        "body": {},
        "_links": {
            "webui": f"/spaces/{content.space_id}/pages/{content.id}",
            "editui": f"/pages/resumedraft.action?draftId={content.id}",
            "tinyui": f"/x/{content.id}",
        },
    }
    if content.type == "page":
        data.update(
            {
                "parentId": str(content.parent_id) if content.parent_id else None,
                "parentType": "page" if content.parent_id else None,
                "position": 0,
            }
        )
    if content.type == "comment":
        parent = ctx.state.content.get(content.parent_id or 0)
        kind = parent.type if parent else "page"
        data[
            {
                "page": "pageId",
                "blogpost": "blogPostId",
                "attachment": "attachmentId",
            }.get(kind, "pageId")
        ] = str(content.parent_id)
        del data["spaceId"], data["ownerId"]
    if ctx.arg("body-format") in ("storage", content.representation):
        data["body"] = {
            content.representation: {
                "value": content.body,
                "representation": content.representation,
            }
        }
    return data


def create_content(ctx: Ctx, kind: str) -> Content:
    """Validate a page/blog post create body and store it."""
    body = check_object(
        ctx.json(),
        PAGE_BODY
        if kind == "page"
        else {k: v for k, v in PAGE_BODY.items() if k != "parentId"},
        ("spaceId",),
    )
    state = ctx.state
    space = (
        state.spaces.get(int(body["spaceId"]))
        if str(body["spaceId"]).isdigit()
        else None
    )
    if space is None:
        raise ApiError(400, f"Invalid spaceId {body['spaceId']}.")
    status = body.get("status", "current")
    if status not in ("current", "draft"):
        raise ApiError(400, "status must be current or draft.")
    title = body.get("title") or ""
    if status == "current" and not title.strip():
        raise ApiError(400, "Title is required for published content.")
    if status == "current" and any(
        c.space_id == space.id
        and c.type == kind
        and c.status == "current"
        and c.title == title
        for c in state.content.values()
    ):
        raise ApiError(
            400,
            f"A {kind} with this title already exists: A {kind} already exists with the title {title} in this space.",
        )
    parent_id = None
    if body.get("parentId") is not None:
        parent = content_or_404(ctx, ("page",), str(body["parentId"]))
        if parent.space_id != space.id:
            raise ApiError(400, "The parent page must be in the same space.")
        parent_id = parent.id
    value, representation = (
        check_body(body["body"]) if "body" in body else ("", "storage")
    )
    content = Content(
        state.new_content_id(),
        kind,
        space.id,
        title,
        status,
        parent_id or space.homepage_id if kind == "page" else None,
        ctx.sim.service_account.account_id,
        utc_now(),
        1,
        value,
        representation,
    )
    return state.add_content(content)


@route("POST", V2 + "/pages")
def create_page(ctx: Ctx) -> Response:
    """Create a page (200, as v2 does)."""
    return json_response(content_v2(ctx, create_content(ctx, "page")))


@route("POST", V2 + "/blogposts")
def create_blogpost(ctx: Ctx) -> Response:
    """Create a blog post."""
    return json_response(content_v2(ctx, create_content(ctx, "blogpost")))


@route("GET", V2 + "/pages/{content_id}")
def get_page(ctx: Ctx) -> Response:
    """One page."""
    return json_response(content_v2(ctx, content_or_404(ctx, ("page",))))


@route("GET", V2 + "/blogposts/{content_id}")
def get_blogpost(ctx: Ctx) -> Response:
    """One blog post."""
    return json_response(content_v2(ctx, content_or_404(ctx, ("blogpost",))))


@route("PUT", V2 + "/pages/{content_id}")
def update_page(ctx: Ctx) -> Response:
    """Update a page; the version must be current + 1 (409 otherwise)."""
    page = content_or_404(ctx, ("page",))
    body = check_object(
        ctx.json(), UPDATE_BODY, ("id", "status", "title", "body", "version")
    )
    if str(body["id"]) != str(page.id):
        raise ApiError(400, "The id in the body does not match the path.")
    number = check_object(
        body["version"],
        {"number": int, "message": str, "minorEdit": bool},
        ("number",),
        "version",
    )["number"]
    if number != page.version + 1:
        raise ApiError(
            409,
            f"Version must be incremented on update. Current version is: {page.version}",
        )
    if body["status"] not in ("current", "draft", "archived"):
        raise ApiError(400, "Invalid status.")
    page.body, page.representation = check_body(body["body"])
    page.title, page.status, page.version = body["title"], body["status"], number
    return json_response(content_v2(ctx, page))


def delete_content(ctx: Ctx, kinds: tuple[str, ...]) -> Response:
    """Trash current content; `purge=true` removes trashed content for good."""
    content = content_or_404(ctx, kinds)
    if ctx.bool_arg("purge", default=False):
        if content.status != "trashed":
            raise ApiError(400, "Only trashed content can be purged; delete it first.")
        del ctx.state.content[content.id]
    elif ctx.bool_arg("draft", default=False) or content.status == "draft":
        del ctx.state.content[content.id]
    elif content.status == "trashed":
        raise ApiError(404, f"Content {content.id} is already in the trash.")
    else:
        content.status = "trashed"
    return empty(204)


@route("DELETE", V2 + "/pages/{content_id}")
def delete_page(ctx: Ctx) -> Response:
    """Trash or purge a page."""
    return delete_content(ctx, ("page",))


@route("DELETE", V2 + "/blogposts/{content_id}")
def delete_blogpost(ctx: Ctx) -> Response:
    """Trash or purge a blog post."""
    return delete_content(ctx, ("blogpost",))


@route("POST", V2 + "/footer-comments")
def create_footer_comment(ctx: Ctx) -> Response:
    """Comment on a page, blog post or attachment (exactly one container)."""
    body = check_object(
        ctx.json(),
        {
            "pageId": (str, int),
            "blogPostId": (str, int),
            "attachmentId": (str, int),
            "customContentId": (str, int),
            "parentCommentId": (str, int),
            "body": dict,
        },
        ("body",),
    )
    containers = [
        k
        for k in (
            "pageId",
            "blogPostId",
            "attachmentId",
            "customContentId",
            "parentCommentId",
        )
        if k in body
    ]
    if len(containers) != 1:
        raise ApiError(
            400,
            "Give exactly one of pageId, blogPostId, attachmentId, customContentId or parentCommentId.",
        )
    kinds = {
        "pageId": ("page",),
        "blogPostId": ("blogpost",),
        "attachmentId": ("attachment",),
        "parentCommentId": ("comment",),
        "customContentId": ("custom",),
    }[containers[0]]
    parent = content_or_404(ctx, kinds, str(body[containers[0]]))
    value, representation = check_body(body["body"])
    state = ctx.state
    comment = state.add_content(
        Content(
            state.new_content_id(),
            "comment",
            parent.space_id,
            f"Re: {parent.title}",
            "current",
            parent.id,
            ctx.sim.service_account.account_id,
            utc_now(),
            1,
            value,
            representation,
        )
    )
    return json_response(content_v2(ctx, comment), 201)


@route("DELETE", V2 + "/footer-comments/{content_id}")
def delete_footer_comment(ctx: Ctx) -> Response:
    """Delete a footer comment permanently."""
    comment = content_or_404(ctx, ("comment",))
    del ctx.state.content[comment.id]
    return empty(204)
