"""Pagination helpers, one per Atlassian paging style; each yields parsed items.

Memory stays flat: one page is held at a time. Every helper advances by the number of
items actually returned, because Atlassian may cap a page size silently.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import httpx
import pydantic

from connectors.atlassian.fanout import fan_out
from connectors.atlassian.responses import MalformedResponse, malformed, parse_models

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from connectors.atlassian.http import ApiClient

ModelT = TypeVar("ModelT", bound=pydantic.BaseModel)
Params = dict[str, Any]


def _items(api: ApiClient, body: Any, key: str | None, what: str) -> list[Any]:
    """The list of items of one page; a plain array when `key` is None."""
    items = body if key is None else (body.get(key) if isinstance(body, dict) else None)
    if items is None and key is not None and isinstance(body, dict):
        items = []  # an absent list on an otherwise valid page means "no items"
    if not isinstance(items, list):
        raise MalformedResponse(
            f"Unexpected {what} page from the {api.family.value} API: no list of items",
            family=api.family.value,
        )
    return items


def _parse_all(
    api: ApiClient, model: type[ModelT], items: list[Any], what: str
) -> list[ModelT]:
    return parse_models(model, items, family=api.family, what=what)


def iter_scim(
    api: ApiClient,
    path: str,
    model: type[ModelT],
    *,
    params: Mapping[str, Any] | None = None,
    count: int = 100,
    workers: int = 1,
) -> Iterator[ModelT]:
    """SCIM ListResponse: 1-based `startIndex` + `count`, until `totalResults` is reached.

    With `workers` > 1 the pages after the first are fetched that many at a time: the
    first page tells `totalResults` and the page size the server really uses (it may
    cap `count` silently). A page of another size (the directory changed meanwhile)
    ends that: the rest is read page by page from where it stopped.
    """

    def page(start: int) -> tuple[list[Any], Any]:
        query = {**(params or {}), "startIndex": start, "count": count}
        body = api.request("GET", path, params=query)
        return _items(api, body, "Resources", path), body

    items, body = page(1)
    start = 1 + len(items)
    yield from _parse_all(api, model, items, "SCIM resource")
    total = _scim_total(body)
    if workers > 1 and items and total is not None and start <= total:
        stride = len(items)
        pages = fan_out(page, range(start, total + 1, stride), max_workers=workers)
        with contextlib.closing(pages):
            for at, (items, body) in pages:
                yield from _parse_all(api, model, items, "SCIM resource")
                start, total = at + len(items), _scim_total(body)
                if len(items) != stride:
                    break
    while items and (total is None or start <= total):
        items, body = page(start)
        yield from _parse_all(api, model, items, "SCIM resource")
        start += len(items)
        total = _scim_total(body)


def _scim_total(body: Any) -> int | None:
    total = body.get("totalResults") if isinstance(body, dict) else None
    return total if isinstance(total, int) else None


@dataclass(frozen=True)
class PageBean(Generic[ModelT]):
    """One page of a Jira page bean: its parsed items, where it starts, what it says."""

    items: list[ModelT]
    start: int
    total: int | None  # `total`, when the endpoint reports it
    is_last: bool | None  # `isLast`, when the endpoint reports it

    @property
    def has_more(self) -> bool:
        """Whether a page follows (advancing by the items actually returned)."""
        if not self.items or self.is_last is True:
            return False
        if self.is_last is None and self.total is not None:
            return self.start + len(self.items) < self.total
        return True


def get_page_bean(
    api: ApiClient,
    path: str,
    model: type[ModelT],
    *,
    start: int,
    params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
    max_results: int = 50,
) -> PageBean[ModelT]:
    """One page of a Jira page bean (`startAt`/`maxResults`, `values[]`).

    The body is validated while it is decoded (pydantic from the bytes): only the
    fields the models name become Python objects, not the rest of each item.
    """
    query = _with(params, startAt=start, maxResults=max_results)

    def decode(content: bytes) -> _Bean[ModelT]:
        return _decode_bean(api, path, model, content)

    bean = api.request("GET", path, params=query, decode=decode)
    if bean is None:  # an empty body
        raise _no_items(api, path, "Jira item")
    total, is_last = bean.total, bean.is_last
    return PageBean(
        bean.values or [],
        start,
        total if isinstance(total, int) and not isinstance(total, bool) else None,
        is_last if isinstance(is_last, bool) else None,
    )


class _Bean(pydantic.BaseModel, Generic[ModelT]):
    """A page bean as sent; `isLast` and `total` are judged by PageBean."""

    model_config = pydantic.ConfigDict(extra="ignore")
    values: list[ModelT] | None = None
    is_last: Any = pydantic.Field(None, alias="isLast")
    total: Any = None


@functools.cache
def _bean_adapter(model: type[ModelT]) -> pydantic.TypeAdapter[_Bean[ModelT]]:
    return pydantic.TypeAdapter(_Bean[model])  # type: ignore[valid-type]


def _decode_bean(
    api: ApiClient, path: str, model: type[ModelT], content: bytes
) -> _Bean[ModelT]:
    """The page from its bytes: ValueError if not JSON, MalformedResponse if no page."""
    try:
        return _bean_adapter(model).validate_json(content)
    except pydantic.ValidationError as exc:
        errors = exc.errors()
        if any(error["type"] == "json_invalid" for error in errors):
            raise ValueError("not JSON") from None
        if any(len(error["loc"]) <= 1 for error in errors):  # the body or `values`
            raise _no_items(api, path, "Jira item") from None
        raise malformed(exc, api.family, "Jira item") from None


def _no_items(api: ApiClient, path: str, what: str) -> MalformedResponse:
    return MalformedResponse(
        f"Unexpected {what} page from the {api.family.value} API: no list of items",
        family=api.family.value,
    )


def iter_page_beans(
    api: ApiClient,
    path: str,
    model: type[ModelT],
    *,
    params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
    max_results: int = 50,
    workers: int = 1,
) -> Iterator[ModelT]:
    """Jira page bean: `startAt`/`maxResults`, `values[]`, until `isLast` (or `total`).

    With `workers` > 1 and a `total` on the first page, the other pages are fetched
    that many at a time, a page size apart (the size the server really used); if the
    last of them says more follow, the rest is read page by page.
    """

    def page(start: int) -> PageBean[ModelT]:
        return get_page_bean(
            api, path, model, start=start, params=params, max_results=max_results
        )

    last = page(0)
    yield from last.items
    if workers > 1 and last.has_more and last.total is not None:
        stride = len(last.items)
        pages = fan_out(page, range(stride, last.total, stride), max_workers=workers)
        with contextlib.closing(pages):
            for _, last in pages:  # the final planned page decides what follows
                yield from last.items
    while last.has_more:
        last = page(last.start + len(last.items))
        yield from last.items


def iter_plain_arrays(
    api: ApiClient,
    path: str,
    model: type[ModelT],
    *,
    params: Mapping[str, Any] | None = None,
    max_results: int = 50,
    workers: int = 1,
) -> Iterator[ModelT]:
    """Jira endpoints that return a bare JSON array: page until an empty or short page.

    There is no total: with `workers` > 1 the next pages are requested ahead, that many
    at a time, and the calls already under way when a short page ends the list are
    spent for nothing (fewer than `workers`).
    """

    def page(start: int) -> list[Any]:
        query = _with(params, startAt=start, maxResults=max_results)
        return _items(api, api.request("GET", path, params=query), None, path)

    starts = itertools.count(0, max_results)
    pages = (
        fan_out(page, starts, max_workers=workers)
        if workers > 1
        else ((start, page(start)) for start in starts)
    )
    with contextlib.closing(pages):
        for _, items in pages:
            yield from _parse_all(api, model, items, "Jira item")
            if len(items) < max_results:
                return


def iter_admin_cursor(
    api: ApiClient,
    method: str,
    path: str,
    model: type[ModelT],
    *,
    params: Mapping[str, Any] | None = None,
    body: Mapping[str, Any] | None = None,
) -> Iterator[ModelT]:
    """Admin API: `data[]` + `links.next`, which is a full URL or a bare cursor.

    For a POST search the cursor goes into the body; for a GET into the query.
    """
    url, query, payload = (
        path,
        dict(params or {}),
        dict(body) if body is not None else None,
    )
    while True:
        page = api.request(method, url, params=query or None, json=payload)
        items = _items(api, page, "data", path)
        yield from _parse_all(api, model, items, "Admin item")
        following = _admin_next(page)
        if not following or not items:
            return
        if following.startswith(("http://", "https://")):
            url, query = following, {}  # the full URL already carries the cursor
            if payload is not None:
                payload["cursor"] = httpx.URL(following).params.get("cursor")
                url = path
        elif payload is not None:
            payload["cursor"] = following
        else:
            query["cursor"] = following


def _admin_next(page: Any) -> str | None:
    links = page.get("links") if isinstance(page, dict) else None
    following = links.get("next") if isinstance(links, dict) else None
    return following if isinstance(following, str) and following else None


def iter_confluence_v2(
    api: ApiClient,
    path: str,
    model: type[ModelT],
    *,
    params: Mapping[str, Any] | None = None,
    limit: int = 250,
) -> Iterator[ModelT]:
    """Confluence v2: cursor in `_links.next` (site-relative, includes /wiki) or `Link`."""
    url: str = path
    query: Params | None = {**(params or {}), "limit": limit}
    while True:
        body = api.request("GET", url, params=query)
        items = _items(api, body, "results", path)
        yield from _parse_all(api, model, items, "Confluence item")
        following = _confluence_next(body)
        if not following or not items:
            return
        url, query = following, None


def _confluence_next(body: Any) -> str | None:
    links = body.get("_links") if isinstance(body, dict) else None
    if not isinstance(links, dict):
        return None
    following = links.get("next")
    if not isinstance(following, str) or not following:
        return None
    if following.startswith(("http://", "https://")):
        return following
    if following.startswith("/wiki/"):
        return following
    base = links.get("base")
    # A next link relative to `_links.base` (".../wiki") rather than to the site.
    if isinstance(base, str) and base:
        return httpx.URL(base).path.rstrip("/") + "/" + following.lstrip("/")
    return "/wiki/" + following.lstrip("/")


def iter_confluence_v1(
    api: ApiClient,
    path: str,
    model: type[ModelT],
    *,
    params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
    limit: int = 100,
) -> Iterator[ModelT]:
    """Confluence v1: `start`/`limit`, `results`, until no `_links.next` or a short page."""
    start = 0
    while True:
        body = api.request("GET", path, params=_with(params, start=start, limit=limit))
        items = _items(api, body, "results", path)
        yield from _parse_all(api, model, items, "Confluence item")
        start += len(items)
        links = body.get("_links") if isinstance(body, dict) else None
        has_next = isinstance(links, dict) and bool(links.get("next"))
        if not items or not has_next:
            return


def _with(
    params: Mapping[str, Any] | list[tuple[str, Any]] | None, **extra: Any
) -> list[tuple[str, Any]]:
    """Params as a list of pairs (repeatable keys survive) plus the paging keys."""
    pairs = list(params.items()) if isinstance(params, dict) else list(params or [])
    return pairs + list(extra.items())
