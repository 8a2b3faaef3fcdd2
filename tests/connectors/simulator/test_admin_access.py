"""Admin roles, invites (both enabled on request), workspaces, events and the manage lifecycle."""

from __future__ import annotations

import httpx
import pytest

from connectors.simulator import Simulator, SimulatorConfig
from tests.connectors.simulator.conftest import (
    ALICE,
    API,
    BOB,
    account,
    client,
    group_id,
)


def enabled(config: SimulatorConfig) -> tuple[Simulator, httpx.Client]:
    """A demo simulator with the on-request features switched on."""
    config.org_roles_enabled = config.invite_enabled = True
    sim = Simulator(config)
    sim.seed_demo()
    return sim, client(
        sim, API, headers={"Authorization": f"Bearer {config.org_api_key}"}
    )


def jira_workspace(sim: Simulator) -> str:
    """The Jira workspace (resource) id."""
    return next(
        k
        for k, (product, _) in sim.config.workspaces.items()
        if product == "jira-software"
    )


@pytest.mark.parametrize(
    "path",
    [
        "roles/assign",
        "roles/revoke",
        "role-assignments/assign",
        "role-assignments/revoke",
    ],
)
def test_role_endpoints_are_403_until_enabled(
    sim: Simulator, admin: httpx.Client, org: str, path: str
) -> None:
    response = admin.post(
        f"{org}/users/{account(sim, ALICE)}/{path}", json={"role": "atlassian/user"}
    )

    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "FEATURE_NOT_ENABLED"


def test_invite_is_403_until_enabled(sim: Simulator, admin: httpx.Client) -> None:
    response = admin.post(
        f"/admin/v2/orgs/{sim.config.org_id}/users/invite",
        json={"emails": ["a@acme.example"]},
    )

    assert response.status_code == 403


def test_assign_product_role_grants_product_access(config: SimulatorConfig) -> None:
    sim, admin = enabled(config)
    hana = account(sim, "hana.yilmaz@acme.example")
    path = f"/admin/v1/orgs/{config.org_id}/users/{hana}/roles"
    body = {"role": "atlassian/user", "resource": jira_workspace(sim)}

    assigned = admin.post(f"{path}/assign", json=body)
    user = admin.get(
        f"/admin/v2/orgs/{config.org_id}/directories/{config.admin_directory_id}/users/{hana}"
    ).json()
    revoked = admin.post(f"{path}/revoke", json=body)

    assert (assigned.status_code, revoked.status_code) == (204, 204)
    assert "jira-software" in {p["key"] for p in user["data"]["productAccess"]}
    assert sim.state.user_by_account[hana].roles == []


@pytest.mark.parametrize(
    "body",
    [
        {"role": "atlassian/pilot", "resource": "x"},
        {"role": "atlassian/user"},
        {"role": "atlassian/user", "resource": "x", "y": 1},
    ],
)
def test_assign_role_validation(config: SimulatorConfig, body: dict[str, str]) -> None:
    sim, admin = enabled(config)

    response = admin.post(
        f"/admin/v1/orgs/{config.org_id}/users/{account(sim, ALICE)}/roles/assign",
        json=body,
    )

    assert response.status_code in (400, 404)


def test_org_admin_role_assignment(config: SimulatorConfig) -> None:
    sim, admin = enabled(config)
    path = f"/admin/v1/orgs/{config.org_id}/users/{account(sim, BOB)}/role-assignments"

    assert (
        admin.post(f"{path}/assign", json={"role": "atlassian/org-admin"}).status_code
        == 204
    )
    assert ("atlassian/org-admin", config.org_id) in sim.state.user_by_email(BOB).roles  # type: ignore[union-attr]
    assert (
        admin.post(f"{path}/revoke", json={"role": "atlassian/org-admin"}).status_code
        == 204
    )
    assert (
        admin.post(f"{path}/assign", json={"role": "atlassian/user"}).status_code == 400
    )


