"""Each pagination style yields every item once and stops where Atlassian says."""

from __future__ import annotations

import httpx
import pytest

from connectors.atlassian.paging import (
    iter_admin_cursor,
    iter_confluence_v1,
    iter_confluence_v2,
    iter_page_beans,
    iter_plain_arrays,
    iter_scim,
)
from connectors.atlassian.responses import MalformedResponse, Model
from connectors.base import ApiFamily, Unavailable
from tests.connectors.atlassian.conftest import Recorder, make_api, query, reply, script


class Item(Model):
    id: str


def items(*ids: str) -> list[dict[str, str]]:
    return [{"id": i} for i in ids]


def test_scim_pages_by_start_index_until_total_results():
    recorder = Recorder(
        script(
            reply(
                200,
                {
                    "totalResults": 3,
                    "startIndex": 1,
                    "itemsPerPage": 2,
                    "Resources": items("a", "b"),
                },
            ),
            reply(
                200,
                {
                    "totalResults": 3,
                    "startIndex": 3,
                    "itemsPerPage": 1,
                    "Resources": items("c"),
                },
            ),
        )
    )
    api = make_api(ApiFamily.SCIM, recorder)

    found = [i.id for i in iter_scim(api, "/Users", Item, count=2)]

    assert found == ["a", "b", "c"]
    assert [query(r) for r in recorder.requests] == [
        [("startIndex", "1"), ("count", "2")],
        [("startIndex", "3"), ("count", "2")],
    ]


def test_jira_page_beans_advance_by_items_returned_until_is_last():
    recorder = Recorder(
        script(
            reply(
                200,
                {
                    "startAt": 0,
                    "maxResults": 50,
                    "isLast": False,
                    "values": items("a", "b"),
                },
            ),
            reply(
                200,
                {"startAt": 2, "maxResults": 50, "isLast": True, "values": items("c")},
            ),
        )
    )
    api = make_api(ApiFamily.JIRA, recorder)

    found = [
        i.id
        for i in iter_page_beans(
            api, "/rest/api/3/group/bulk", Item, params=[("groupName", "x")]
        )
    ]

    assert found == ["a", "b", "c"]
    assert query(recorder.requests[1]) == [
        ("groupName", "x"),
        ("startAt", "2"),
        ("maxResults", "50"),
    ]


def test_jira_page_beans_without_is_last_stop_at_total():
    recorder = Recorder(
        script(reply(200, {"startAt": 0, "total": 2, "values": items("a", "b")}))
    )
    api = make_api(ApiFamily.JIRA, recorder)

    assert len(list(iter_page_beans(api, "/rest/api/3/group/member", Item))) == 2
    assert len(recorder.requests) == 1


def test_jira_plain_arrays_page_until_a_short_page():
    recorder = Recorder(script(reply(200, items("a", "b")), reply(200, items("c"))))
    api = make_api(ApiFamily.JIRA, recorder)

    found = [
        i.id
        for i in iter_plain_arrays(api, "/rest/api/3/users/search", Item, max_results=2)
    ]

    assert found == ["a", "b", "c"]
    assert query(recorder.requests[1]) == [("startAt", "2"), ("maxResults", "2")]


def test_admin_cursor_follows_a_bare_cursor_in_the_query():
    recorder = Recorder(
        script(
            reply(200, {"data": items("a"), "links": {"next": "CUR2"}}),
            reply(200, {"data": items("b"), "links": {"next": None}}),
        )
    )
    api = make_api(ApiFamily.ADMIN, recorder)

    found = [
        i.id for i in iter_admin_cursor(api, "GET", "/admin/v1/orgs/o/users", Item)
    ]

    assert found == ["a", "b"]
    assert query(recorder.requests[1]) == [("cursor", "CUR2")]


def test_admin_cursor_follows_a_full_next_url():
    next_url = "https://api.atlassian.com/admin/v1/orgs/o/users?cursor=CUR2"
    recorder = Recorder(
        script(
            reply(200, {"data": items("a"), "links": {"next": next_url}}),
            reply(200, {"data": items("b"), "links": {}}),
        )
    )
    api = make_api(ApiFamily.ADMIN, recorder)

    assert [
        i.id for i in iter_admin_cursor(api, "GET", "/admin/v1/orgs/o/users", Item)
    ] == ["a", "b"]
    assert str(recorder.requests[1].url) == next_url


