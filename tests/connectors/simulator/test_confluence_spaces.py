"""Confluence spaces and space permissions: v2 reads, v1 writes, the documented quirks."""

from __future__ import annotations

import httpx
import pytest

from connectors.simulator import Simulator
from tests.connectors.simulator.conftest import ALICE, account, group_id


def space_id(sim: Simulator, key: str) -> int:
    """A space's numeric id."""
    return sim.state.space_by_key[key].id


def grant(
    wiki: httpx.Client, key: str, kind: str, ident: str, op: str, target: str
) -> httpx.Response:
    """v1 add-permission call."""
    body = {
        "subject": {"type": kind, "identifier": ident},
        "operation": {"key": op, "target": target},
    }
    return wiki.post(f"/rest/api/space/{key}/permission", json=body)


def test_list_spaces_with_filters(wiki: httpx.Client) -> None:
    by_keys = wiki.get("/api/v2/spaces", params={"keys": "ENG,DES"}).json()

    assert [s["key"] for s in by_keys["results"]] == ["ENG", "DES"]
    assert by_keys["_links"]["base"].endswith("/wiki")
    assert "next" not in by_keys["_links"]


def test_list_spaces_sorted_by_name_descending(wiki: httpx.Client) -> None:
    names = [
        s["name"]
        for s in wiki.get("/api/v2/spaces", params={"sort": "-name"}).json()["results"]
    ]

    assert names == sorted(names, reverse=True)


def test_list_spaces_bad_params(wiki: httpx.Client) -> None:
    assert wiki.get("/api/v2/spaces", params={"sort": "colour"}).status_code == 400
    assert (
        wiki.get("/api/v2/spaces", params={"type": "weird"}).json()["errors"][0][
            "status"
        ]
        == 400
    )


def test_get_space_v2(sim: Simulator, wiki: httpx.Client) -> None:
    body = wiki.get(
        f"/api/v2/spaces/{space_id(sim, 'ENG')}", params={"description-format": "plain"}
    ).json()

    assert body["key"] == "ENG"
    assert body["description"]["plain"]["value"] == "The Engineering space"
    assert wiki.get("/api/v2/spaces/1").json()["errors"][0]["code"] == "NOT_FOUND"


def test_permissions_v2_shape(sim: Simulator, wiki: httpx.Client) -> None:
    results = wiki.get(
        f"/api/v2/spaces/{space_id(sim, 'ENG')}/permissions", params={"limit": 250}
    ).json()["results"]

    assert all(set(r) == {"id", "principal", "operation"} for r in results)
    assert {"type": "group", "id": group_id(sim, "engineering")} in [
        r["principal"] for r in results
    ]


def test_alice_holds_nothing_in_des(sim: Simulator) -> None:
    alice = account(sim, ALICE)
    alice_groups = {
        g.group_id
        for g in sim.state.groups.values()
        if sim.state.is_member(g, sim.state.user_by_email(ALICE))
    }  # type: ignore[arg-type]

    holders = {p[1] for p in sim.state.space_permissions("DES")}

    assert alice not in holders
    assert not alice_groups & holders


def test_grant_read_then_more(sim: Simulator, wiki: httpx.Client) -> None:
    alice = account(sim, ALICE)

    read = grant(wiki, "DES", "user", alice, "read", "space")
    page = grant(wiki, "DES", "user", alice, "create", "page")

    assert read.status_code == 200
    assert set(read.json()) == {"id", "subject", "operation", "_links"}
    assert page.json()["operation"] == {"key": "create", "target": "page"}
    assert ("user", alice, "create", "page") in sim.state.space_permissions("DES")


def test_grant_without_read_is_400(sim: Simulator, wiki: httpx.Client) -> None:
    response = grant(wiki, "DES", "user", account(sim, ALICE), "create", "page")

    assert response.status_code == 400
    assert "'read' 'space'" in response.json()["message"]
    assert response.json()["statusCode"] == 400


def test_grant_twice_is_400_already_exists(sim: Simulator, wiki: httpx.Client) -> None:
    response = grant(
        wiki, "ENG", "group", group_id(sim, "engineering"), "read", "space"
    )

    assert response.status_code == 400
    assert "already exists" in response.json()["message"]


