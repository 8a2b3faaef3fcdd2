"""Jira projects, global roles and project role actors."""

from __future__ import annotations

import httpx
import pytest

from connectors.simulator import Simulator
from tests.connectors.simulator.conftest import ALICE, BOB, account, group_id

MEMBER = 10003


def test_project_search_page_bean(jira: httpx.Client) -> None:
    body = jira.get("/project/search").json()

    assert {"self", "maxResults", "startAt", "total", "isLast", "values"} <= set(body)
    assert [p["key"] for p in body["values"]] == [
        "API",
        "DATA",
        "FIN",
        "HR",
        "MKT",
        "MOB",
        "OPS",
        "WEB",
    ]


def test_project_search_filters(jira: httpx.Client) -> None:
    by_key = jira.get(
        "/project/search", params=[("keys", "WEB"), ("keys", "HR")]
    ).json()
    by_query = jira.get("/project/search", params={"query": "mobile"}).json()

    assert {p["key"] for p in by_key["values"]} == {"WEB", "HR"}
    assert [p["key"] for p in by_query["values"]] == ["MOB"]


def test_project_search_expand_lead(jira: httpx.Client) -> None:
    web = jira.get(
        "/project/search", params={"keys": "WEB", "expand": "lead,description"}
    ).json()["values"][0]

    assert web["lead"]["emailAddress"] == BOB
    assert web["description"] == "Website project"


def test_get_project_by_key_and_id(jira: httpx.Client) -> None:
    by_key = jira.get("/project/WEB").json()

    assert jira.get(f"/project/{by_key['id']}").json()["key"] == "WEB"
    assert set(by_key["roles"]) == {
        "Administrators",
        "Member",
        "Viewer",
        "Release Manager",
    }
    assert jira.get("/project/NOPE").status_code == 404


def test_create_project(sim: Simulator, jira: httpx.Client) -> None:
    response = jira.post(
        "/project",
        json={
            "key": "NEW",
            "name": "New thing",
            "projectTypeKey": "software",
            "leadAccountId": account(sim, BOB),
        },
    )

    assert response.status_code == 201
    assert set(response.json()) == {"self", "id", "key"}
    assert isinstance(response.json()["id"], int)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"key": "WEB", "name": "Other"}, "projectKey"),
        ({"key": "ZZ", "name": "Website"}, "projectName"),
        ({"key": "bad-key", "name": "X"}, "projectKey"),
    ],
)
def test_create_project_conflicts(
    jira: httpx.Client, body: dict[str, str], field: str
) -> None:
    response = jira.post("/project", json=body)

    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_update_project(jira: httpx.Client) -> None:
    body = jira.put(
        "/project/WEB", json={"name": "Website 2", "description": "New"}
    ).json()

    assert (body["name"], body["description"]) == ("Website 2", "New")
    assert jira.put("/project/WEB", json={"colour": "x"}).status_code == 400


def test_delete_goes_to_the_recycle_bin_and_restores(jira: httpx.Client) -> None:
    assert jira.delete("/project/HR").status_code == 204
    assert jira.get("/project/HR").status_code == 404
    deleted = jira.get("/project/search", params={"status": "deleted"}).json()["values"]
    assert [p["key"] for p in deleted] == ["HR"]

    assert jira.post("/project/HR/restore").status_code == 200

    assert jira.get("/project/HR").status_code == 200


def test_archive_then_delete_is_400(jira: httpx.Client) -> None:
    assert jira.post("/project/FIN/archive").status_code == 204
    assert jira.delete("/project/FIN").status_code == 400
    assert "FIN" not in [p["key"] for p in jira.get("/project/search").json()["values"]]


def test_roles_are_global(jira: httpx.Client) -> None:
    roles = jira.get("/role").json()

    assert [r["name"] for r in roles] == [
        "Administrators",
        "Member",
        "Viewer",
        "Release Manager",
    ]
    assert jira.get(f"/role/{MEMBER}").json()["name"] == "Member"
    assert jira.get("/role/1").status_code == 404


def test_project_role_map_ends_with_role_ids(jira: httpx.Client) -> None:
    roles = jira.get("/project/WEB/role").json()

    assert roles["Member"].endswith(f"/role/{MEMBER}")


def test_role_details_have_no_actors(jira: httpx.Client) -> None:
    details = jira.get("/project/WEB/roledetails").json()

    assert len(details) == 4
    assert "actors" not in details[0]


def test_role_actors_mix_users_and_groups(sim: Simulator, jira: httpx.Client) -> None:
    actors = jira.get(f"/project/WEB/role/{MEMBER}").json()["actors"]

    kinds = {a["type"] for a in actors}
    assert kinds == {"atlassian-user-role-actor", "atlassian-group-role-actor"}
    group = next(a for a in actors if a["type"] == "atlassian-group-role-actor")
    assert group["actorGroup"]["groupId"] == group_id(sim, "design")


