"""Organizations API v2 groups and group memberships."""

from __future__ import annotations

import httpx

from connectors.simulator import Simulator, SimulatorConfig
from tests.connectors.simulator.conftest import (
    ALICE,
    API,
    CAROL,
    account,
    client,
    group_id,
)

GROUP_KEYS = {
    "id",
    "name",
    "description",
    "directoryId",
    "managementAccess",
    "externalSynced",
    "managedBy",
    "links",
}


def test_list_groups_same_ids_as_jira(
    sim: Simulator, admin: httpx.Client, jira: httpx.Client, directory: str
) -> None:
    admin_groups = {
        g["name"]: g["id"] for g in admin.get(f"{directory}/groups").json()["data"]
    }
    jira_groups = {
        g["name"]: g["groupId"] for g in jira.get("/group/bulk").json()["values"]
    }

    assert admin_groups == jira_groups


def test_group_shape_and_synced_flag(
    sim: Simulator, admin: httpx.Client, directory: str
) -> None:
    body = admin.get(f"{directory}/groups/{group_id(sim, 'engineering')}").json()[
        "data"
    ]

    assert set(body) >= GROUP_KEYS
    assert (body["externalSynced"], body["managedBy"]) == (True, "external")
    assert body["counts"]["users"] > 0


def test_search_groups(admin: httpx.Client, directory: str) -> None:
    by_name = admin.post(
        f"{directory}/groups/search", json={"groupNames": ["design", "sales"]}
    ).json()
    by_term = admin.post(
        f"{directory}/groups/search",
        json={"searchTerm": "users", "expand": ["counts.users"]},
    ).json()

    assert {g["name"] for g in by_name["data"]} == {"design", "sales"}
    assert all("counts" in g for g in by_term["data"])
    assert admin.post(f"{directory}/groups/search", json={"nope": 1}).status_code == 400


def test_search_groups_by_account(
    sim: Simulator, admin: httpx.Client, directory: str
) -> None:
    body = admin.post(
        f"{directory}/groups/search", json={"accountIds": [account(sim, CAROL)]}
    ).json()

    assert {g["name"] for g in body["data"]} == {
        "confluence-users",
        "jira-software-users",
        "site-admins",
        "it-ops",
    }


def test_count_groups(admin: httpx.Client, directory: str) -> None:
    assert admin.get(f"{directory}/groups/count").json() == {"data": {"count": 10}}


def test_create_and_delete(sim: Simulator, admin: httpx.Client, directory: str) -> None:
    created = admin.post(
        f"{directory}/groups", json={"name": "eng-jira-users", "description": "x"}
    )
    duplicate = admin.post(f"{directory}/groups", json={"name": "eng-jira-users"})
    deleted = admin.delete(f"{directory}/groups/{created.json()['data']['id']}")

    assert created.status_code == 201
    assert duplicate.status_code == 409
    assert duplicate.json()["errors"][0]["code"] == "GROUP_ALREADY_EXISTS"
    assert deleted.status_code == 204
    assert sim.state.group_by_name("eng-jira-users") is None


def test_add_and_remove_membership(
    sim: Simulator, admin: httpx.Client, directory: str
) -> None:
    gid, alice = group_id(sim, "design"), account(sim, ALICE)

    added = admin.post(
        f"{directory}/groups/{gid}/memberships", json={"accountId": alice}
    )
    again = admin.post(
        f"{directory}/groups/{gid}/memberships", json={"accountId": alice}
    )
    removed = admin.delete(f"{directory}/groups/{gid}/memberships/{alice}")
    missing = admin.delete(f"{directory}/groups/{gid}/memberships/{alice}")

    assert added.status_code == 204
    assert (again.status_code, again.json()["errors"][0]["code"]) == (
        409,
        "ALREADY_MEMBER",
    )
    assert removed.status_code == 204
    assert (missing.status_code, missing.json()["errors"][0]["code"]) == (
        404,
        "NOT_A_MEMBER",
    )


def test_membership_body_is_camel_case(
    sim: Simulator, admin: httpx.Client, directory: str
) -> None:
    response = admin.post(
        f"{directory}/groups/{group_id(sim, 'design')}/memberships",
        json={"account_id": "x"},
    )

    assert response.status_code == 400


def test_idp_synced_group_is_read_only(
    sim: Simulator, admin: httpx.Client, directory: str
) -> None:
    gid = group_id(sim, "engineering")

    add = admin.post(
        f"{directory}/groups/{gid}/memberships", json={"accountId": account(sim, CAROL)}
    )
    delete = admin.delete(f"{directory}/groups/{gid}")

    assert add.status_code == 403
    assert add.json()["errors"][0]["code"] == "GROUP_EXTERNALLY_MANAGED"
    assert delete.status_code == 403


def test_app_account_cannot_join(
    sim: Simulator, admin: httpx.Client, directory: str
) -> None:
    app = next(u for u in sim.state.users.values() if u.account_type == "app")

    response = admin.post(
        f"{directory}/groups/{group_id(sim, 'design')}/memberships",
        json={"accountId": app.account_id},
    )

    assert response.status_code == 404


def test_licence_limit_has_its_own_code(config: SimulatorConfig) -> None:
    config.product_group_limits = {"confluence-users": 1}
    sim = Simulator(config)
    sim.seed_demo()
    admin = client(sim, API, headers={"Authorization": f"Bearer {config.org_api_key}"})
    path = (
        f"/admin/v2/orgs/{config.org_id}/directories/{config.admin_directory_id}/groups"
    )
    newcomer = next(u for u in sim.state.users.values() if u.account_type == "app")
    newcomer.account_type, newcomer.in_directory = "atlassian", True
    sim.state.set_in_directory(newcomer, member=True)

    response = admin.post(
        f"{path}/{group_id(sim, 'confluence-users')}/memberships",
        json={"accountId": newcomer.account_id},
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "LICENSE_LIMIT_EXCEEDED"


def test_group_role_assignments(
    sim: Simulator, admin: httpx.Client, directory: str
) -> None:
    gid = group_id(sim, "design")
    resource = next(iter(sim.config.workspaces))
    body = {"roleId": "atlassian/user", "resourceId": resource}

    assert (
        admin.post(
            f"{directory}/groups/{gid}/role-assignments/assign", json=body
        ).status_code
        == 204
    )
    listed = admin.get(f"{directory}/groups/{gid}/role-assignments").json()["data"]
    assert (
        admin.post(
            f"{directory}/groups/{gid}/role-assignments/revoke", json=body
        ).status_code
        == 204
    )

    assert listed == [
        {
            "roleId": "atlassian/user",
            "resourceId": resource,
            "principalId": gid,
            "principalType": "GROUP",
        }
    ]
    assert (
        admin.post(
            f"{directory}/groups/{gid}/role-assignments/assign",
            json={"roleId": "atlassian/user", "resourceId": "nope"},
        ).status_code
        == 404
    )