def test_admin_search_puts_the_cursor_in_the_body():
    recorder = Recorder(
        script(
            reply(200, {"data": items("a"), "links": {"next": "CUR2"}}),
            reply(200, {"data": items("b"), "links": {}}),
        )
    )
    api = make_api(ApiFamily.ADMIN, recorder)
    path = "/admin/v2/orgs/o/directories/d/groups/search"

    list(iter_admin_cursor(api, "POST", path, Item, body={"limit": 100}))

    assert recorder.body(0) == {"limit": 100}
    assert recorder.body(1) == {"limit": 100, "cursor": "CUR2"}
    assert recorder.requests[1].url.path == path


def test_confluence_v2_follows_links_next_relative_to_the_site():
    recorder = Recorder(
        script(
            reply(
                200,
                {
                    "results": items("1"),
                    "_links": {
                        "next": "/wiki/api/v2/spaces?cursor=XYZ",
                        "base": "https://acme.atlassian.net/wiki",
                    },
                },
            ),
            reply(200, {"results": items("2"), "_links": {}}),
        )
    )
    api = make_api(ApiFamily.CONFLUENCE, recorder)

    found = [
        i.id
        for i in iter_confluence_v2(
            api, "/wiki/api/v2/spaces", Item, params={"keys": "ENG"}
        )
    ]

    assert found == ["1", "2"]
    assert query(recorder.requests[0]) == [("keys", "ENG"), ("limit", "250")]
    assert (
        str(recorder.requests[1].url)
        == "https://acme.atlassian.net/wiki/api/v2/spaces?cursor=XYZ"
    )


def test_confluence_v2_accepts_a_next_link_relative_to_the_wiki_base():
    recorder = Recorder(
        script(
            reply(
                200,
                {
                    "results": items("1"),
                    "_links": {
                        "next": "/api/v2/spaces?cursor=XYZ",
                        "base": "https://acme.atlassian.net/wiki",
                    },
                },
            ),
            reply(200, {"results": items("2"), "_links": {}}),
        )
    )
    api = make_api(ApiFamily.CONFLUENCE, recorder)

    list(iter_confluence_v2(api, "/wiki/api/v2/spaces", Item))

    assert recorder.requests[1].url.path == "/wiki/api/v2/spaces"


def test_confluence_v1_pages_by_start_and_limit():
    recorder = Recorder(
        script(
            reply(
                200,
                {
                    "results": items("1", "2"),
                    "start": 0,
                    "limit": 2,
                    "size": 2,
                    "_links": {"next": "/rest/api/x?start=2"},
                },
            ),
            reply(
                200,
                {
                    "results": items("3"),
                    "start": 2,
                    "limit": 2,
                    "size": 1,
                    "_links": {},
                },
            ),
        )
    )
    api = make_api(ApiFamily.CONFLUENCE, recorder)

    found = [
        i.id for i in iter_confluence_v1(api, "/wiki/rest/api/space", Item, limit=2)
    ]

    assert found == ["1", "2", "3"]
    assert query(recorder.requests[1]) == [("start", "2"), ("limit", "2")]


def test_a_page_without_its_item_list_is_reported_not_crashed():
    api = make_api(ApiFamily.JIRA, Recorder(script(reply(200, ["not", "a", "page"]))))

    with pytest.raises(MalformedResponse, match="no list of items"):
        list(iter_page_beans(api, "/rest/api/3/group/bulk", Item))


def scim_directory(
    ids: list[str], *, page_cap: int, removed_after_first_page: int = 0
) -> Recorder:
    """A SCIM /Users list that caps pages at `page_cap`; optionally users vanish after
    the first page was served (the later pages shift)."""
    state = {"ids": list(ids)}

    def answer(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params["startIndex"])
        count = min(int(request.url.params["count"]), page_cap)
        current = state["ids"]
        page = current[start - 1 : start - 1 + count]
        body = {"totalResults": len(current), "Resources": items(*page)}
        if start == 1 and removed_after_first_page:
            state["ids"] = (
                current[:page_cap] + current[page_cap + removed_after_first_page :]
            )
        return httpx.Response(200, json=body)

    return Recorder(answer)


