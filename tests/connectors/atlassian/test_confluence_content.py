"""Confluence content requests pinned to the reference (§5.4)."""

from __future__ import annotations

import pytest

from connectors.atlassian.confluence_content import ConfluenceContentClient
from connectors.atlassian.responses import MalformedResponse
from connectors.base import ApiFamily
from tests.connectors.atlassian.conftest import Recorder, make_api, query, reply, script

V1 = "/wiki/rest/api"
V2 = "/wiki/api/v2"
PAGE = {
    "id": "123",
    "title": "T",
    "status": "current",
    "spaceId": "98306",
    "version": {"number": 3},
}


def client(*responses):
    recorder = Recorder(script(*responses))
    return ConfluenceContentClient(make_api(ApiFamily.CONFLUENCE, recorder)), recorder


def test_create_page_posts_storage_body_to_v2():
    content, recorder = client(reply(200, PAGE))

    page = content.create_page("98306", "T", "<p>x</p>", parent_id="7")

    assert page.version.number == 3
    assert (recorder.last.method, recorder.last.url.path) == ("POST", f"{V2}/pages")
    assert recorder.body() == {
        "spaceId": "98306",
        "status": "current",
        "title": "T",
        "body": {"representation": "storage", "value": "<p>x</p>"},
        "parentId": "7",
    }


def test_get_page_in_storage_format():
    content, recorder = client(reply(200, PAGE))

    content.get_page("123")

    assert recorder.last.url.path == f"{V2}/pages/123"
    assert query(recorder.last) == [("body-format", "storage")]


def test_update_page_puts_the_next_version():
    content, recorder = client(reply(200, {**PAGE, "version": {"number": 4}}))

    content.update_page("123", "T2", "<p>y</p>", version=4)

    assert (recorder.last.method, recorder.last.url.path) == ("PUT", f"{V2}/pages/123")
    assert recorder.body() == {
        "id": "123",
        "status": "current",
        "title": "T2",
        "body": {"representation": "storage", "value": "<p>y</p>"},
        "version": {"number": 4},
    }


def test_delete_page_and_purge():
    content, recorder = client(
        reply(204),
        reply(204),
        reply(404, {"errors": [{"status": 404, "title": "gone"}]}),
    )

    assert content.delete_page("123") is True
    assert query(recorder.last) == []
    assert content.delete_page("123", purge=True) is True
    assert query(recorder.last) == [("purge", "true")]
    assert content.delete_page("123") is False
    assert (recorder.last.method, recorder.last.url.path) == (
        "DELETE",
        f"{V2}/pages/123",
    )


def test_archive_pages_posts_numeric_ids_and_returns_the_long_task():
    content, recorder = client(
        reply(202, {"id": "task-1", "links": {"status": f"{V1}/longtask/task-1"}})
    )

    task = content.archive_pages(["123", "456"])

    assert (task.id, task.status_path) == ("task-1", f"{V1}/longtask/task-1")
    assert (recorder.last.method, recorder.last.url.path) == (
        "POST",
        f"{V1}/content/archive",
    )
    assert recorder.body() == {"pages": [{"id": 123}, {"id": 456}]}


def test_long_task_status():
    content, recorder = client(
        reply(
            200,
            {
                "id": "task-1",
                "percentageComplete": 100,
                "successful": True,
                "finished": True,
            },
        )
    )

    status = content.get_long_task("task-1")

    assert status.finished and status.successful
    assert recorder.last.url.path == f"{V1}/longtask/task-1"


def test_blog_post_create_and_delete():
    content, recorder = client(reply(200, {"id": "900", "title": "News"}), reply(204))

    content.create_blog_post("98306", "News", "<p>n</p>")
    create = recorder.last
    content.delete_blog_post("900")

    assert (create.method, create.url.path) == ("POST", f"{V2}/blogposts")
    assert recorder.body(0) == {
        "spaceId": "98306",
        "status": "current",
        "title": "News",
        "body": {"representation": "storage", "value": "<p>n</p>"},
    }
    assert (recorder.last.method, recorder.last.url.path) == (
        "DELETE",
        f"{V2}/blogposts/900",
    )


def test_footer_comment_create_and_delete():
    content, recorder = client(reply(200, {"id": "c1"}), reply(204))

    content.create_footer_comment("<p>c</p>", page_id="123")
    content.delete_footer_comment("c1")

    assert recorder.body(0) == {
        "body": {"representation": "storage", "value": "<p>c</p>"},
        "pageId": "123",
    }
    assert recorder.requests[0].url.path == f"{V2}/footer-comments"
    assert (recorder.last.method, recorder.last.url.path) == (
        "DELETE",
        f"{V2}/footer-comments/c1",
    )


