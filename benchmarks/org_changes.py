"""An hour's changes to the simulated organization, made over its own HTTP APIs.

What an identity provider and an admin do between two reconciliations: the IdP (SCIM)
updates the title and department of some users, deactivates a few, creates a few and
puts them in a synced group, moves members of synced groups and pushes a new group;
an admin gives the new users Confluence (its product group), moves members of other
groups (Jira), removes users the IdP does not provision from the directory (Admin
API), adds a project role actor (Jira) and grants a space permission (Confluence).
The simulator records these calls in its org audit log as it records any call.
`Expected` says what the catalog must show once an incremental run has read them,
keyed as the catalog keys them (account ids, group names, external ids).
"""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

SCIM_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
SCIM_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ATLASSIAN = "urn:scim:schemas:extension:atlassian-external:1.0"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
PRODUCT_GROUPS = ("confluence-users", "jira-software-users")
DEPARTMENT = "Platform"
NEW_GROUP = "new-team-from-idp"

Json = dict[str, Any]


@dataclass
class Expected:
    """What the catalog must say after the changes (pairs are [name or id, accountId])."""

    titles: dict[str, list[str]] = field(default_factory=dict)  # id: [title, dept]
    deactivated: list[str] = field(default_factory=list)
    created: dict[str, str] = field(default_factory=dict)  # accountId: email
    left_directory: list[str] = field(default_factory=list)
    members_added: list[list[str]] = field(default_factory=list)  # [group, account]
    members_removed: list[list[str]] = field(default_factory=list)
    groups_created: list[str] = field(default_factory=list)
    holders_added: list[list[str]] = field(default_factory=list)  # [external id, id]

    def to_json(self) -> Json:
        """Plain data for the reconciling process."""
        return asdict(self)

    def summary(self) -> str:
        """One line: how many changes of each kind were made."""
        return (
            f"{len(self.titles)} users updated (title, department), "
            f"{len(self.deactivated)} deactivated, {len(self.created)} created, "
            f"{len(self.left_directory)} removed from the directory; memberships "
            f"{len(self.members_added)} added, {len(self.members_removed)} removed; "
            f"{len(self.groups_created)} group created; {len(self.holders_added)} "
            "project role actor and space permissions granted"
        )