def test_alice_is_not_a_member_of_web(sim: Simulator) -> None:
    assert account(sim, ALICE) not in sim.state.project_role_actors("WEB", "Member")


def test_add_user_actor_then_already_present(
    sim: Simulator, jira: httpx.Client
) -> None:
    alice = account(sim, ALICE)

    first = jira.post(f"/project/WEB/role/{MEMBER}", json={"user": [alice]})
    second = jira.post(f"/project/WEB/role/{MEMBER}", json={"user": [alice]})

    assert first.status_code == 200
    assert alice in {
        a.get("actorUser", {}).get("accountId") for a in first.json()["actors"]
    }
    assert second.status_code == 400
    assert "already a member of the project role" in second.json()["errorMessages"][0]


def test_add_group_actor_by_id(sim: Simulator, jira: httpx.Client) -> None:
    response = jira.post(
        f"/project/WEB/role/{MEMBER}", json={"groupId": [group_id(sim, "finance")]}
    )

    assert response.status_code == 200
    assert group_id(sim, "finance") in sim.state.project_role_groups("WEB", "Member")


@pytest.mark.parametrize(
    "body",
    [{"user": ["ghost"]}, {"groupId": ["ghost"]}, {"group": ["ghost"]}],
)
def test_add_unknown_actor_is_404(
    jira: httpx.Client, body: dict[str, list[str]]
) -> None:
    assert jira.post(f"/project/WEB/role/{MEMBER}", json=body).status_code == 404


def test_add_inactive_user_actor_is_404(sim: Simulator, jira: httpx.Client) -> None:
    mateo = account(sim, "mateo.silva@acme.example")

    assert (
        jira.post(f"/project/WEB/role/{MEMBER}", json={"user": [mateo]}).status_code
        == 404
    )


def test_group_and_group_id_are_exclusive(jira: httpx.Client) -> None:
    assert (
        jira.post(
            f"/project/WEB/role/{MEMBER}", json={"group": ["a"], "groupId": ["b"]}
        ).status_code
        == 400
    )


def test_put_replaces_all_actors(sim: Simulator, jira: httpx.Client) -> None:
    body = {
        "id": MEMBER,
        "categorisedActors": {
            "atlassian-user-role-actor": [account(sim, ALICE)],
            "atlassian-group-role-actor-id": [group_id(sim, "sales")],
        },
    }

    jira.put(f"/project/WEB/role/{MEMBER}", json=body)

    assert sim.state.project_role_actors("WEB", "Member") == {account(sim, ALICE)}
    assert sim.state.project_role_groups("WEB", "Member") == {group_id(sim, "sales")}


def test_delete_user_and_group_actors(sim: Simulator, jira: httpx.Client) -> None:
    sam = account(sim, "samuel.adeyemi@acme.example")

    by_user = jira.delete(f"/project/WEB/role/{MEMBER}", params={"user": sam})
    by_group = jira.delete(
        f"/project/WEB/role/{MEMBER}", params={"groupId": group_id(sim, "design")}
    )
    again = jira.delete(f"/project/WEB/role/{MEMBER}", params={"user": sam})

    assert (by_user.status_code, by_group.status_code, again.status_code) == (
        204,
        204,
        404,
    )
    assert sam not in sim.state.project_role_actors("WEB", "Member")


def test_exclude_inactive_users(sim: Simulator, jira: httpx.Client) -> None:
    project = sim.state.project_by_key["WEB"]
    project.users[MEMBER].add(sim.state.user_by_email("mateo.silva@acme.example").seq)  # type: ignore[union-attr]

    everyone = jira.get(f"/project/WEB/role/{MEMBER}").json()["actors"]
    active = jira.get(
        f"/project/WEB/role/{MEMBER}", params={"excludeInactiveUsers": "true"}
    ).json()["actors"]

    assert len(everyone) - len(active) == 1


def test_default_actors_seed_new_projects(sim: Simulator, jira: httpx.Client) -> None:
    bob = account(sim, BOB)

    added = jira.post(f"/role/{MEMBER}/actors", json={"user": [bob]})
    again = jira.post(f"/role/{MEMBER}/actors", json={"user": [bob]})
    jira.post("/project", json={"key": "NEW", "name": "New"})
    listed = jira.get(f"/role/{MEMBER}/actors").json()["actors"]
    removed = jira.delete(f"/role/{MEMBER}/actors", params={"user": bob})
    missing = jira.delete(f"/role/{MEMBER}/actors", params={"user": bob})

    assert added.status_code == 200
    assert again.status_code == 400
    assert [a["actorUser"]["accountId"] for a in listed] == [bob]
    assert sim.state.project_role_actors("NEW", "Member") == {bob}
    assert (removed.status_code, missing.status_code) == (200, 404)
