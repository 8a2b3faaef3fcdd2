"""One state behind all families, deterministic seeds, and golden response shapes."""

from __future__ import annotations

import httpx

from connectors.simulator import Simulator, SimulatorConfig
from tests.connectors.simulator.conftest import ALICE, BOB, CAROL, account, group_id
from tests.connectors.simulator.test_scim_users import ATLASSIAN, patch, scim_id


def test_scim_account_id_is_known_to_jira_and_admin(
    sim: Simulator,
    scim: httpx.Client,
    jira: httpx.Client,
    admin: httpx.Client,
    directory: str,
) -> None:
    aaid = scim.get(f"/Users/{scim_id(sim, ALICE)}").json()[ATLASSIAN][
        "atlassianAccountId"
    ]

    assert jira.get("/user", params={"accountId": aaid}).json()["emailAddress"] == ALICE
    assert admin.get(f"{directory}/users/{aaid}").json()["data"]["email"] == ALICE


def test_scim_group_is_the_jira_admin_and_confluence_group(
    sim: Simulator,
    jira: httpx.Client,
    admin: httpx.Client,
    wiki: httpx.Client,
    directory: str,
) -> None:
    gid = group_id(sim, "engineering")
    space = sim.state.space_by_key["ENG"].id

    jira_names = {
        g["groupId"]: g["name"] for g in jira.get("/group/bulk").json()["values"]
    }
    admin_group = admin.get(f"{directory}/groups/{gid}").json()["data"]
    principals = [
        r["principal"]["id"]
        for r in wiki.get(f"/api/v2/spaces/{space}/permissions").json()["results"]
    ]

    assert jira_names[gid] == "engineering"
    assert admin_group["externalSynced"] is True
    assert gid in principals


def test_scim_deactivation_shows_in_jira_and_admin(
    sim: Simulator,
    scim: httpx.Client,
    jira: httpx.Client,
    admin: httpx.Client,
    directory: str,
) -> None:
    scim.patch(
        f"/Users/{scim_id(sim, BOB)}",
        json=patch({"op": "replace", "path": "active", "value": False}),
    )

    admin_user = admin.get(f"{directory}/users/{account(sim, BOB)}").json()["data"]
    managed = {
        u["account_id"]: u
        for u in admin.get(f"/admin/v1/orgs/{sim.config.org_id}/users").json()["data"]
    }

    assert (
        jira.get("/user", params={"accountId": account(sim, BOB)}).json()["active"]
        is False
    )
    assert admin_user["membershipStatus"] == "suspended"
    assert managed[account(sim, BOB)]["account_status"] == "inactive"


def test_admin_suspension_shows_in_scim(
    sim: Simulator, scim: httpx.Client, admin: httpx.Client, directory: str
) -> None:
    admin.post(f"{directory}/users/{account(sim, CAROL)}/suspend")

    assert scim.get(f"/Users/{scim_id(sim, CAROL)}").json()["active"] is False


def test_group_added_in_jira_is_listed_by_admin(
    sim: Simulator, jira: httpx.Client, admin: httpx.Client, directory: str
) -> None:
    created = jira.post("/group", json={"name": "new-team"}).json()
    jira.post(
        "/group/user",
        params={"groupId": created["groupId"]},
        json={"accountId": account(sim, ALICE)},
    )

    users = admin.post(
        f"{directory}/users/search", json={"groupIds": [created["groupId"]]}
    ).json()["data"]

    assert [u["email"] for u in users] == [ALICE]


def test_external_and_app_accounts(
    sim: Simulator, jira: httpx.Client, admin: httpx.Client, org: str
) -> None:
    everyone = jira.get("/users/search", params={"maxResults": 100}).json()
    managed = {u["account_id"] for u in admin.get(f"{org}/users").json()["data"]}

    externals = [
        u
        for u in everyone
        if u["emailAddress"] and not u["emailAddress"].endswith("@acme.example")
    ]
    apps = [u for u in everyone if u["accountType"] == "app"]
    assert len(externals) == 3
    assert len(apps) == 1
    assert not {u["accountId"] for u in externals + apps} & managed