def test_attachments_list_upload_and_delete():
    content, recorder = client(
        reply(
            200,
            {
                "results": [
                    {"id": "att1", "title": "a.txt", "mediaType": "text/plain"}
                ],
                "_links": {},
            },
        ),
        reply(200, {"results": [{"id": "att2", "title": "b.txt"}]}),
        reply(204),
    )

    listed = list(content.list_attachments("123"))
    uploaded = content.upload_attachment("123", "b.txt", b"hello", "text/plain")
    upload = recorder.requests[1]
    content.delete_attachment("att2")

    assert listed[0].id == "att1"
    assert recorder.requests[0].url.path == f"{V2}/pages/123/attachments"
    assert uploaded.id == "att2"
    assert (upload.method, upload.url.path) == (
        "POST",
        f"{V1}/content/123/child/attachment",
    )
    assert upload.headers["X-Atlassian-Token"] == "no-check"
    assert upload.headers["Content-Type"].startswith("multipart/form-data")
    assert b'name="file"; filename="b.txt"' in upload.content
    assert (recorder.last.method, recorder.last.url.path) == (
        "DELETE",
        f"{V2}/attachments/att2",
    )


def test_get_restrictions_reads_users_and_groups_in_either_shape():
    body = {
        "results": [
            {
                "operation": "read",
                "restrictions": {
                    "user": {"results": [{"type": "known", "accountId": "a1"}]},
                    "group": {"results": [{"type": "group", "id": "g1"}]},
                },
            },
            {
                "operation": "update",
                "restrictions": {"user": [{"accountId": "a2"}], "group": []},
            },
        ]
    }
    content, recorder = client(reply(200, body))

    found = content.get_restrictions("123")

    assert [(r.operation, r.account_ids, r.group_ids) for r in found] == [
        ("read", ("a1",), ("g1",)),
        ("update", ("a2",), ()),
    ]
    assert recorder.last.url.path == f"{V1}/content/123/restriction"


def test_add_and_delete_user_restriction_by_operation():
    content, recorder = client(reply(200), reply(200))

    content.add_restriction("123", "read", account_id="a1")
    add = recorder.last
    content.delete_restriction("123", "read", account_id="a1")

    assert (add.method, add.url.path) == (
        "PUT",
        f"{V1}/content/123/restriction/byOperation/read/user",
    )
    assert query(add) == [("accountId", "a1")]
    assert (recorder.last.method, query(recorder.last)) == (
        "DELETE",
        [("accountId", "a1")],
    )


def test_add_group_restriction_by_group_id():
    content, recorder = client(reply(200))

    content.add_restriction("123", "update", group_id="g1")

    assert (
        recorder.last.url.path
        == f"{V1}/content/123/restriction/byOperation/update/byGroupId/g1"
    )


def test_space_export_starts_a_long_task():
    content, recorder = client(
        reply(202, {"id": "t9", "links": {"status": f"{V1}/longtask/t9"}})
    )

    task = content.start_space_export("ENG")

    assert task.id == "t9"
    assert (recorder.last.method, recorder.last.url.path) == (
        "POST",
        f"{V1}/space/ENG/export",
    )
    assert recorder.body() == {"format": "html"}


def test_a_restriction_without_operation_is_malformed():
    content, _ = client(reply(200, {"results": [{"restrictions": {}}]}))

    with pytest.raises(MalformedResponse):
        content.get_restrictions("123")


def test_space_pages_by_exact_title():
    content, recorder = client(reply(200, {"results": [PAGE], "_links": {}}))

    found = list(content.list_space_pages("98306", title="T"))

    assert [p.id for p in found] == ["123"]
    assert (recorder.last.method, recorder.last.url.path) == (
        "GET",
        f"{V2}/spaces/98306/pages",
    )
    assert query(recorder.last) == [("title", "T"), ("limit", "250")]


def test_space_blog_posts_by_exact_title_follow_the_cursor():
    content, recorder = client(
        reply(200, {"results": [PAGE], "_links": {"next": f"/wiki{V2}/x?cursor=c2"}}),
        reply(200, {"results": [{**PAGE, "id": "124"}], "_links": {}}),
    )

    found = list(content.list_space_blog_posts("98306", title="T"))

    assert [p.id for p in found] == ["123", "124"]
    first, second = recorder.requests
    assert (first.method, first.url.path) == ("GET", f"{V2}/spaces/98306/blogposts")
    assert query(first) == [("title", "T"), ("limit", "250")]
    assert query(second) == [("cursor", "c2")]


def test_page_attachments_by_file_name():
    content, recorder = client(reply(200, {"results": [], "_links": {}}))

    found = list(content.list_attachments("123", filename="notes.txt"))

    assert found == []
    assert recorder.last.url.path == f"{V2}/pages/123/attachments"
    assert query(recorder.last) == [("filename", "notes.txt"), ("limit", "250")]