@dataclass(frozen=True)
class Sizes:
    """How many accounts the feed will name, by change, and memberships moved."""

    updated: int
    deactivated: int
    created: int
    left: int
    memberships: int  # added, and as many removed

    @classmethod
    def for_users(cls, users: int, fraction: float) -> Sizes:
        """`fraction` of the users changed: mostly updated, a tenth each (de)activated."""
        named = max(8, round(users * fraction))
        deactivated, created, left = named // 10, named // 10, max(1, named // 50)
        updated = named - deactivated - created - left
        return cls(updated, deactivated, created, left, max(4, named // 5))


class Organization:
    """The simulator's APIs with the credentials of an IdP (SCIM) and an admin."""

    def __init__(self, url: str, credentials: dict[str, str]) -> None:
        def bearer(key: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {credentials[key]}"}

        directory, org = (
            credentials["ATLASSIAN_DIRECTORY_ID"],
            credentials["ATLASSIAN_ORG_ID"],
        )
        scim, admin = f"{url}/scim/directory/{directory}", f"{url}/admin/v2/orgs/{org}"
        auth = (
            credentials["ATLASSIAN_ADMIN_EMAIL"],
            credentials["ATLASSIAN_API_TOKEN"],
        )
        self.clients = {
            "scim": httpx.Client(base_url=scim, headers=bearer("ATLASSIAN_DIRECTORY_API_KEY"), timeout=60),
            "admin": httpx.Client(base_url=admin, headers=bearer("ATLASSIAN_ORG_API_KEY"), timeout=60),
            "site": httpx.Client(base_url=url, auth=auth, timeout=60),
        }  # fmt: skip

    def close(self) -> None:
        """Close the clients."""
        for client in self.clients.values():
            client.close()

    def call(self, family: str, method: str, path: str, **kwargs: Any) -> Any:
        """One call's JSON (None when empty); a failure stops the benchmark."""
        response = self.clients[family].request(method, path, **kwargs)
        if not response.is_success:
            raise RuntimeError(
                f"{method} {path}: {response.status_code} {response.text}"
            )
        return response.json() if response.content else None

    def is_done(self, family: str, method: str, path: str, **kwargs: Any) -> bool:
        """A write that may answer 400 "already a member": True when it changed something."""
        response = self.clients[family].request(method, path, **kwargs)
        if response.status_code != 400:
            response.raise_for_status()
        return response.is_success

    def patch(self, kind: str, scim_id: str, *operations: Json) -> None:
        """A SCIM PATCH of a user or a group."""
        body = {"schemas": [PATCH_OP], "Operations": list(operations)}
        self.call("scim", "PATCH", f"/{kind}/{scim_id}", json=body)


def make_changes(
    url: str, credentials: dict[str, str], users: int, fraction: float, concurrency: int
) -> Expected:
    """Apply the batch for an organization of `users`; what the catalog must then say."""
    organization = Organization(url, credentials)
    try:
        changes = Changes(organization, Sizes.for_users(users, fraction), concurrency)
        changes.update_profiles()
        changes.create_users()
        changes.move_synced_members()
        changes.move_site_members()
        changes.remove_from_directory()
        changes.add_holders()
    finally:
        organization.close()
    return changes.expected


class Changes:
    """The batch, made change by change on users sampled from the IdP's own records."""

    def __init__(
        self, organization: Organization, sizes: Sizes, concurrency: int
    ) -> None:
        self.organization, self.sizes, self.concurrency = (
            organization,
            sizes,
            concurrency,
        )
        self.rng = random.Random(20260101)  # the same batch every run
        self.expected = Expected()
        wanted = sizes.updated + sizes.deactivated + 4 * sizes.memberships + 10
        self.pool = self.sample_scim_users(pages=wanted // 80 + 1)
        self.domain = self.pool[0]["userName"].rpartition("@")[2]
        self.synced = organization.call(
            "scim",
            "GET",
            "/Groups",
            params={"count": 100, "excludedAttributes": "members"},
        )["Resources"]

    def sample_scim_users(self, pages: int) -> list[Json]:
        """Active users of random SCIM pages of 100, shuffled."""
        total = self.organization.call("scim", "GET", "/Users", params={"count": 0})
        starts = range(1, total["totalResults"] + 1, 100)
        found: list[Json] = []
        for start in sorted(self.rng.sample(starts, min(pages, len(starts)))):
            params = {"startIndex": start, "count": 100}
            found += self.organization.call("scim", "GET", "/Users", params=params)[
                "Resources"
            ]
        found = [u for u in found if u["active"]]
        self.rng.shuffle(found)
        return found

    def take(self, count: int) -> list[Json]:
        """The next `count` sampled users: each change names users of its own."""
        if count > len(self.pool):
            raise RuntimeError(f"Only {len(self.pool)} sampled users left for {count}")
        taken, self.pool = self.pool[:count], self.pool[count:]
        return taken

    def in_parallel(self, work: Callable[[Any], None], items: Iterable[Any]) -> None:
        """Calls one per item, `concurrency` at a time (an IdP pushes in parallel too)."""
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            list(pool.map(work, items))

    def update_profiles(self) -> None:
        """The IdP pushes new titles and departments, and deactivates a few users."""

        def update(user: Json) -> None:
            title = f"{user.get('title') or 'Engineer'} II"
            self.organization.patch(
                "Users", user["id"],
                {"op": "replace", "path": "title", "value": title},
                {"op": "replace", "path": f"{ENTERPRISE}:department", "value": DEPARTMENT},
            )  # fmt: skip
            self.expected.titles[account_of(user)] = [title, DEPARTMENT]

        def deactivate(user: Json) -> None:
            operation = {"op": "replace", "path": "active", "value": False}
            self.organization.patch("Users", user["id"], operation)
            self.expected.deactivated.append(account_of(user))

        self.in_parallel(update, self.take(self.sizes.updated))
        self.in_parallel(deactivate, self.take(self.sizes.deactivated))

    def create_users(self) -> None:
        """The IdP creates users in a synced group; an admin gives them Confluence."""
        synced = self.synced[0]

        def create(number: int) -> None:
            email = f"new.hire.{number}@{self.domain}"
            body = {
                "schemas": [SCIM_USER, ENTERPRISE], "userName": email, "active": True,
                "emails": [{"value": email, "type": "work", "primary": True}],
                "name": {"givenName": "New", "familyName": f"Hire {number}"},
                "displayName": f"New Hire {number}", "title": "Engineer",
                ENTERPRISE: {"department": DEPARTMENT},
            }  # fmt: skip
            user = self.organization.call("scim", "POST", "/Users", json=body)
            member = {"op": "add", "path": "members", "value": [{"value": user["id"]}]}
            self.organization.patch("Groups", synced["id"], member)
            self.add_to_site_group({"name": PRODUCT_GROUPS[0]}, account_of(user))
            self.expected.created[account_of(user)] = email
            self.expected.members_added.append(
                [synced["displayName"], account_of(user)]
            )

        self.in_parallel(create, range(self.sizes.created))

    def add_to_site_group(self, group: Json, account_id: str) -> None:
        """An admin adds a member in Jira (unless it already is one)."""
        where = (
            {"groupId": group["groupId"]}
            if "groupId" in group
            else {"groupname": group["name"]}
        )
        body = {"accountId": account_id}
        if self.organization.is_done(
            "site", "POST", "/rest/api/3/group/user", params=where, json=body
        ):
            self.expected.members_added.append([group["name"], account_id])

    def move_synced_members(self) -> None:
        """The IdP adds members to some synced groups, removes others, pushes a new group."""
        count = self.sizes.memberships // 2
        targets = self.rng.sample(
            self.synced, min(len(self.synced), max(2, count // 5))
        )
        for user in self.take(count):
            mine = {g["value"] for g in user.get("groups", [])}
            group = self.rng.choice(
                [g for g in targets if g["id"] not in mine] or targets
            )
            member = {"op": "add", "path": "members", "value": [{"value": user["id"]}]}
            self.organization.patch("Groups", group["id"], member)
            self.expected.members_added.append([group["displayName"], account_of(user)])
        members = [u for u in self.pool if u.get("groups")][:count]
        if len(members) < count:
            raise RuntimeError(
                f"Only {len(members)} sampled users are in a synced group"
            )
        for user in members:
            self.pool.remove(user)
            group = self.rng.choice(user["groups"])
            leave = {"op": "remove", "path": f'members[value eq "{user["id"]}"]'}
            self.organization.patch("Groups", group["value"], leave)
            self.expected.members_removed.append([group["display"], account_of(user)])
        team = self.take(5)
        body = {
            "schemas": [SCIM_GROUP],
            "displayName": NEW_GROUP,
            "members": [{"value": u["id"]} for u in team],
        }
        self.organization.call("scim", "POST", "/Groups", json=body)
        self.expected.groups_created.append(NEW_GROUP)
        self.expected.members_added += [[NEW_GROUP, account_of(u)] for u in team]

    def move_site_members(self) -> None:
        """An admin adds members to some other groups of the site and removes others."""
        count = self.sizes.memberships - self.sizes.memberships // 2
        skip = {g["displayName"] for g in self.synced} | set(PRODUCT_GROUPS)
        params = {"startAt": self.rng.randrange(0, 50), "maxResults": 50}
        page = self.organization.call(
            "site", "GET", "/rest/api/3/group/bulk", params=params
        )
        groups = [g for g in page["values"] if g["name"] not in skip]
        targets = self.rng.sample(groups, min(len(groups), max(2, count // 5)))
        for number in range(count):
            group = targets[number % len(targets)]
            params = {
                "groupId": group["groupId"],
                "startAt": number // len(targets),
                "maxResults": 1,
            }
            members = self.organization.call(
                "site", "GET", "/rest/api/3/group/member", params=params
            )
            account_id = members["values"][0]["accountId"]
            params = {"groupId": group["groupId"], "accountId": account_id}
            self.organization.call(
                "site", "DELETE", "/rest/api/3/group/user", params=params
            )
            self.expected.members_removed.append([group["name"], account_id])
        for user in self.take(count):
            self.add_to_site_group(self.rng.choice(targets), account_of(user))

    def remove_from_directory(self) -> None:
        """An admin removes users the IdP does not provision from the directory."""
        directories = self.organization.call("admin", "GET", "/directories")["data"]
        params = {"startAt": self.rng.randrange(0, 1000), "maxResults": 500}
        users = self.organization.call(
            "site", "GET", "/rest/api/3/users/search", params=params
        )
        left = self.expected.left_directory
        for user in users:
            email = user.get("emailAddress") or ""
            if len(left) == self.sizes.left:
                return
            if not user["active"] or not email.endswith(f"@{self.domain}"):
                continue
            lookup = {"filter": f'userName eq "{email}"', "count": 1}
            if self.organization.call("scim", "GET", "/Users", params=lookup)[
                "totalResults"
            ]:
                continue  # provisioned: the IdP would deactivate it instead
            path = f"/directories/{directories[0]['directoryId']}/users/{user['accountId']}"
            self.organization.call("admin", "DELETE", path)
            left.append(user["accountId"])
        raise RuntimeError(
            f"Only {len(left)} users could be removed from the directory"
        )

    def add_holders(self) -> None:
        """An admin adds a project role actor and grants a user a space permission."""
        params = {"startAt": self.rng.randrange(0, 50), "maxResults": 1}
        project = self.organization.call(
            "site", "GET", "/rest/api/3/project/search", params=params
        )["values"][0]
        roles = self.organization.call(
            "site", "GET", f"/rest/api/3/project/{project['key']}/role"
        )
        role_id = min(url.rsplit("/", 1)[1] for url in roles.values())
        actor = account_of(self.take(1)[0])
        path = f"/rest/api/3/project/{project['key']}/role/{role_id}"
        self.organization.call("site", "POST", path, json={"user": [actor]})
        self.expected.holders_added.append([f"{project['id']}:{role_id}", actor])
        spaces = self.organization.call(
            "site", "GET", "/wiki/api/v2/spaces", params={"limit": 50}
        )["results"]
        space, holder = self.rng.choice(spaces), account_of(self.take(1)[0])
        for key, target in (("read", "space"), ("create", "page")):
            body = {
                "subject": {"type": "user", "identifier": holder},
                "operation": {"key": key, "target": target},
            }
            path = f"/wiki/rest/api/space/{space['key']}/permission"
            self.organization.call("site", "POST", path, json=body)
            self.expected.holders_added.append(
                [f"{space['id']}:{key}:{target}", holder]
            )


def account_of(user: Json) -> str:
    """The Atlassian accountId of a SCIM user."""
    return user[ATLASSIAN]["atlassianAccountId"]