def test_demo_cast(sim: Simulator) -> None:
    alice, bob, carol = (sim.state.user_by_email(e) for e in (ALICE, BOB, CAROL))

    assert alice is not None and bob is not None and carol is not None
    assert (alice.display_name, alice.title, alice.department) == (
        "Alice Carter",
        "Software Engineer",
        "Engineering",
    )
    assert (
        alice.scim is not None
        and bob.scim is not None
        and alice.scim.manager_id == bob.scim.scim_id
    )
    assert (bob.display_name, bob.title) == ("Bob Nguyen", "Engineering Manager")
    assert (carol.display_name, carol.title, carol.department) == (
        "Carol Admin",
        "IT Administrator",
        "IT",
    )
    assert sim.state.is_group_member("site-admins", carol.account_id)


def test_demo_sizes(sim: Simulator) -> None:
    counts = sim.dump()["counts"]
    people = [u for u in sim.state.users.values() if u.managed]

    assert 45 <= len(people) <= 55
    assert (counts["groups"], counts["projects"], counts["spaces"]) == (10, 8, 6)
    assert sum(1 for u in people if u.suspended) == 3
    assert len({u.department for u in people}) >= 8


def test_demo_is_deterministic(config: SimulatorConfig) -> None:
    first, second = Simulator(config), Simulator(config)
    first.seed_demo()
    second.seed_demo()

    assert first.dump() == second.dump()


def test_large_seed_is_deterministic_per_seed(config: SimulatorConfig) -> None:
    dumps = []
    for seed in (1, 1, 2):
        sim = Simulator(config)
        sim.seed_large(
            users=300,
            groups=20,
            projects=10,
            spaces=10,
            memberships_per_user=4,
            seed=seed,
        )
        dumps.append(sim.dump())

    assert dumps[0] == dumps[1]
    assert dumps[0] != dumps[2]
    assert dumps[0]["counts"]["users"] == 301  # plus the service account


def test_golden_error_shapes(
    sim: Simulator,
    scim: httpx.Client,
    jira: httpx.Client,
    admin: httpx.Client,
    wiki: httpx.Client,
    directory: str,
) -> None:
    scim_error = scim.post("/Users", json={"schemas": []}).json()
    admin_error = admin.get(f"{directory}/groups/nope").json()
    jira_error = jira.get("/project/NOPE").json()
    v1_error = wiki.get("/rest/api/space/NOPE").json()
    v2_error = wiki.get("/api/v2/spaces/1").json()

    assert set(scim_error) == {"schemas", "status", "scimType", "detail"}
    assert isinstance(scim_error["status"], str)
    assert set(admin_error["errors"][0]) == {"id", "status", "code", "title", "detail"}
    assert set(jira_error) == {"errorMessages", "errors", "status"}
    assert set(v1_error) == {"statusCode", "data", "message", "reason"}
    assert set(v1_error["data"]) == {
        "authorized",
        "valid",
        "allowedInReadOnlyMode",
        "errors",
        "successful",
    }
    assert set(v2_error["errors"][0]) == {"status", "code", "title", "detail"}


def test_golden_success_shapes(
    sim: Simulator, jira: httpx.Client, wiki: httpx.Client
) -> None:
    role = jira.get("/role").json()[0]
    actors = jira.get("/project/WEB/role/10002").json()["actors"]
    space = wiki.get("/api/v2/spaces", params={"keys": "ENG"}).json()["results"][0]
    bean = jira.get("/group/bulk", params={"maxResults": 2}).json()

    assert {
        "id",
        "name",
        "description",
        "self",
        "actors",
        "admin",
        "default",
        "roleConfigurable",
        "translatedName",
    } <= set(role)
    user_actor = next(a for a in actors if a["type"] == "atlassian-user-role-actor")
    group_actor = next(a for a in actors if a["type"] == "atlassian-group-role-actor")
    assert {"id", "displayName", "type", "actorUser"} <= set(user_actor)
    assert set(group_actor["actorGroup"]) == {"name", "displayName", "groupId"}
    assert set(space) == {
        "id",
        "key",
        "name",
        "type",
        "status",
        "authorId",
        "createdAt",
        "homepageId",
        "currentActiveAlias",
        "description",
        "icon",
        "_links",
    }
    assert {
        "startAt",
        "maxResults",
        "total",
        "isLast",
        "values",
        "self",
        "nextPage",
    } <= set(bean)
