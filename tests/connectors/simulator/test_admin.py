"""Organizations API: orgs, managed accounts, directories, directory users, suspend/restore/remove."""

from __future__ import annotations

import httpx
import pytest

from connectors.simulator import Simulator
from tests.connectors.simulator.conftest import ALICE, BOB, account, group_id

DIRECTORY_USER_KEYS = {
    "accountId",
    "accountType",
    "status",
    "accountStatus",
    "membershipStatus",
    "addedToOrg",
    "name",
    "nickname",
    "email",
    "emailVerified",
    "claimStatus",
    "platformRoles",
    "picture",
    "avatar",
    "managementSource",
    "mfaEnabled",
    "jobTitle",
    "department",
    "organization",
    "location",
    "timeZone",
    "counts",
    "productAccess",
    "links",
    "deactivatedOn",
    "forDeletion",
}


def test_orgs(sim: Simulator, admin: httpx.Client) -> None:
    orgs = admin.get("/admin/v1/orgs").json()
    one = admin.get(f"/admin/v1/orgs/{sim.config.org_id}").json()

    assert orgs["data"][0]["id"] == sim.config.org_id
    assert orgs["links"]["next"] is None
    assert one["data"]["attributes"]["name"] == "Acme"


def test_managed_accounts_exclude_externals_and_apps(
    admin: httpx.Client, org: str
) -> None:
    body = admin.get(f"{org}/users").json()

    emails = {u["email"] for u in body["data"]}
    assert ALICE in emails
    assert not any(e.endswith(".invalid") or "northwind" in e for e in emails)
    assert body["meta"]["total"] == len(emails)
    assert set(body["data"][0]) == {
        "account_id",
        "account_type",
        "account_status",
        "name",
        "picture",
        "email",
        "access_billable",
        "last_active",
        "product_access",
        "links",
    }


def test_managed_accounts_say_when_they_were_last_active(
    sim: Simulator, admin: httpx.Client, org: str
) -> None:
    listed = {
        u["email"]: u["last_active"] for u in admin.get(f"{org}/users").json()["data"]
    }

    service = listed.pop(sim.config.admin_email)
    assert service is None  # API calls are not activity: no product page was viewed
    assert all(listed.values()) and len(set(listed.values())) > 1
    assert all(date.endswith("Z") for date in listed.values())


def test_managed_accounts_next_is_a_full_url(admin: httpx.Client, org: str) -> None:
    body = admin.get(f"{org}/users", params={"limit": 10}).json()

    assert body["links"]["next"].startswith("https://api.atlassian.com/admin/v1/orgs/")


def test_directories(sim: Simulator, admin: httpx.Client) -> None:
    body = admin.get(f"/admin/v2/orgs/{sim.config.org_id}/directories").json()

    assert body["data"][0]["directoryId"] == sim.config.admin_directory_id
    assert sim.config.admin_directory_id != sim.config.directory_id


def test_directory_users_include_externals(admin: httpx.Client, directory: str) -> None:
    body = admin.get(f"{directory}/users").json()

    claims = {u["claimStatus"] for u in body["data"]}
    assert claims == {"managed", "unmanaged"}
    assert set(body["data"][0]) == DIRECTORY_USER_KEYS


def test_unknown_directory_is_404(sim: Simulator, admin: httpx.Client) -> None:
    response = admin.get(
        f"/admin/v2/orgs/{sim.config.org_id}/directories/{sim.config.directory_id}/users"
    )

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"emailDomains": ["northwind-partners.example"]}, 2),
        ({"membershipStatus": ["suspended"]}, 3),
        ({"status": ["suspended"]}, 3),
        ({"claimStatus": "unmanaged"}, 3),
        ({"searchTerm": "carter"}, 2),
        ({"emails": [ALICE]}, 1),
    ],
)
def test_search_filters(
    admin: httpx.Client, directory: str, body: dict[str, object], expected: int
) -> None:
    assert (
        len(admin.post(f"{directory}/users/search", json=body).json()["data"])
        == expected
    )


