"""Jira users and groups: search, get, create, delete, bulk, members, add/remove, picker."""

from __future__ import annotations

import httpx
import pytest

from connectors.simulator import Simulator, SimulatorConfig
from tests.connectors.simulator.conftest import (
    ALICE,
    BOB,
    CAROL,
    SITE,
    account,
    client,
    group_id,
)

USER_KEYS = {
    "self",
    "accountId",
    "accountType",
    "emailAddress",
    "avatarUrls",
    "displayName",
    "active",
    "timeZone",
    "locale",
    "expand",
}


def test_users_search_is_a_plain_array_including_apps_and_externals(
    jira: httpx.Client,
) -> None:
    users = jira.get("/users/search", params={"maxResults": 1000}).json()

    assert isinstance(users, list)
    assert {u["accountType"] for u in users} == {"atlassian", "app"}
    assert any(
        u["emailAddress"].endswith("northwind-partners.example")
        for u in users
        if u["emailAddress"]
    )
    assert set(users[0]) == USER_KEYS


def test_users_search_shows_suspended_as_inactive(jira: httpx.Client) -> None:
    users = jira.get("/users/search", params={"maxResults": 1000}).json()

    assert not next(u for u in users if u["displayName"] == "Mateo Silva")["active"]


def test_user_search_finds_active_users_by_prefix(jira: httpx.Client) -> None:
    found = jira.get("/user/search", params={"query": "ali"}).json()

    assert [u["emailAddress"] for u in found] == [ALICE]


def test_user_search_skips_inactive_users(jira: httpx.Client) -> None:
    assert jira.get("/user/search", params={"query": "mateo"}).json() == []


def test_user_search_needs_a_query(jira: httpx.Client) -> None:
    assert jira.get("/user/search").status_code == 400


def test_get_user_with_groups(sim: Simulator, jira: httpx.Client) -> None:
    body = jira.get(
        "/user",
        params={"accountId": account(sim, ALICE), "expand": "groups,applicationRoles"},
    ).json()

    assert {g["name"] for g in body["groups"]["items"]} == {
        "jira-software-users",
        "confluence-users",
        "engineering",
    }
    assert {r["key"] for r in body["applicationRoles"]["items"]} == {
        "jira-software",
        "confluence",
    }


def test_get_unknown_user_is_404(jira: httpx.Client) -> None:
    response = jira.get("/user", params={"accountId": "nope"})

    assert response.status_code == 404
    assert response.json()["errorMessages"]


def test_get_user_without_account_id_is_400(jira: httpx.Client) -> None:
    assert jira.get("/user").status_code == 400


def test_create_user_is_201_and_gets_default_product(
    sim: Simulator, jira: httpx.Client
) -> None:
    response = jira.post("/user", json={"emailAddress": "newbie@acme.example"})

    assert response.status_code == 201
    assert sim.state.is_group_member(
        "jira-software-users", response.json()["accountId"]
    )


def test_create_existing_user_is_201_again(sim: Simulator, jira: httpx.Client) -> None:
    response = jira.post("/user", json={"emailAddress": ALICE, "products": []})

    assert response.status_code == 201
    assert response.json()["accountId"] == account(sim, ALICE)


def test_create_user_with_unknown_product_is_400(jira: httpx.Client) -> None:
    response = jira.post(
        "/user", json={"emailAddress": "x@acme.example", "products": ["bitbucket"]}
    )

    assert response.status_code == 400


def test_create_user_rejects_unknown_fields(jira: httpx.Client) -> None:
    assert (
        jira.post(
            "/user", json={"emailAddress": "x@acme.example", "colour": "red"}
        ).status_code
        == 400
    )


def test_delete_user_removes_site_access_only(
    sim: Simulator, jira: httpx.Client
) -> None:
    alice = account(sim, ALICE)

    assert jira.delete("/user", params={"accountId": alice}).status_code == 204

    assert alice not in {
        u["accountId"]
        for u in jira.get("/users/search", params={"maxResults": 1000}).json()
    }
    assert sim.state.user_by_email(ALICE) is not None
    assert not sim.state.is_group_member("jira-software-users", alice)


def test_user_bulk(sim: Simulator, jira: httpx.Client) -> None:
    body = jira.get(
        "/user/bulk",
        params=[("accountId", account(sim, ALICE)), ("accountId", account(sim, BOB))],
    ).json()

    assert body["total"] == 2
    assert {u["emailAddress"] for u in body["values"]} == {ALICE, BOB}


def test_user_groups(sim: Simulator, jira: httpx.Client) -> None:
    groups = jira.get("/user/groups", params={"accountId": account(sim, CAROL)}).json()

    assert {g["name"] for g in groups} >= {"site-admins", "it-ops"}
    assert set(groups[0]) == {"name", "groupId", "self"}


def test_group_bulk_filters(sim: Simulator, jira: httpx.Client) -> None:
    body = jira.get(
        "/group/bulk",
        params=[("groupName", "design"), ("groupId", group_id(sim, "finance"))],
    ).json()

    assert {g["name"] for g in body["values"]} == {"design", "finance"}


