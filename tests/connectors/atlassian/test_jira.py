"""Jira client requests pinned to the reference (§4)."""

from __future__ import annotations

import base64

import pytest

from connectors.atlassian.jira import JiraClient
from connectors.base import ApiFamily, Invalid, LicenceLimitReached
from tests.connectors.atlassian.conftest import (
    ADMIN_EMAIL,
    API_TOKEN,
    Recorder,
    make_api,
    query,
    reply,
    script,
)

API = "/rest/api/3"
PROJECT = {
    "id": "10000",
    "key": "WEB",
    "name": "Website",
    "projectTypeKey": "software",
    "lead": {"accountId": "a1"},
}
ROLE = {
    "id": 10002,
    "name": "Developers",
    "actors": [
        {
            "id": 1,
            "type": "atlassian-user-role-actor",
            "displayName": "A",
            "actorUser": {"accountId": "a1"},
        },
        {
            "id": 2,
            "type": "atlassian-group-role-actor",
            "displayName": "eng",
            "actorGroup": {"name": "eng", "displayName": "eng", "groupId": "g1"},
        },
    ],
}


def client(*responses):
    recorder = Recorder(script(*responses))
    return JiraClient(make_api(ApiFamily.JIRA, recorder)), recorder


def bean(values, *, last=True):
    return reply(
        200, {"startAt": 0, "maxResults": 50, "isLast": last, "values": values}
    )


def test_list_groups_uses_group_bulk_with_basic_auth():
    jira, recorder = client(bean([{"groupId": "g1", "name": "eng"}]))

    groups = list(jira.list_groups(names=["eng"]))

    assert groups[0].group_id == "g1"
    assert (recorder.last.method, recorder.last.url.path) == (
        "GET",
        f"{API}/group/bulk",
    )
    assert query(recorder.last) == [
        ("groupName", "eng"),
        ("startAt", "0"),
        ("maxResults", "50"),
    ]
    token = base64.b64encode(f"{ADMIN_EMAIL}:{API_TOKEN}".encode()).decode()
    assert recorder.last.headers["Authorization"] == f"Basic {token}"


def test_list_group_members_by_group_id():
    jira, recorder = client(
        bean([{"accountId": "a1", "displayName": "A", "active": True}])
    )

    assert [u.account_id for u in jira.list_group_members("g1")] == ["a1"]
    assert recorder.last.url.path == f"{API}/group/member"
    assert query(recorder.last)[:2] == [
        ("groupId", "g1"),
        ("includeInactiveUsers", "true"),
    ]


def test_add_user_to_group_posts_account_id_with_group_id_query():
    jira, recorder = client(reply(201, {"name": "eng", "groupId": "g1"}))

    assert jira.add_user_to_group("g1", "a1") is True
    assert (recorder.last.method, recorder.last.url.path) == (
        "POST",
        f"{API}/group/user",
    )
    assert query(recorder.last) == [("groupId", "g1")]
    assert recorder.body() == {"accountId": "a1"}


def test_adding_an_existing_member_is_already_done():
    jira, _ = client(
        reply(
            400,
            {"errorMessages": ["Cannot add user. User is already a member of 'eng'"]},
        )
    )

    assert jira.add_user_to_group("g1", "a1") is False


def test_licence_limit_on_add_is_not_success():
    jira, _ = client(
        reply(
            400,
            {
                "errorMessages": [
                    "You have exceeded the number of users allowed by your license"
                ]
            },
        )
    )

    with pytest.raises(LicenceLimitReached):
        jira.add_user_to_group("g1", "a1")


def test_other_400_on_add_is_invalid():
    jira, _ = client(reply(400, {"errorMessages": ["Something else"]}))

    with pytest.raises(Invalid):
        jira.add_user_to_group("g1", "a1")


def test_remove_user_from_group_deletes_with_both_ids_in_the_query():
    jira, recorder = client(
        reply(200), reply(400, {"errorMessages": ["User is not a member of group eng"]})
    )

    assert jira.remove_user_from_group("g1", "a1") is True
    assert jira.remove_user_from_group("g1", "a1") is False
    assert (recorder.last.method, recorder.last.url.path) == (
        "DELETE",
        f"{API}/group/user",
    )
    assert query(recorder.last) == [("groupId", "g1"), ("accountId", "a1")]


def test_create_and_delete_group():
    jira, recorder = client(reply(201, {"name": "new", "groupId": "g9"}), reply(200))

    assert jira.create_group("new").group_id == "g9"
    assert recorder.body() == {"name": "new"}
    assert jira.delete_group("g9", swap_group_id="g1") is True
    assert (recorder.last.method, recorder.last.url.path) == ("DELETE", f"{API}/group")
    assert query(recorder.last) == [("groupId", "g9"), ("swapGroupId", "g1")]


def test_list_users_pages_the_plain_array():
    jira, recorder = client(
        reply(200, [{"accountId": "a1", "accountType": "app", "active": True}])
    )

    users = list(jira.list_users())

    assert users[0].account_type == "app"
    assert recorder.last.url.path == f"{API}/users/search"
    assert query(recorder.last) == [("startAt", "0"), ("maxResults", "100")]