def test_scim_pages_fetched_concurrently_follow_the_page_size_the_server_uses():
    ids = [f"u{n}" for n in range(23)]
    recorder = scim_directory(ids, page_cap=5)
    api = make_api(ApiFamily.SCIM, recorder)

    found = [i.id for i in iter_scim(api, "/Users", Item, count=10, workers=4)]

    assert found == ids
    starts = sorted(int(r.url.params["startIndex"]) for r in recorder.requests)
    assert starts == [1, 6, 11, 16, 21]


def test_scim_directory_shrinking_while_paged_concurrently_yields_each_user_once():
    ids = [f"u{n}" for n in range(20)]
    recorder = scim_directory(ids, page_cap=5, removed_after_first_page=3)
    api = make_api(ApiFamily.SCIM, recorder)

    found = [i.id for i in iter_scim(api, "/Users", Item, count=5, workers=4)]

    assert found == ids[:5] + ids[8:]


def test_jira_plain_arrays_requested_ahead_stop_at_the_short_page():
    users = [f"u{n}" for n in range(7)]

    def answer(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params["startAt"])
        size = int(request.url.params["maxResults"])
        return httpx.Response(200, json=items(*users[start : start + size]))

    recorder = Recorder(answer)
    api = make_api(ApiFamily.JIRA, recorder)

    found = [
        i.id
        for i in iter_plain_arrays(
            api, "/rest/api/3/users/search", Item, max_results=2, workers=3
        )
    ]

    assert found == users
    assert len(recorder.requests) <= 4 + 3


def jira_groups(
    ids: list[str], *, page_cap: int, added_after_first_page: int = 0
) -> Recorder:
    """A Jira /group/bulk page bean that caps pages at `page_cap`; optionally groups
    are added once the first page was served (the total grows)."""
    state = {"ids": list(ids)}

    def answer(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params["startAt"])
        size = min(int(request.url.params["maxResults"]), page_cap)
        current = state["ids"]
        page = current[start : start + size]
        body = {
            "startAt": start,
            "maxResults": size,
            "total": len(current),
            "isLast": start + size >= len(current),
            "values": items(*page),
        }
        if start == 0 and added_after_first_page:
            state["ids"] = current + [f"new{n}" for n in range(added_after_first_page)]
        return httpx.Response(200, json=body)

    return Recorder(answer)


def test_jira_page_beans_fetched_concurrently_follow_the_page_size_the_server_uses():
    ids = [f"g{n}" for n in range(23)]
    recorder = jira_groups(ids, page_cap=5)
    api = make_api(ApiFamily.JIRA, recorder)

    found = [
        i.id
        for i in iter_page_beans(
            api, "/rest/api/3/group/bulk", Item, max_results=10, workers=4
        )
    ]

    assert found == ids
    starts = sorted(int(r.url.params["startAt"]) for r in recorder.requests)
    assert starts == [0, 5, 10, 15, 20]


def test_jira_page_beans_growing_while_paged_concurrently_are_read_to_the_end():
    ids = [f"g{n}" for n in range(10)]
    recorder = jira_groups(ids, page_cap=5, added_after_first_page=7)
    api = make_api(ApiFamily.JIRA, recorder)

    found = [
        i.id
        for i in iter_page_beans(
            api, "/rest/api/3/group/bulk", Item, max_results=5, workers=4
        )
    ]

    assert found == ids + [f"new{n}" for n in range(7)]


def test_a_page_bean_item_of_the_wrong_shape_is_named_in_the_error():
    page = {"isLast": True, "values": [{"id": "1"}, {"name": "no id"}]}
    api = make_api(ApiFamily.JIRA, Recorder(script(reply(200, page))))

    with pytest.raises(MalformedResponse, match=r"values\.1\.id: Field required"):
        list(iter_page_beans(api, "/rest/api/3/group/bulk", Item))


def test_a_page_bean_body_that_is_not_json_is_retried_then_reported(fake_clock):
    truncated = httpx.Response(200, content=b'{"isLast": true, "values": [{"id"')
    recorder = Recorder(script(truncated))
    api = make_api(ApiFamily.JIRA, recorder, fake_clock.policy(max_attempts=2))

    with pytest.raises(Unavailable, match="not JSON"):
        list(iter_page_beans(api, "/rest/api/3/group/bulk", Item))

    assert len(recorder.requests) == 2
