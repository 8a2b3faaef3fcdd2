"""SCIM /Groups: list/filter, create, PATCH members and name, PUT, DELETE, cross-family view."""

from __future__ import annotations

import httpx
import pytest

from connectors.simulator import Simulator, SimulatorConfig
from tests.connectors.simulator.conftest import ALICE, BOB, CAROL, account, client
from tests.connectors.simulator.test_scim_users import patch, scim_id

GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


def engineering(sim: Simulator) -> str:
    """SCIM id of the IdP-synced demo group."""
    group = sim.state.group_by_name("engineering")
    assert group is not None and group.scim_id is not None
    return group.scim_id


def create(
    scim: httpx.Client, name: str, members: list[str] | None = None
) -> httpx.Response:
    """Create a SCIM group."""
    body = {
        "schemas": [GROUP],
        "displayName": name,
        "members": [{"value": m} for m in members or []],
    }
    return scim.post("/Groups", json=body)


def test_list_shows_only_directory_groups(scim: httpx.Client) -> None:
    body = scim.get("/Groups").json()

    assert [g["displayName"] for g in body["Resources"]] == ["engineering"]


def test_filter_by_display_name(scim: httpx.Client) -> None:
    body = scim.get("/Groups", params={"filter": 'displayName eq "engineering"'}).json()

    assert body["totalResults"] == 1


def test_filter_on_other_attribute_is_invalid(scim: httpx.Client) -> None:
    response = scim.get("/Groups", params={"filter": 'externalId eq "x"'})

    assert response.json()["scimType"] == "invalidFilter"


def test_members_are_scim_user_ids(sim: Simulator, scim: httpx.Client) -> None:
    body = scim.get(f"/Groups/{engineering(sim)}").json()

    assert scim_id(sim, ALICE) in {m["value"] for m in body["members"]}


def test_excluded_members(sim: Simulator, scim: httpx.Client) -> None:
    body = scim.get(
        f"/Groups/{engineering(sim)}", params={"excludedAttributes": "members"}
    ).json()

    assert "members" not in body


def test_create_is_visible_to_jira_as_the_same_group(
    sim: Simulator, scim: httpx.Client, jira: httpx.Client
) -> None:
    created = create(scim, "eng-jira-users", [scim_id(sim, ALICE)])

    assert created.status_code == 201
    group = sim.state.group_by_name("eng-jira-users")
    assert group is not None
    members = jira.get("/group/member", params={"groupId": group.group_id}).json()[
        "values"
    ]
    assert [m["accountId"] for m in members] == [account(sim, ALICE)]


def test_create_duplicate_is_409(scim: httpx.Client) -> None:
    create(scim, "dup")

    response = create(scim, "dup")

    assert response.status_code == 409
    assert response.json()["scimType"] == "uniqueness"


def test_name_clash_with_site_group_never_propagates(
    sim: Simulator, scim: httpx.Client, jira: httpx.Client
) -> None:
    response = create(scim, "confluence-users")

    assert response.status_code == 201
    names = [g["name"] for g in jira.get("/group/bulk").json()["values"]]
    assert names.count("confluence-users") == 1
    assert sim.state.events[-1].action == "group_sync_failed"


def test_create_with_unknown_member_is_400(scim: httpx.Client) -> None:
    assert create(scim, "x", ["no-such-user"]).status_code == 400


def test_patch_add_and_remove_members(sim: Simulator, scim: httpx.Client) -> None:
    group = engineering(sim)
    carol = scim_id(sim, CAROL)

    scim.patch(
        f"/Groups/{group}",
        json=patch({"op": "add", "path": "members", "value": [{"value": carol}]}),
    )
    added = sim.state.is_group_member("engineering", account(sim, CAROL))
    scim.patch(
        f"/Groups/{group}",
        json=patch({"op": "remove", "path": "members", "value": [{"value": carol}]}),
    )

    assert added
    assert not sim.state.is_group_member("engineering", account(sim, CAROL))


def test_patch_add_existing_member_is_a_no_op(
    sim: Simulator, scim: httpx.Client
) -> None:
    operation = {
        "op": "add",
        "path": "members",
        "value": [{"value": scim_id(sim, ALICE)}],
    }

    response = scim.patch(f"/Groups/{engineering(sim)}", json=patch(operation))

    assert response.status_code == 200