def test_group_members_hide_inactive_by_default(
    sim: Simulator, jira: httpx.Client
) -> None:
    gid = group_id(sim, "confluence-users")

    active = jira.get("/group/member", params={"groupId": gid, "maxResults": 50}).json()
    everyone = jira.get(
        "/group/member", params={"groupId": gid, "includeInactiveUsers": "true"}
    ).json()

    assert (
        everyone["total"] - active["total"] == 3
    )  # Mateo, Mia and Kwame are suspended
    assert all(u["active"] for u in active["values"])


def test_group_member_by_name_and_both_is_400(
    sim: Simulator, jira: httpx.Client
) -> None:
    assert jira.get("/group/member", params={"groupname": "design"}).status_code == 200
    both = jira.get(
        "/group/member",
        params={"groupname": "design", "groupId": group_id(sim, "design")},
    )
    assert both.status_code == 400


def test_create_group_201_and_400_when_taken(jira: httpx.Client) -> None:
    created = jira.post("/group", json={"name": "eng-jira-users"})
    again = jira.post("/group", json={"name": "ENG-JIRA-USERS"})

    assert created.status_code == 201
    assert set(created.json()) == {"name", "groupId", "self", "users", "expand"}
    assert again.status_code == 400


def test_delete_group(sim: Simulator, jira: httpx.Client) -> None:
    response = jira.delete("/group", params={"groupId": group_id(sim, "design")})

    assert response.status_code == 200
    assert sim.state.group_by_name("design") is None


def test_add_user_to_group_then_already_member(
    sim: Simulator, jira: httpx.Client
) -> None:
    gid, alice = group_id(sim, "design"), account(sim, ALICE)

    first = jira.post("/group/user", params={"groupId": gid}, json={"accountId": alice})
    second = jira.post(
        "/group/user", params={"groupId": gid}, json={"accountId": alice}
    )

    assert first.status_code == 201
    assert second.status_code == 400
    assert "is already a member of" in second.json()["errorMessages"][0]


def test_remove_user_then_not_a_member(sim: Simulator, jira: httpx.Client) -> None:
    gid, alice = group_id(sim, "confluence-users"), account(sim, ALICE)

    first = jira.delete("/group/user", params={"groupId": gid, "accountId": alice})
    second = jira.delete("/group/user", params={"groupId": gid, "accountId": alice})

    assert first.status_code == 200
    assert second.status_code == 400
    assert "is not a member of" in second.json()["errorMessages"][0]


@pytest.mark.parametrize("method", ["add", "remove", "delete"])
def test_idp_synced_group_is_read_only(
    sim: Simulator, jira: httpx.Client, method: str
) -> None:
    gid, bob = group_id(sim, "engineering"), account(sim, CAROL)
    if method == "add":
        response = jira.post(
            "/group/user", params={"groupId": gid}, json={"accountId": bob}
        )
    elif method == "remove":
        response = jira.delete(
            "/group/user", params={"groupId": gid, "accountId": account(sim, ALICE)}
        )
    else:
        response = jira.delete("/group", params={"groupId": gid})

    assert response.status_code == 400
    assert "external identity provider" in response.json()["errorMessages"][0]


def test_licence_limit_is_distinct_from_already_member(config: SimulatorConfig) -> None:
    config.product_group_limits = {"jira-software-users": 1}
    sim = Simulator(config)
    sim.seed_demo()
    jira = client(
        sim, f"{SITE}/rest/api/3", auth=(config.admin_email, config.api_token)
    )

    response = jira.post(
        "/group/user",
        params={"groupname": "jira-software-users"},
        json={"accountId": account(sim, "nina.petrova@acme.example")},
    )

    assert response.status_code == 400
    message = response.json()["errorMessages"][0]
    assert "license limit" in message
    assert "already a member" not in message


def test_groups_picker(jira: httpx.Client) -> None:
    body = jira.get("/groups/picker", params={"query": "users"}).json()

    assert {g["name"] for g in body["groups"]} == {
        "jira-software-users",
        "confluence-users",
    }
    assert body["total"] == 2
    assert body["header"] == "Showing 2 of 2 matching groups"


def test_myself_is_the_service_account(sim: Simulator, jira: httpx.Client) -> None:
    assert jira.get("/myself").json()["emailAddress"] == sim.config.admin_email


def test_mypermissions(jira: httpx.Client) -> None:
    body = jira.get(
        "/mypermissions",
        params={
            "projectKey": "WEB",
            "permissions": "ADMINISTER_PROJECTS,BROWSE_PROJECTS",
        },
    )

    assert body.json()["permissions"]["ADMINISTER_PROJECTS"]["havePermission"] is True
    assert jira.get("/mypermissions").status_code == 400
    assert jira.get("/mypermissions", params={"permissions": "FLY"}).status_code == 400
    assert (
        jira.get(
            "/mypermissions", params={"projectKey": "NOPE", "permissions": "ADMINISTER"}
        ).status_code
        == 404
    )


def test_product_group_brings_a_removed_user_back_to_the_site(
    sim: Simulator, jira: httpx.Client
) -> None:
    alice = account(sim, ALICE)
    jira.delete("/user", params={"accountId": alice})

    jira.post(
        "/group/user",
        params={"groupname": "jira-software-users"},
        json={"accountId": alice},
    )

    everyone = {
        u["accountId"]
        for u in jira.get("/users/search", params={"maxResults": 1000}).json()
    }
    assert alice in everyone
