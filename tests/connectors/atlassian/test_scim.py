"""SCIM client requests pinned to the reference (§2): method, path, query, body, auth."""

from __future__ import annotations

import pytest

from connectors.atlassian.responses import MalformedResponse
from connectors.atlassian.scim import ScimClient
from connectors.base import ApiFamily, Conflict
from tests.connectors.atlassian.conftest import (
    DIRECTORY_KEY,
    Recorder,
    make_api,
    query,
    reply,
    script,
)

BASE = "/scim/directory/dir-0001"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "id": "scim-1",
    "userName": "jane.doe@acme.example",
    "emails": [{"value": "jane.doe@acme.example", "type": "work", "primary": True}],
    "name": {"givenName": "Jane", "familyName": "Doe"},
    "displayName": "Jane Doe",
    "active": True,
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
        "department": "R&D",
        "manager": {"value": "scim-9", "displayName": "Boss"},
    },
    "urn:scim:schemas:extension:atlassian-external:1.0": {
        "atlassianAccountId": "aaid-1"
    },
}
GROUP = {"id": "g-1", "displayName": "eng", "members": [{"value": "scim-1"}]}


def client(*responses):
    recorder = Recorder(script(*responses))
    return ScimClient(make_api(ApiFamily.SCIM, recorder)), recorder


def list_of(*resources):
    return reply(
        200,
        {"totalResults": len(resources), "startIndex": 1, "Resources": list(resources)},
    )


def test_list_users_pages_with_start_index_and_count_and_bearer_key():
    scim, recorder = client(list_of(USER))

    users = list(scim.list_users())

    assert users[0].account_id == "aaid-1"
    assert users[0].enterprise.department == "R&D"
    assert users[0].enterprise.manager.value == "scim-9"
    assert recorder.last.method == "GET"
    assert recorder.last.url.path == f"{BASE}/Users"
    assert query(recorder.last) == [("startIndex", "1"), ("count", "100")]
    assert recorder.last.headers["Authorization"] == f"Bearer {DIRECTORY_KEY}"


def test_find_user_by_user_name_uses_an_exact_eq_filter():
    scim, recorder = client(list_of(USER))

    user = scim.find_user_by_user_name("jane.doe@acme.example")

    assert user.id == "scim-1"
    assert query(recorder.last)[0] == ("filter", 'userName eq "jane.doe@acme.example"')


def test_get_user():
    scim, recorder = client(reply(200, USER))

    scim.get_user("scim-1")

    assert (recorder.last.method, recorder.last.url.path) == (
        "GET",
        f"{BASE}/Users/scim-1",
    )


def test_create_user_posts_the_payload():
    scim, recorder = client(reply(201, USER))
    payload = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "jane.doe@acme.example",
    }

    user = scim.create_user(payload)

    assert user.user_name == "jane.doe@acme.example"
    assert (recorder.last.method, recorder.last.url.path) == ("POST", f"{BASE}/Users")
    assert recorder.body() == payload


def test_create_existing_user_raises_conflict_with_scim_detail():
    error = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": "409",
        "scimType": "uniqueness",
        "detail": "User already exists",
    }
    scim, _ = client(reply(409, error))

    with pytest.raises(Conflict, match="User already exists"):
        scim.create_user({"userName": "x"})


def test_patch_user_sends_a_patchop_with_capital_operations():
    scim, recorder = client(reply(200, {**USER, "active": False}))

    user = scim.patch_user(
        "scim-1", [{"op": "replace", "path": "active", "value": False}]
    )

    assert user.active is False
    assert (recorder.last.method, recorder.last.url.path) == (
        "PATCH",
        f"{BASE}/Users/scim-1",
    )
    assert recorder.body() == {
        "schemas": [PATCH],
        "Operations": [{"op": "replace", "path": "active", "value": False}],
    }


def test_delete_user_and_absent_user():
    scim, recorder = client(reply(204), reply(404, {"status": "404", "detail": "gone"}))

    assert scim.delete_user("scim-1") is True
    assert scim.delete_user("scim-1") is False
    assert (recorder.last.method, recorder.last.url.path) == (
        "DELETE",
        f"{BASE}/Users/scim-1",
    )


def test_find_group_by_display_name_filters_on_display_name():
    scim, recorder = client(list_of(GROUP))

    group = scim.find_group_by_display_name("eng")

    assert group.members[0].value == "scim-1"
    assert recorder.last.url.path == f"{BASE}/Groups"
    assert query(recorder.last)[0] == ("filter", 'displayName eq "eng"')


def test_create_group_posts_the_group_schema():
    scim, recorder = client(reply(201, GROUP))

    scim.create_group("eng")

    assert (recorder.last.method, recorder.last.url.path) == ("POST", f"{BASE}/Groups")
    assert recorder.body() == {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "eng",
        "members": [],
    }


def test_patch_group_members_adds_and_removes_by_scim_user_id():
    scim, recorder = client(reply(200, GROUP))

    scim.patch_group_members("g-1", add=["scim-1"], remove=["scim-2"])

    assert (recorder.last.method, recorder.last.url.path) == (
        "PATCH",
        f"{BASE}/Groups/g-1",
    )
    assert recorder.body() == {
        "schemas": [PATCH],
        "Operations": [
            {"op": "add", "path": "members", "value": [{"value": "scim-1"}]},
            {"op": "remove", "path": "members", "value": [{"value": "scim-2"}]},
        ],
    }


def test_get_and_delete_group():
    scim, recorder = client(reply(200, GROUP), reply(204))

    scim.get_group("g-1")
    first = recorder.last
    scim.delete_group("g-1")

    assert (first.method, first.url.path) == ("GET", f"{BASE}/Groups/g-1")
    assert (recorder.last.method, recorder.last.url.path) == (
        "DELETE",
        f"{BASE}/Groups/g-1",
    )


def test_rename_group_is_refused_with_the_workaround():
    scim, recorder = client(reply(200, GROUP))

    with pytest.raises(
        Conflict, match="create the new group, copy its members, delete the old one"
    ):
        scim.rename_group("g-1", "eng-new")

    assert recorder.requests == []


def test_count_users_reads_one_user():
    scim, recorder = client(reply(200, {"totalResults": 42, "Resources": [USER]}))

    assert scim.count_users() == 42
    assert query(recorder.last) == [("startIndex", "1"), ("count", "1")]


def test_a_user_without_user_name_is_a_malformed_response():
    scim, _ = client(reply(200, {"id": "scim-1"}))

    with pytest.raises(MalformedResponse, match="userName"):
        scim.get_user("scim-1")
