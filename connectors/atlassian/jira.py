"""Jira Cloud platform REST API v3 client: users, groups, projects, roles and actors.

Base URL `https://{site}.atlassian.net`, Basic auth (admin email + API token). Users are
identified by accountId only. The response models are in `jira_models.py`, issue
operations in `jira_issues.py`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from connectors.atlassian.jira_models import (
    AccountRef,
    CreatedProject,
    JiraGroup,
    JiraProject,
    JiraRole,
    JiraUser,
    ProjectRoleActors,
)
from connectors.atlassian.paging import (
    get_page_bean,
    iter_page_beans,
    iter_plain_arrays,
)
from connectors.atlassian.responses import MalformedResponse, parse_model
from connectors.base import ApiFamily, Conflict, Invalid, LicenceLimitReached, NotFound

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from connectors.atlassian.http import ApiClient
    from connectors.atlassian.paging import PageBean

API = "/rest/api/3"
# Jira answers a repeated add with 400 "... is already a member ..." and a remove of an
# absent member with 400/404 "... not a member ..."; the status alone is ambiguous
# (400 is also the licence limit), so the message decides.
ALREADY_MEMBER = re.compile(
    r"already (?:a )?member|already (?:in|exists|has|added)", re.I
)
NOT_MEMBER = re.compile(
    r"not (?:a )?member|is not in|does not (?:belong|exist as)|not an actor", re.I
)


def _group_params(group_id: str, **extra: str) -> dict[str, str]:
    return {"groupId": group_id, **extra}


class JiraClient:
    """One method per Jira operation the portal needs."""

    family = ApiFamily.JIRA

    def __init__(self, api: ApiClient) -> None:
        self.api = api

    # -- groups -------------------------------------------------------------------

    # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-groups/#api-rest-api-3-group-bulk-get
    def list_groups(
        self,
        *,
        names: Iterable[str] = (),
        group_ids: Iterable[str] = (),
        workers: int = 1,
    ) -> Iterator[JiraGroup]:
        """Every group, or those with the given names or ids; `workers` pages at a
        time after the first."""
        params = [("groupName", n) for n in names] + [("groupId", g) for g in group_ids]
        return iter_page_beans(
            self.api, f"{API}/group/bulk", JiraGroup, params=params, workers=workers
        )

    # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-groups/#api-rest-api-3-group-member-get
    def list_group_members(
        self, group_id: str, *, include_inactive: bool = True
    ) -> Iterator[JiraUser]:
        """The members of a group."""
        params = _group_params(
            group_id, includeInactiveUsers=str(include_inactive).lower()
        )
        return iter_page_beans(self.api, f"{API}/group/member", JiraUser, params=params)

    # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-groups/#api-rest-api-3-group-member-get
    def get_group_members_page(
        self, group_id: str, start: int, *, include_inactive: bool = True
    ) -> PageBean[AccountRef]:
        """One page of a group's members (50 at most), from `start`: their accountIds.

        Only `accountId` is validated and kept (half the validation of a full user):
        reconciliation lists millions of memberships and needs nothing else.
        """
        params = _group_params(
            group_id, includeInactiveUsers=str(include_inactive).lower()
        )
        return get_page_bean(
            self.api, f"{API}/group/member", AccountRef, start=start, params=params
        )

    # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-groups/#api-rest-api-3-group-user-post
    def add_user_to_group(self, group_id: str, account_id: str) -> bool:
        """Add a member; False when already a member; LicenceLimitReached when full."""
        try:
            self.api.request(
                "POST",
                f"{API}/group/user",
                params=_group_params(group_id),
                json={"accountId": account_id},
                retry_unsafe=True,  # a repeat answers "already a member"
            )
        except LicenceLimitReached:
            raise
        except (Invalid, Conflict) as exc:
            if ALREADY_MEMBER.search(exc.message):
                return False
            raise
        return True

    # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-groups/#api-rest-api-3-group-user-delete
    def remove_user_from_group(self, group_id: str, account_id: str) -> bool:
        """Remove a member; False when not a member."""
        params = _group_params(group_id, accountId=account_id)
        try:
            self.api.request("DELETE", f"{API}/group/user", params=params)
        except (Invalid, NotFound) as exc:
            if NOT_MEMBER.search(exc.message):
                return False
            raise
        return True

    # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-groups/#api-rest-api-3-group-post
    def create_group(self, name: str) -> JiraGroup:
        """Create a group; Invalid (400) when the name is in use."""
        body = self.api.request("POST", f"{API}/group", json={"name": name})
        return parse_model(JiraGroup, body, family=self.family, what="group")

    # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-groups/#api-rest-api-3-group-delete
    def delete_group(self, group_id: str, *, swap_group_id: str | None = None) -> bool:
        """Delete a group; False when it was already gone."""
        params = _group_params(group_id)
        if swap_group_id:
            params["swapGroupId"] = swap_group_id
        try:
            self.api.request("DELETE", f"{API}/group", params=params)
        except NotFound:
            return False
        return True

    # -- users --------------------------------------------------------------------

    # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-users/#api-rest-api-3-users-search-get
    def list_users(self, *, workers: int = 1) -> Iterator[JiraUser]:
        """Every user Jira knows, including app, customer and inactive accounts;
        `workers` pages requested ahead at a time."""
        return iter_plain_arrays(
            self.api, f"{API}/users/search", JiraUser, max_results=100, workers=workers
        )

    # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-user-search/#api-rest-api-3-user-search-get
    def find_users(self, query: str) -> list[JiraUser]:
        """Active users whose name or email starts with `query` (first page only)."""
        params = {"query": query, "maxResults": 50}
        body = self.api.request("GET", f"{API}/user/search", params=params)
        if not isinstance(body, list):
            raise MalformedResponse(
                "Unexpected user search answer from Jira", family="jira"
            )
        return [
            parse_model(JiraUser, item, family=self.family, what="user")
            for item in body
        ]

    # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-users/#api-rest-api-3-user-get
    def get_user(self, account_id: str) -> JiraUser | None:
        """One user, or None when Jira does not know the accountId."""
        try:
            body = self.api.request(
                "GET", f"{API}/user", params={"accountId": account_id}
            )
        except NotFound:
            return None
        return parse_model(JiraUser, body, family=self.family, what="user")

    # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-users/#api-rest-api-3-user-groups-get
    def list_user_groups(self, account_id: str) -> list[JiraGroup]:
        """The groups a user is a direct member of."""
        body = self.api.request(
            "GET", f"{API}/user/groups", params={"accountId": account_id}
        )
        if not isinstance(body, list):
            raise MalformedResponse(
                "Unexpected user groups answer from Jira", family="jira"
            )
        return [
            parse_model(JiraGroup, item, family=self.family, what="group")
            for item in body
        ]

    # -- projects -----------------------------------------------------------------

    # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-projects/#api-rest-api-3-project-search-get
    def list_projects(self, *, keys: Iterable[str] = ()) -> Iterator[JiraProject]:
        """Every project (or those with the given keys), with description and lead."""
        params = [("keys", key) for key in keys] + [("expand", "description,lead")]
        return iter_page_beans(
            self.api, f"{API}/project/search", JiraProject, params=params
        )

    # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-projects/#api-rest-api-3-project-projectidorkey-get
    def get_project(self, project: str) -> JiraProject:
        """One project by id or key."""
        body = self.api.request("GET", f"{API}/project/{project}")
        return parse_model(JiraProject, body, family=self.family, what="project")

    # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-projects/#api-rest-api-3-project-post
    def create_project(self, fields: dict[str, Any]) -> CreatedProject:
        """Create a project (`key`, `name`, `projectTypeKey`, `leadAccountId`, ...)."""
        body = self.api.request("POST", f"{API}/project", json=fields)
        return parse_model(
            CreatedProject, body, family=self.family, what="created project"
        )

    # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-projects/#api-rest-api-3-project-projectidorkey-put
    def update_project(self, project: str, fields: dict[str, Any]) -> JiraProject:
        """Change name, key, description, lead, ...; omitted fields stay."""
        body = self.api.request("PUT", f"{API}/project/{project}", json=fields)
        return parse_model(JiraProject, body, family=self.family, what="project")

    # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-projects/#api-rest-api-3-project-projectidorkey-delete
    def delete_project(self, project: str, *, enable_undo: bool = True) -> bool:
        """Delete (to the recycle bin with `enable_undo`); False when already gone."""
        params = {"enableUndo": str(enable_undo).lower()}
        try:
            self.api.request("DELETE", f"{API}/project/{project}", params=params)
        except NotFound:
            return False
        return True

    # -- roles and actors ---------------------------------------------------------

    # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-project-roles/#api-rest-api-3-role-get
    def list_roles(self) -> list[JiraRole]:
        """All project roles of the site."""
        body = self.api.request("GET", f"{API}/role")
        if not isinstance(body, list):
            raise MalformedResponse("Unexpected role list from Jira", family="jira")
        return [
            parse_model(JiraRole, item, family=self.family, what="role")
            for item in body
        ]

    # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-project-roles/#api-rest-api-3-project-projectidorkey-role-get
    def get_project_roles(self, project: str) -> dict[str, int]:
        """Role name → role id for a project (the API answers a name → URL map)."""
        body = self.api.request("GET", f"{API}/project/{project}/role")
        if not isinstance(body, dict):
            raise MalformedResponse(
                "Unexpected project role map from Jira", family="jira"
            )
        roles: dict[str, int] = {}
        for name, url in body.items():
            match = re.search(r"/role/(\d+)/?$", url) if isinstance(url, str) else None
            if match is None:
                raise MalformedResponse(
                    f"Unexpected project role link for {name!r} from Jira",
                    family="jira",
                )
            roles[name] = int(match.group(1))
        return roles

    # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-project-roles/#api-rest-api-3-project-projectidorkey-role-id-get
    def get_project_role(self, project: str, role_id: int) -> ProjectRoleActors:
        """A role in a project with all its actors (inactive users included)."""
        body = self.api.request(
            "GET",
            f"{API}/project/{project}/role/{role_id}",
            params={"excludeInactiveUsers": "false"},
        )
        return parse_model(
            ProjectRoleActors, body, family=self.family, what="project role"
        )

    # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-project-role-actors/#api-rest-api-3-project-projectidorkey-role-id-post
    def add_project_role_actors(
        self,
        project: str,
        role_id: int,
        *,
        account_ids: Iterable[str] = (),
        group_ids: Iterable[str] = (),
    ) -> bool:
        """Add user or group actors (never PUT: that replaces all); False if already there."""
        payload: dict[str, list[str]] = {}
        if users := list(account_ids):
            payload["user"] = users
        if groups := list(group_ids):
            payload["groupId"] = groups
        try:
            self.api.request(
                "POST",
                f"{API}/project/{project}/role/{role_id}",
                json=payload,
                retry_unsafe=True,
            )
        except LicenceLimitReached:
            raise
        except (Invalid, Conflict) as exc:
            if ALREADY_MEMBER.search(exc.message):
                return False
            raise
        return True

    # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-project-role-actors/#api-rest-api-3-project-projectidorkey-role-id-delete
    def remove_project_role_actor(
        self,
        project: str,
        role_id: int,
        *,
        account_id: str | None = None,
        group_id: str | None = None,
    ) -> bool:
        """Remove one user or group actor; False when it was not an actor."""
        params = {"user": account_id} if account_id else {"groupId": group_id or ""}
        try:
            self.api.request(
                "DELETE", f"{API}/project/{project}/role/{role_id}", params=params
            )
        except (Invalid, NotFound) as exc:
            if NOT_MEMBER.search(exc.message):
                return False
            raise
        return True

    # -- connection check ---------------------------------------------------------

    # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-groups/#api-rest-api-3-group-bulk-get
    def count_groups(self) -> int:
        """`total` of the group list, fetching one group (needs admin, like the rest)."""
        body = self.api.request("GET", f"{API}/group/bulk", params={"maxResults": 1})
        total = body.get("total") if isinstance(body, dict) else None
        if not isinstance(total, int):
            values = body.get("values") if isinstance(body, dict) else None
            if not isinstance(values, list):
                raise MalformedResponse(
                    "Unexpected group page from Jira", family="jira"
                )
            return len(values)
        return total
