"""Pagination walks for every paging style: each item is seen exactly once across pages."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from connectors.simulator import Simulator, SimulatorConfig
from tests.connectors.simulator.conftest import API, SITE, client


@pytest.fixture(scope="module")
def big() -> Simulator:
    """A mid-sized generated organization (shared: these tests only read)."""
    sim = Simulator(SimulatorConfig(site_url=SITE, admin_api_url=API))
    sim.seed_large(
        users=2600, groups=120, projects=230, spaces=310, memberships_per_user=6, seed=3
    )
    return sim


@pytest.fixture(scope="module")
def clients(big: Simulator) -> Iterator[dict[str, httpx.Client]]:
    """One client per family for the big org."""
    config = big.config
    basic = (config.admin_email, config.api_token)
    made = {
        "jira": client(big, f"{SITE}/rest/api/3", auth=basic),
        "wiki": client(big, f"{SITE}/wiki", auth=basic),
        "scim": client(
            big,
            config.scim_url,
            headers={"Authorization": f"Bearer {config.directory_api_key}"},
        ),
        "admin": client(
            big, API, headers={"Authorization": f"Bearer {config.org_api_key}"}
        ),
    }
    yield made
    for c in made.values():
        c.close()


def once(items: list[str]) -> set[str]:
    """Assert no duplicates and return the set."""
    assert len(items) == len(set(items)), "an item was seen twice"
    return set(items)


def test_scim_users_start_index_walk(
    big: Simulator, clients: dict[str, httpx.Client]
) -> None:
    seen, start = [], 1
    while True:
        body = (
            clients["scim"]
            .get("/Users", params={"startIndex": start, "count": 100})
            .json()
        )
        seen += [r["id"] for r in body["Resources"]]
        start += body["itemsPerPage"]
        if start > body["totalResults"] or not body["Resources"]:
            break

    assert once(seen) == set(big.state.user_by_scim)


def test_scim_groups_walk(big: Simulator, clients: dict[str, httpx.Client]) -> None:
    seen, start = [], 1
    while True:
        body = (
            clients["scim"]
            .get("/Groups", params={"startIndex": start, "count": 1})
            .json()
        )
        if not body["Resources"]:
            break
        seen += [r["id"] for r in body["Resources"]]
        start += 1

    assert once(seen) == set(big.state.group_by_scim)


def test_jira_users_search_plain_array_walk(
    big: Simulator, clients: dict[str, httpx.Client]
) -> None:
    seen, start = [], 0
    while True:
        page = (
            clients["jira"]
            .get("/users/search", params={"startAt": start, "maxResults": 100})
            .json()
        )
        seen += [u["accountId"] for u in page]
        start += len(page)
        if len(page) < 100:
            break

    assert once(seen) == {big.state.users[s].account_id for s in big.state.site_order}


def jira_walk(c: httpx.Client, path: str, key: str, **params: object) -> list[str]:
    """Walk a Jira page bean, advancing by the items actually returned."""
    seen, start = [], 0
    while True:
        body = c.get(path, params={**params, "startAt": start}).json()
        seen += [v[key] for v in body["values"]]
        start += len(body["values"])
        if body["isLast"]:
            return seen


def test_jira_group_bulk_walk(big: Simulator, clients: dict[str, httpx.Client]) -> None:
    seen = jira_walk(clients["jira"], "/group/bulk", "groupId", maxResults=1000)

    assert once(seen) == set(big.state.group_by_id)


@pytest.mark.parametrize("inactive", ["true", "false"])
def test_jira_group_member_walk(
    big: Simulator, clients: dict[str, httpx.Client], inactive: str
) -> None:
    group = big.state.group_by_name("confluence-users")
    assert group is not None

    seen = jira_walk(
        clients["jira"],
        "/group/member",
        "accountId",
        groupId=group.group_id,
        includeInactiveUsers=inactive,
        maxResults=500,
    )

    members = [big.state.users[s] for s in group.members]
    assert once(seen) == {
        u.account_id for u in members if inactive == "true" or u.active
    }


def test_jira_page_sizes_are_capped(clients: dict[str, httpx.Client]) -> None:
    projects = clients["jira"].get("/project/search", params={"maxResults": 500}).json()
    members = (
        clients["jira"]
        .get(
            "/group/member", params={"groupname": "confluence-users", "maxResults": 500}
        )
        .json()
    )

    assert (projects["maxResults"], len(projects["values"])) == (100, 100)
    assert len(members["values"]) == 50
    assert "nextPage" in projects


def test_jira_project_search_walk(
    big: Simulator, clients: dict[str, httpx.Client]
) -> None:
    seen = jira_walk(clients["jira"], "/project/search", "key", maxResults=100)

    assert once(seen) == set(big.state.project_by_key)


def confluence_walk(
    c: httpx.Client, path: str, *, use_header: bool, **params: object
) -> list[str]:
    """Follow `_links.next` (or the Link header) until it is absent."""
    seen: list[str] = []
    url: str | None = path
    first = True
    while url:
        response = c.get(url, params=params if first else None)
        first = False
        seen += [r["id"] for r in response.json()["results"]]
        if use_header:
            link = response.headers.get("Link")
            url = link.split(">")[0].lstrip("<").removeprefix("/wiki") if link else None
        else:
            nxt = response.json()["_links"].get("next")
            url = nxt.removeprefix("/wiki") if nxt else None
    return seen


@pytest.mark.parametrize("use_header", [False, True])
def test_confluence_spaces_cursor_walk(
    big: Simulator, clients: dict[str, httpx.Client], use_header: bool
) -> None:
    seen = confluence_walk(
        clients["wiki"], "/api/v2/spaces", use_header=use_header, limit=40
    )

    assert once(seen) == {str(i) for i in big.state.spaces}


def test_confluence_spaces_sorted_walk(
    big: Simulator, clients: dict[str, httpx.Client]
) -> None:
    seen = confluence_walk(
        clients["wiki"], "/api/v2/spaces", use_header=False, limit=70, sort="-key"
    )

    assert once(seen) == {str(i) for i in big.state.spaces}


def test_confluence_limit_is_capped_at_250(clients: dict[str, httpx.Client]) -> None:
    body = clients["wiki"].get("/api/v2/spaces", params={"limit": 1000}).json()

    assert len(body["results"]) == 250
    assert len(clients["wiki"].get("/api/v2/spaces").json()["results"]) == 25


def test_confluence_permissions_walk(
    big: Simulator, clients: dict[str, httpx.Client]
) -> None:
    space = next(iter(big.state.spaces.values()))

    seen = confluence_walk(
        clients["wiki"],
        f"/api/v2/spaces/{space.id}/permissions",
        use_header=False,
        limit=2,
    )

    assert once(seen) == {str(p) for p in space.permissions}


def test_admin_v1_users_walk_by_full_url(
    big: Simulator, clients: dict[str, httpx.Client]
) -> None:
    seen, url = [], f"/admin/v1/orgs/{big.config.org_id}/users"
    while url:
        body = clients["admin"].get(url).json()
        seen += [u["account_id"] for u in body["data"]]
        url = body["links"]["next"]

    assert once(seen) == {
        big.state.users[s].account_id for s in big.state.managed_order
    }


@pytest.mark.parametrize(
    "filters",
    [{}, {"emailDomains": ["partner.example"]}, {"membershipStatus": ["suspended"]}],
)
def test_admin_v2_users_search_walk(
    big: Simulator, clients: dict[str, httpx.Client], filters: dict[str, object]
) -> None:
    path = f"/admin/v2/orgs/{big.config.org_id}/directories/{big.config.admin_directory_id}/users/search"
    seen, cursor = [], None
    while True:
        body = (
            clients["admin"]
            .post(
                path,
                json={
                    **filters,
                    "limit": 100,
                    **({"cursor": cursor} if cursor else {}),
                },
            )
            .json()
        )
        seen += [u["accountId"] for u in body["data"]]
        cursor = body["links"]["next"]
        if not cursor:
            break

    count = (
        clients["admin"]
        .get(path.removesuffix("/search") + "/count", params=filters)
        .json()["data"]["count"]
    )
    assert len(once(seen)) == count


def test_admin_v2_users_by_group_walk(
    big: Simulator, clients: dict[str, httpx.Client]
) -> None:
    group = big.state.group_by_name("team-00003")
    assert group is not None
    path = f"/admin/v2/orgs/{big.config.org_id}/directories/{big.config.admin_directory_id}/users"
    seen, cursor = [], None
    while True:
        body = (
            clients["admin"]
            .get(
                path,
                params={
                    "groupIds": group.group_id,
                    "limit": 7,
                    **({"cursor": cursor} if cursor else {}),
                },
            )
            .json()
        )
        seen += [u["accountId"] for u in body["data"]]
        cursor = body["links"]["next"]
        if not cursor:
            break

    assert once(seen) == {big.state.users[s].account_id for s in group.members}


def test_admin_v2_groups_search_walk(
    big: Simulator, clients: dict[str, httpx.Client]
) -> None:
    path = f"/admin/v2/orgs/{big.config.org_id}/directories/{big.config.admin_directory_id}/groups/search"
    seen, cursor = [], None
    while True:
        body = (
            clients["admin"]
            .post(path, json={"limit": 13, **({"cursor": cursor} if cursor else {})})
            .json()
        )
        seen += [g["id"] for g in body["data"]]
        cursor = body["links"]["next"]
        if not cursor:
            break

    assert once(seen) == set(big.state.group_by_id)


def test_foreign_cursor_is_400(
    big: Simulator, clients: dict[str, httpx.Client]
) -> None:
    path = f"/admin/v2/orgs/{big.config.org_id}/directories/{big.config.admin_directory_id}/users"

    assert clients["admin"].get(path, params={"cursor": "not-ours"}).status_code == 400
    assert (
        clients["wiki"].get("/api/v2/spaces", params={"cursor": "zzz"}).status_code
        == 400
    )


def test_active_slice_matches_a_plain_filter() -> None:
    import random

    from connectors.simulator.jira_groups import active_slice

    rng = random.Random(4)  # noqa: S311 - test data, not crypto
    members = sorted(rng.sample(range(1, 20_000), 6000))
    inactive = set(rng.sample(members, 300)) | {999_999}
    active = [s for s in members if s not in inactive]

    for start, size in [(0, 50), (17, 50), (5000, 50), (5690, 50), (6000, 50)]:
        page, total = active_slice(members, inactive, start, size)
        assert (page, total) == (active[start : start + size], len(active))