def test_search_by_group_and_account(
    sim: Simulator, admin: httpx.Client, directory: str
) -> None:
    by_group = admin.post(
        f"{directory}/users/search", json={"groupIds": [group_id(sim, "design")]}
    ).json()
    by_account = admin.post(
        f"{directory}/users/search",
        json={"accountIds": [account(sim, BOB)], "expand": ["groups"]},
    ).json()

    assert {u["jobTitle"] for u in by_group["data"]} >= {"Head of Design"}
    assert {g["name"] for g in by_account["data"][0]["groups"]} >= {"engineering"}


def test_search_term_and_emails_are_exclusive(
    admin: httpx.Client, directory: str
) -> None:
    response = admin.post(
        f"{directory}/users/search", json={"searchTerm": "a", "emails": ["a@b"]}
    )

    assert response.status_code == 400


def test_search_rejects_unknown_fields(admin: httpx.Client, directory: str) -> None:
    assert (
        admin.post(f"{directory}/users/search", json={"colour": "red"}).status_code
        == 400
    )


def test_count(admin: httpx.Client, directory: str) -> None:
    total = admin.get(f"{directory}/users/count").json()["data"]["count"]
    suspended = admin.get(
        f"{directory}/users/count", params={"membershipStatus": "suspended"}
    ).json()

    assert total == 49  # 45 employees, 3 externals and the service account; not the app
    assert suspended["data"]["count"] == 3


def test_get_directory_user(
    sim: Simulator, admin: httpx.Client, directory: str
) -> None:
    body = admin.get(f"{directory}/users/{account(sim, ALICE)}").json()["data"]

    assert body["email"] == ALICE
    assert body["managementSource"] == "synced"
    assert {p["key"] for p in body["productAccess"]} == {"jira-software", "confluence"}
    assert admin.get(f"{directory}/users/ghost").status_code == 404


@pytest.mark.parametrize("version", ["v2", "v1"])
def test_suspend_and_restore_show_everywhere(
    sim: Simulator,
    admin: httpx.Client,
    jira: httpx.Client,
    directory: str,
    org: str,
    version: str,
) -> None:
    alice = account(sim, ALICE)
    suspend = (
        f"{directory}/users/{alice}/suspend"
        if version == "v2"
        else f"{org}/directory/users/{alice}/suspend-access"
    )
    restore = (
        f"{directory}/users/{alice}/restore"
        if version == "v2"
        else f"{org}/directory/users/{alice}/restore-access"
    )

    assert admin.post(suspend).status_code == 204
    suspended = admin.get(f"{directory}/users/{alice}").json()["data"]
    jira_active = jira.get("/user", params={"accountId": alice}).json()["active"]
    assert admin.post(restore).status_code == 204

    assert suspended["membershipStatus"] == "suspended"
    assert suspended["accountStatus"] == "inactive"
    assert jira_active is False
    assert jira.get("/user", params={"accountId": alice}).json()["active"] is True
    assert sim.state.is_group_member(
        "engineering", alice
    )  # groups come back with restore


@pytest.mark.parametrize("version", ["v2", "v1"])
def test_remove_from_directory(
    sim: Simulator, admin: httpx.Client, directory: str, org: str, version: str
) -> None:
    bob = account(sim, BOB)
    path = (
        f"{directory}/users/{bob}"
        if version == "v2"
        else f"{org}/directory/users/{bob}"
    )

    assert admin.delete(path).status_code == 204

    assert admin.get(f"{directory}/users/{bob}").status_code == 404
    assert not sim.state.is_group_member("confluence-users", bob)


def test_user_role_assignments_list(
    sim: Simulator, admin: httpx.Client, directory: str
) -> None:
    body = admin.get(f"{directory}/users/{account(sim, ALICE)}/role-assignments").json()

    assert body["data"] == []