def test_patch_remove_with_value_filter(sim: Simulator, scim: httpx.Client) -> None:
    path = f'members[value eq "{scim_id(sim, ALICE)}"]'

    response = scim.patch(
        f"/Groups/{engineering(sim)}", json=patch({"op": "remove", "path": path})
    )

    assert response.status_code == 200
    assert not sim.state.is_group_member("engineering", account(sim, ALICE))


def test_patch_unknown_member_is_404(sim: Simulator, scim: httpx.Client) -> None:
    operation = {"op": "add", "path": "members", "value": [{"value": "ghost"}]}

    assert (
        scim.patch(f"/Groups/{engineering(sim)}", json=patch(operation)).status_code
        == 404
    )


def test_patch_replace_members(sim: Simulator, scim: httpx.Client) -> None:
    operation = {
        "op": "replace",
        "path": "members",
        "value": [{"value": scim_id(sim, BOB)}],
    }

    body = scim.patch(f"/Groups/{engineering(sim)}", json=patch(operation)).json()

    assert [m["value"] for m in body["members"]] == [scim_id(sim, BOB)]


def test_rename_is_refused_once_synced(sim: Simulator, scim: httpx.Client) -> None:
    operation = {"op": "replace", "path": "displayName", "value": "platform"}

    response = scim.patch(f"/Groups/{engineering(sim)}", json=patch(operation))

    assert response.status_code == 400
    assert response.json()["scimType"] == "mutability"


def test_rename_when_enabled_renames_everywhere(config: SimulatorConfig) -> None:
    config.scim_group_rename_enabled = True
    sim = Simulator(config)
    sim.seed_demo()
    scim = client(
        sim,
        config.scim_url,
        headers={"Authorization": f"Bearer {config.directory_api_key}"},
    )

    scim.patch(
        f"/Groups/{engineering(sim)}",
        json=patch({"op": "replace", "value": {"displayName": "platform"}}),
    )

    assert sim.state.group_by_name("platform") is not None


def test_put_replaces_members(sim: Simulator, scim: httpx.Client) -> None:
    body = {
        "schemas": [GROUP],
        "displayName": "engineering",
        "members": [{"value": scim_id(sim, ALICE)}],
    }

    replaced = scim.put(f"/Groups/{engineering(sim)}", json=body).json()

    assert [m["value"] for m in replaced["members"]] == [scim_id(sim, ALICE)]


def test_put_with_unknown_user_is_400(sim: Simulator, scim: httpx.Client) -> None:
    body = {
        "schemas": [GROUP],
        "displayName": "engineering",
        "members": [{"value": "ghost"}],
    }

    assert scim.put(f"/Groups/{engineering(sim)}", json=body).status_code == 400


def test_delete_removes_the_group_everywhere(
    sim: Simulator, scim: httpx.Client, jira: httpx.Client
) -> None:
    group_id = sim.state.group_by_name("engineering").group_id  # type: ignore[union-attr]
    ident = engineering(sim)

    assert scim.delete(f"/Groups/{ident}").status_code == 204

    assert scim.get(f"/Groups/{ident}").status_code == 404
    assert jira.get("/group/member", params={"groupId": group_id}).status_code == 404
    assert group_id not in {p[1] for p in sim.state.space_permissions("ENG")}


def test_group_body_must_be_strict(scim: httpx.Client) -> None:
    response = scim.post(
        "/Groups", json={"schemas": [GROUP], "displayName": "x", "owner": "me"}
    )

    assert response.status_code == 400


def test_licence_limit_applies_to_scim_adds(config: SimulatorConfig) -> None:
    config.product_group_limits = {"idp-product": 1}
    config.product_groups = {"idp-product": "jira-software"}
    sim = Simulator(config)
    sim.seed_demo()
    scim = client(
        sim,
        config.scim_url,
        headers={"Authorization": f"Bearer {config.directory_api_key}"},
    )

    response = create(scim, "idp-product", [scim_id(sim, ALICE), scim_id(sim, BOB)])

    assert response.status_code == 400
    assert "licence limit" in response.json()["detail"]


@pytest.mark.parametrize(
    "body", [{"Operations": []}, {"schemas": [], "Operations": [{"op": "add"}], "x": 1}]
)
def test_bad_patch_envelope(
    sim: Simulator, scim: httpx.Client, body: dict[str, object]
) -> None:
    assert scim.patch(f"/Groups/{engineering(sim)}", json=body).status_code == 400