def test_get_user_and_unknown_user():
    jira, recorder = client(
        reply(200, {"accountId": "a1"}), reply(404, {"errorMessages": ["no"]})
    )

    assert jira.get_user("a1").account_id == "a1"
    assert jira.get_user("a9") is None
    assert recorder.last.url.path == f"{API}/user"
    assert query(recorder.last) == [("accountId", "a9")]


def test_find_users_and_user_groups():
    jira, recorder = client(
        reply(200, [{"accountId": "a1"}]),
        reply(200, [{"name": "eng", "groupId": "g1"}]),
    )

    jira.find_users("alice")
    search = recorder.last
    groups = jira.list_user_groups("a1")

    assert search.url.path == f"{API}/user/search"
    assert query(search)[0] == ("query", "alice")
    assert groups[0].group_id == "g1"
    assert recorder.last.url.path == f"{API}/user/groups"


def test_list_projects_uses_project_search():
    jira, recorder = client(bean([PROJECT]))

    projects = list(jira.list_projects(keys=["WEB"]))

    assert projects[0].lead.account_id == "a1"
    assert recorder.last.url.path == f"{API}/project/search"
    assert query(recorder.last) == [
        ("keys", "WEB"),
        ("expand", "description,lead"),
        ("startAt", "0"),
        ("maxResults", "50"),
    ]


def test_project_create_update_delete():
    jira, recorder = client(
        reply(201, {"id": 10010, "key": "NEW", "self": "x"}),
        reply(200, PROJECT),
        reply(204),
    )

    created = jira.create_project(
        {
            "key": "NEW",
            "name": "New",
            "projectTypeKey": "software",
            "leadAccountId": "a1",
        }
    )
    jira.update_project("NEW", {"name": "Newer"})
    update = recorder.last
    jira.delete_project("NEW")

    assert created.id == "10010"
    assert recorder.body(0) == {
        "key": "NEW",
        "name": "New",
        "projectTypeKey": "software",
        "leadAccountId": "a1",
    }
    assert (update.method, update.url.path) == ("PUT", f"{API}/project/NEW")
    assert (recorder.last.method, recorder.last.url.path) == (
        "DELETE",
        f"{API}/project/NEW",
    )
    assert query(recorder.last) == [("enableUndo", "true")]


def test_get_project_by_key_reads_its_lead_and_recycle_bin_state():
    jira, recorder = client(reply(200, {**PROJECT, "deleted": True}))

    found = jira.get_project("WEB")

    assert (found.key, found.lead.account_id, found.deleted) == ("WEB", "a1", True)
    assert (recorder.last.method, recorder.last.url.path) == (
        "GET",
        f"{API}/project/WEB",
    )
    assert query(recorder.last) == []


def test_list_roles():
    jira, recorder = client(reply(200, [{"id": 10002, "name": "Developers"}]))

    assert jira.list_roles()[0].id == 10002
    assert recorder.last.url.path == f"{API}/role"


def test_project_roles_map_is_parsed_to_role_ids():
    body = {
        "Developers": "https://acme.atlassian.net/rest/api/3/project/WEB/role/10002"
    }
    jira, recorder = client(reply(200, body))

    assert jira.get_project_roles("WEB") == {"Developers": 10002}
    assert recorder.last.url.path == f"{API}/project/WEB/role"


def test_get_project_role_reads_actors():
    jira, recorder = client(reply(200, ROLE))

    role = jira.get_project_role("WEB", 10002)

    assert [a.account_id for a in role.actors] == ["a1", None]
    assert [a.group_id for a in role.actors] == [None, "g1"]
    assert recorder.last.url.path == f"{API}/project/WEB/role/10002"
    assert query(recorder.last) == [("excludeInactiveUsers", "false")]


def test_add_project_role_actor_posts_never_puts():
    jira, recorder = client(reply(200, ROLE))

    assert jira.add_project_role_actors("WEB", 10002, account_ids=["a1"]) is True
    assert (recorder.last.method, recorder.last.url.path) == (
        "POST",
        f"{API}/project/WEB/role/10002",
    )
    assert recorder.body() == {"user": ["a1"]}


def test_add_group_actor_uses_group_id():
    jira, recorder = client(reply(200, ROLE))

    jira.add_project_role_actors("WEB", 10002, group_ids=["g1"])

    assert recorder.body() == {"groupId": ["g1"]}


def test_adding_an_existing_actor_is_already_done():
    jira, _ = client(
        reply(
            400,
            {"errorMessages": ["User 'a1' is already a member of the project role."]},
        )
    )

    assert jira.add_project_role_actors("WEB", 10002, account_ids=["a1"]) is False


def test_remove_project_role_actor_deletes_with_user_query():
    jira, recorder = client(reply(204))

    assert jira.remove_project_role_actor("WEB", 10002, account_id="a1") is True
    assert (recorder.last.method, recorder.last.url.path) == (
        "DELETE",
        f"{API}/project/WEB/role/10002",
    )
    assert query(recorder.last) == [("user", "a1")]


def test_count_groups_reads_one_group():
    jira, recorder = client(
        reply(
            200,
            {"total": 12, "isLast": False, "values": [{"groupId": "g", "name": "n"}]},
        )
    )

    assert jira.count_groups() == 12
    assert query(recorder.last) == [("maxResults", "1")]
