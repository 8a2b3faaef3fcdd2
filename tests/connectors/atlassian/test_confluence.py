"""Confluence client requests pinned to the reference (§5): v2 reads, v1 permission writes."""

from __future__ import annotations

import base64

import pytest

from connectors.atlassian.confluence import SPACE_PERMISSIONS, ConfluenceClient
from connectors.base import ApiFamily, Invalid
from tests.connectors.atlassian.conftest import (
    ADMIN_EMAIL,
    API_TOKEN,
    Recorder,
    make_api,
    query,
    reply,
    script,
)

SPACE = {
    "id": "98306",
    "key": "ENG",
    "name": "Engineering",
    "type": "global",
    "status": "current",
    "authorId": "a1",
}


def client(*responses):
    recorder = Recorder(script(*responses))
    return ConfluenceClient(make_api(ApiFamily.CONFLUENCE, recorder)), recorder


def test_list_spaces_uses_v2_with_keys_and_basic_auth():
    confluence, recorder = client(reply(200, {"results": [SPACE], "_links": {}}))

    spaces = list(confluence.list_spaces(keys=["ENG", "PROD"]))

    assert spaces[0].id == "98306"
    assert (recorder.last.method, recorder.last.url.path) == (
        "GET",
        "/wiki/api/v2/spaces",
    )
    assert query(recorder.last) == [("keys", "ENG,PROD"), ("limit", "250")]
    token = base64.b64encode(f"{ADMIN_EMAIL}:{API_TOKEN}".encode()).decode()
    assert recorder.last.headers["Authorization"] == f"Basic {token}"


def test_get_space_by_id():
    confluence, recorder = client(reply(200, SPACE))

    assert confluence.get_space("98306").key == "ENG"
    assert recorder.last.url.path == "/wiki/api/v2/spaces/98306"


def test_list_space_permissions_by_space_id():
    body = {
        "results": [
            {
                "id": "1234567",
                "principal": {"type": "user", "id": "a1"},
                "operation": {"key": "read", "targetType": "space"},
            },
            {
                "id": 1234568,
                "principal": {"type": "group", "id": "g1"},
                "operation": {"key": "create", "targetType": "page"},
            },
        ],
        "_links": {},
    }
    confluence, recorder = client(reply(200, body))

    permissions = list(confluence.list_space_permissions("98306"))

    assert [p.pair for p in permissions] == [("read", "space"), ("create", "page")]
    assert permissions[1].id == "1234568"
    assert recorder.last.url.path == "/wiki/api/v2/spaces/98306/permissions"


def test_add_space_permission_posts_subject_and_operation_to_v1():
    confluence, recorder = client(
        reply(200, {"id": 555, "subject": {}, "operation": {}})
    )

    added = confluence.add_space_permission(
        "ENG", subject_type="user", identifier="a1", key="create", target="page"
    )

    assert added == "555"
    assert (recorder.last.method, recorder.last.url.path) == (
        "POST",
        "/wiki/rest/api/space/ENG/permission",
    )
    assert recorder.body() == {
        "subject": {"type": "user", "identifier": "a1"},
        "operation": {"key": "create", "target": "page"},
    }


def test_adding_an_existing_permission_is_already_done():
    error = {
        "statusCode": 400,
        "data": {},
        "message": "Permission already exists",
        "reason": "Bad Request",
    }
    confluence, _ = client(reply(400, error))

    assert (
        confluence.add_space_permission(
            "ENG", subject_type="user", identifier="a1", key="read", target="space"
        )
        is None
    )


def test_adding_without_read_space_is_invalid():
    error = {
        "statusCode": 400,
        "data": {},
        "message": "User must have read space permission",
        "reason": "Bad Request",
    }
    confluence, _ = client(reply(400, error))

    with pytest.raises(Invalid, match="read space"):
        confluence.add_space_permission(
            "ENG", subject_type="user", identifier="a1", key="create", target="page"
        )


def test_delete_space_permission_uses_v1_with_the_id():
    confluence, recorder = client(
        reply(204), reply(404, {"statusCode": 404, "message": "gone"})
    )

    assert confluence.delete_space_permission("ENG", "555") is True
    assert confluence.delete_space_permission("ENG", "555") is False
    assert (recorder.last.method, recorder.last.url.path) == (
        "DELETE",
        "/wiki/rest/api/space/ENG/permission/555",
    )


def test_the_catalogue_has_the_fourteen_documented_pairs():
    pairs = {(key, target) for key, target, _ in SPACE_PERMISSIONS}

    assert len(pairs) == 14
    assert ("read", "space") in pairs
    assert ("restrict_content", "space") in pairs