@pytest.mark.parametrize(
    ("op", "target"),
    [("read", "page"), ("administer", "page"), ("use", "space"), ("purge", "space")],
)
def test_invalid_pairs_are_400(
    sim: Simulator, wiki: httpx.Client, op: str, target: str
) -> None:
    assert (
        grant(
            wiki, "ENG", "group", group_id(sim, "engineering"), op, target
        ).status_code
        == 400
    )


def test_group_by_name_and_anonymous(wiki: httpx.Client) -> None:
    assert grant(wiki, "DES", "group", "finance", "read", "space").status_code == 200
    assert grant(wiki, "DES", "user", "anonymous", "read", "space").status_code == 200


def test_unknown_space_and_subject(wiki: httpx.Client) -> None:
    assert grant(wiki, "NOPE", "user", "x", "read", "space").status_code == 404
    assert grant(wiki, "DES", "user", "ghost", "read", "space").status_code == 400
    assert grant(wiki, "DES", "robot", "x", "read", "space").status_code == 400


def test_delete_read_removes_all_of_the_subjects_permissions(
    sim: Simulator, wiki: httpx.Client
) -> None:
    gid = group_id(sim, "design")
    read = next(
        p
        for p in sim.state.space_by_key["DES"].permissions.values()
        if p.principal_id == gid and p.key == "read"
    )

    response = wiki.delete(f"/rest/api/space/DES/permission/{read.id}")

    assert response.status_code == 204
    assert gid not in {p[1] for p in sim.state.space_permissions("DES")}


def test_last_admin_cannot_be_removed(sim: Simulator, wiki: httpx.Client) -> None:
    space = sim.state.space_by_key["DES"]
    admins = [p for p in space.permissions.values() if p.key == "administer"]

    first = wiki.delete(f"/rest/api/space/DES/permission/{admins[0].id}")
    last = wiki.delete(f"/rest/api/space/DES/permission/{admins[1].id}")

    assert first.status_code == 204
    assert last.status_code == 400
    assert "last" in last.json()["message"]


def test_delete_unknown_permission_is_404(wiki: httpx.Client) -> None:
    assert wiki.delete("/rest/api/space/DES/permission/1").status_code == 404


def test_v1_space_with_permissions(wiki: httpx.Client) -> None:
    body = wiki.get(
        "/rest/api/space/ENG", params={"expand": "permissions,description.plain"}
    ).json()

    assert body["key"] == "ENG"
    assert body["permissions"][0]["operation"] == {
        "operation": "read",
        "targetType": "space",
    }
    assert body["description"]["plain"]["value"]


def test_v1_space_list(wiki: httpx.Client) -> None:
    body = wiki.get(
        "/rest/api/space", params=[("spaceKey", "ENG"), ("spaceKey", "IT")]
    ).json()

    assert {s["key"] for s in body["results"]} == {"ENG", "IT"}
    assert set(body) == {"results", "start", "limit", "size", "_links"}


def test_v1_create_then_exists_is_400(sim: Simulator, wiki: httpx.Client) -> None:
    created = wiki.post(
        "/rest/api/space",
        json={
            "key": "NEW",
            "name": "New",
            "description": {"plain": {"value": "x", "representation": "plain"}},
        },
    )
    again = wiki.post("/rest/api/space", json={"key": "NEW", "name": "New"})

    assert created.status_code == 200
    assert again.status_code == 400
    assert (
        "user",
        sim.service_account.account_id,
        "administer",
        "space",
    ) in sim.state.space_permissions("NEW")


def test_v2_create_space(wiki: httpx.Client) -> None:
    response = wiki.post("/api/v2/spaces", json={"name": "Ops Runbooks", "key": "RUN"})

    assert response.status_code == 201
    assert response.json()["key"] == "RUN"


def test_v1_delete_is_a_long_task(sim: Simulator, wiki: httpx.Client) -> None:
    response = wiki.delete("/rest/api/space/SALES")

    assert response.status_code == 202
    status = response.json()["links"]["status"]
    first = wiki.get(status.removeprefix("/wiki")).json()
    second = wiki.get(status.removeprefix("/wiki")).json()
    assert (first["percentageComplete"], first["finished"]) == (50, False)
    assert (second["percentageComplete"], second["finished"], second["successful"]) == (
        100,
        True,
        True,
    )
    assert "SALES" not in sim.state.space_by_key
    assert wiki.get("/rest/api/longtask").json()["size"] == 1


def test_unknown_long_task_is_404(wiki: httpx.Client) -> None:
    assert wiki.get("/rest/api/longtask/nope").status_code == 404