def test_invite_creates_accounts_with_groups(config: SimulatorConfig) -> None:
    sim, admin = enabled(config)
    body = {
        "emails": ["new.person@acme.example", ALICE],
        "permissionRules": [
            {"resource": jira_workspace(sim), "role": "atlassian/user"}
        ],
        "additionalGroups": [group_id(sim, "design")],
        "sendNotification": False,
    }

    results = admin.post(
        f"/admin/v2/orgs/{config.org_id}/users/invite", json=body
    ).json()["data"]

    assert [r["status"] for r in results] == ["INVITED", "ALREADY_MEMBER"]
    assert sim.state.is_group_member("design", results[0]["accountId"])
    assert (
        admin.post(
            f"/admin/v2/orgs/{config.org_id}/users/invite",
            json={
                "emails": ["x@acme.example"],
                "permissionRules": [{"resource": "r", "role": "atlassian/god"}],
            },
        ).status_code
        == 400
    )


def test_workspaces(sim: Simulator, admin: httpx.Client) -> None:
    body = admin.post(
        f"/admin/v2/orgs/{sim.config.org_id}/workspaces", json={"limit": 20}
    ).json()

    assert {w["attributes"]["typeKey"] for w in body["data"]} == {
        "jira-software",
        "confluence",
    }
    assert body["data"][0]["attributes"]["hostUrl"] == sim.config.site_url
    assert set(body["meta"]) == {"pageSize", "startIndex", "endIndex", "total"}


def test_every_change_is_an_event(
    sim: Simulator, admin: httpx.Client, jira: httpx.Client, org: str
) -> None:
    before = admin.get(f"{org}/events").json()["data"]
    jira.post(
        "/group/user",
        params={"groupId": group_id(sim, "design")},
        json={"accountId": account(sim, ALICE)},
    )

    after = admin.get(f"{org}/events").json()["data"]

    assert before == []
    assert after[0]["attributes"]["action"] == "user_added_to_group"
    assert {c["id"] for c in after[0]["attributes"]["context"]} == {
        group_id(sim, "design"),
        account(sim, ALICE),
    }
    assert (
        admin.get(f"{org}/events/{after[0]['id']}").json()["data"]["id"]
        == after[0]["id"]
    )


def test_events_from_and_action_filters(
    sim: Simulator, admin: httpx.Client, jira: httpx.Client, org: str
) -> None:
    jira.post("/group", json={"name": "first"})
    cut = sim.state.events[-1].time
    jira.post("/group", json={"name": "second"})
    jira.delete("/group", params={"groupname": "second"})

    since = admin.get(f"{org}/events", params={"from": cut}).json()["data"]
    deletions = admin.get(f"{org}/events", params={"action": "group_deleted"}).json()[
        "data"
    ]

    assert len(since) >= 2
    assert [e["attributes"]["action"] for e in deletions] == ["group_deleted"]
    assert admin.get(f"{org}/events", params={"from": "yesterday"}).status_code == 400
    assert admin.get(f"{org}/events/nope").status_code == 404


def test_events_page_newest_first(
    sim: Simulator, admin: httpx.Client, jira: httpx.Client, org: str
) -> None:
    for index in range(5):
        jira.post("/group", json={"name": f"g{index}"})
    seen, url, params = [], f"{org}/events", {"limit": 2}
    while url:
        body = admin.get(url, params=params).json()
        seen += [e["id"] for e in body["data"]]
        url, params = body["links"]["next"], None

    assert seen == [e.id for e in reversed(sim.state.events)]


def test_manage_lifecycle(
    sim: Simulator, admin: httpx.Client, jira: httpx.Client
) -> None:
    alice = account(sim, ALICE)
    base = f"/users/{alice}/manage"

    privileges = admin.get(base).json()
    disabled = admin.post(f"{base}/lifecycle/disable", json={"message": "left"})
    inactive = jira.get("/user", params={"accountId": alice}).json()["active"]
    enabled_ = admin.post(f"{base}/lifecycle/enable")
    scheduled = admin.post(f"{base}/lifecycle/delete")
    blocked = admin.post(f"{base}/lifecycle/enable")
    cancelled = admin.post(f"{base}/lifecycle/cancel-delete")
    not_pending = admin.post(f"{base}/lifecycle/cancel-delete")

    assert privileges["lifecycle.enablement"]["allowed"] is True
    assert (disabled.status_code, enabled_.status_code, scheduled.status_code) == (
        204,
        204,
        204,
    )
    assert inactive is False
    assert blocked.status_code == 400
    assert (cancelled.status_code, not_pending.status_code) == (204, 400)


def test_manage_external_account_is_403(sim: Simulator, admin: httpx.Client) -> None:
    victor = account(sim, "victor.hugo@northwind-partners.example")

    assert admin.get(f"/users/{victor}/manage").status_code == 403
    assert admin.get("/users/ghost/manage").status_code == 404


def test_manage_profile(sim: Simulator, admin: httpx.Client) -> None:
    base = f"/users/{account(sim, ALICE)}/manage/profile"

    changed = admin.patch(base, json={"job_title": "Staff Engineer"}).json()

    assert changed["account"]["job_title"] == "Staff Engineer"
    assert admin.patch(base, json={"shoe_size": "9"}).status_code == 400


def test_manage_profile_read(sim: Simulator, admin: httpx.Client) -> None:
    body = admin.get(f"/users/{account(sim, ALICE)}/manage/profile").json()

    assert body["account"]["email"] == ALICE
    assert body["account"]["job_title"] == "Software Engineer"


def test_events_stream_oldest_first(
    sim: Simulator, admin: httpx.Client, jira: httpx.Client, org: str
) -> None:
    for index in range(3):
        jira.post("/group", json={"name": f"s{index}"})
    seen, url, params = [], f"{org}/events-stream", {"limit": 2}
    while url:
        body = admin.get(url, params=params).json()
        seen += [e["id"] for e in body["data"]]
        url, params = body["links"]["next"], None

    assert seen == [e.id for e in sim.state.events]
    assert (
        admin.get(f"{org}/events-stream", params={"sortOrder": "sideways"}).status_code
        == 400
    )
    newest = admin.get(f"{org}/events-stream", params={"sortOrder": "desc"}).json()[
        "data"
    ]
    assert newest[0]["id"] == sim.state.events[-1].id


def test_last_active_dates(sim: Simulator, admin: httpx.Client, org: str) -> None:
    body = admin.get(
        f"{org}/directory/users/{account(sim, ALICE)}/last-active-dates"
    ).json()

    assert {p["key"] for p in body["data"]["product_access"]} == {
        "jira-software",
        "confluence",
    }
    assert {p["last_active"] for p in body["data"]["product_access"]} == {
        sim.state.user_by_email(ALICE).last_active
    }
    assert body["data"]["added_to_org"]


def test_a_user_no_product_has_seen_has_no_last_active_dates(
    sim: Simulator, admin: httpx.Client, org: str
) -> None:
    sim.state.user_by_email(ALICE).last_active = None

    body = admin.get(
        f"{org}/directory/users/{account(sim, ALICE)}/last-active-dates"
    ).json()
    listed = {u["email"]: u for u in admin.get(f"{org}/users").json()["data"]}

    assert body["data"]["product_access"] == []
    assert listed[ALICE]["last_active"] is None


def test_legacy_v1_groups_use_snake_case(
    sim: Simulator, admin: httpx.Client, org: str
) -> None:
    created = admin.post(f"{org}/directory/groups", json={"name": "legacy-team"})
    gid = created.json()["data"]["id"]
    alice = account(sim, ALICE)

    camel = admin.post(
        f"{org}/directory/groups/{gid}/memberships", json={"accountId": alice}
    )
    snake = admin.post(
        f"{org}/directory/groups/{gid}/memberships", json={"account_id": alice}
    )
    again = admin.post(
        f"{org}/directory/groups/{gid}/memberships", json={"account_id": alice}
    )
    removed = admin.delete(f"{org}/directory/groups/{gid}/memberships/{alice}")
    deleted = admin.delete(f"{org}/directory/groups/{gid}")

    assert created.status_code == 201
    assert camel.status_code == 400
    assert (
        snake.status_code,
        again.status_code,
        removed.status_code,
        deleted.status_code,
    ) == (204, 409, 204, 204)
    assert sim.state.group_by_name("legacy-team") is None
