"""User provisioning (SCIM 2.0) API client: users and groups of one IdP directory.

Base URL `https://api.atlassian.com/scim/directory/{directoryId}`, Bearer directory key.
Only users and groups of this directory are visible here; SCIM ids are not accountIds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pydantic

from connectors.atlassian.paging import iter_scim
from connectors.atlassian.responses import Model, parse_model
from connectors.base import ApiFamily, Conflict, NotFound

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from connectors.atlassian.http import ApiClient

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ATLASSIAN_SCHEMA = "urn:scim:schemas:extension:atlassian-external:1.0"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


class ScimName(Model):
    """`name` of a SCIM user."""

    given_name: str | None = pydantic.Field(None, alias="givenName")
    family_name: str | None = pydantic.Field(None, alias="familyName")
    formatted: str | None = None


class ScimEmail(Model):
    """One entry of `emails`."""

    value: str
    type: str | None = None
    primary: bool = False


class ScimManager(Model):
    """RFC 7643 enterprise `manager`: `value` is the manager's SCIM user id."""

    value: str | None = None
    display_name: str | None = pydantic.Field(None, alias="displayName")


class ScimEnterprise(Model):
    """The enterprise extension."""

    department: str | None = None
    organization: str | None = None
    manager: ScimManager | None = None


class ScimAtlassian(Model):
    """Atlassian's read-only extension: the accountId the SCIM user maps to."""

    account_id: str | None = pydantic.Field(None, alias="atlassianAccountId")


class ScimUser(Model):
    """A user of the directory."""

    id: str
    user_name: str = pydantic.Field(alias="userName")
    external_id: str | None = pydantic.Field(None, alias="externalId")
    active: bool = True
    display_name: str | None = pydantic.Field(None, alias="displayName")
    nick_name: str | None = pydantic.Field(None, alias="nickName")
    name: ScimName | None = None
    emails: tuple[ScimEmail, ...] = ()
    title: str | None = None
    timezone: str | None = None
    preferred_language: str | None = pydantic.Field(None, alias="preferredLanguage")
    department: str | None = None
    organization: str | None = None
    enterprise: ScimEnterprise | None = pydantic.Field(None, alias=ENTERPRISE_SCHEMA)
    atlassian: ScimAtlassian | None = pydantic.Field(None, alias=ATLASSIAN_SCHEMA)

    @property
    def account_id(self) -> str | None:
        """The Atlassian accountId, once Atlassian has linked the user."""
        return self.atlassian.account_id if self.atlassian else None

    @property
    def email(self) -> str | None:
        """The primary email, else the first one."""
        primary = [e.value for e in self.emails if e.primary]
        return (primary or [e.value for e in self.emails] or [None])[0]


class ScimMember(Model):
    """One member of a SCIM group: `value` is the SCIM user id."""

    value: str
    display: str | None = None


class ScimGroup(Model):
    """A group of the directory."""

    id: str
    display_name: str = pydantic.Field(alias="displayName")
    external_id: str | None = pydantic.Field(None, alias="externalId")
    members: tuple[ScimMember, ...] = ()


class ScimListResponse(Model):
    """Only the count of a ListResponse (for the connection check)."""

    total_results: int = pydantic.Field(alias="totalResults")


def patch_body(operations: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """A PatchOp message; Atlassian's examples and RFC 7644 spell it `Operations`."""
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}


def _eq_filter(attribute: str, value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'{attribute} eq "{escaped}"'


class ScimClient:
    """One method per SCIM operation."""

    family = ApiFamily.SCIM

    def __init__(self, api: ApiClient) -> None:
        self.api = api

    # https://developer.atlassian.com/cloud/admin/user-provisioning/rest/api-group-users/#api-scim-directory-directoryid-users-get
    def list_users(
        self, *, filter: str | None = None, workers: int = 1
    ) -> Iterator[ScimUser]:
        """Every user of the directory (100 a page), or those matching `filter`;
        `workers` pages at a time after the first."""
        params = {"filter": filter} if filter else None
        return iter_scim(self.api, "/Users", ScimUser, params=params, workers=workers)

    # https://developer.atlassian.com/cloud/admin/user-provisioning/rest/api-group-users/#api-scim-directory-directoryid-users-get
    def count_users(self) -> int:
        """totalResults of the user list, fetching one user."""
        body = self.api.request("GET", "/Users", params={"startIndex": 1, "count": 1})
        return parse_model(
            ScimListResponse, body, family=self.family, what="user list"
        ).total_results

    # https://developer.atlassian.com/cloud/admin/user-provisioning/rest/api-group-users/#api-scim-directory-directoryid-users-get (filter userName eq)
    def find_user_by_user_name(self, user_name: str) -> ScimUser | None:
        """The user whose userName equals `user_name` exactly, or None."""
        return next(
            iter(self.list_users(filter=_eq_filter("userName", user_name))), None
        )

    # https://developer.atlassian.com/cloud/admin/user-provisioning/rest/api-group-users/#api-scim-directory-directoryid-users-userid-get
    def get_user(self, user_id: str) -> ScimUser:
        """One user by SCIM id; NotFound also for deleted users."""
        body = self.api.request("GET", f"/Users/{user_id}")
        return parse_model(ScimUser, body, family=self.family, what="SCIM user")

    # https://developer.atlassian.com/cloud/admin/user-provisioning/rest/api-group-users/#api-scim-directory-directoryid-users-post
    def create_user(self, payload: dict[str, Any]) -> ScimUser:
        """Create (or link to an existing managed account); Conflict (409) if it exists.

        Retried on transient errors: a repeat answers 409, which the caller links.
        """
        body = self.api.request("POST", "/Users", json=payload, retry_unsafe=True)
        return parse_model(ScimUser, body, family=self.family, what="SCIM user")

    # https://developer.atlassian.com/cloud/admin/user-provisioning/rest/api-group-users/#api-scim-directory-directoryid-users-userid-patch
    def patch_user(
        self, user_id: str, operations: Iterable[dict[str, Any]]
    ) -> ScimUser:
        """Apply PatchOp operations (replace active, displayName, ...); returns the user."""
        body = self.api.request(
            "PATCH", f"/Users/{user_id}", json=patch_body(operations), retry_unsafe=True
        )
        if body is None:  # tolerate 204 No Content
            return self.get_user(user_id)
        return parse_model(ScimUser, body, family=self.family, what="SCIM user")

    # https://developer.atlassian.com/cloud/admin/user-provisioning/rest/api-group-users/#api-scim-directory-directoryid-users-userid-delete
    def delete_user(self, user_id: str) -> bool:
        """Delete the SCIM record (irreversible; deactivates the account). False if absent."""
        try:
            self.api.request("DELETE", f"/Users/{user_id}")
        except NotFound:
            return False
        return True

    # https://developer.atlassian.com/cloud/admin/user-provisioning/rest/api-group-groups/#api-scim-directory-directoryid-groups-get
    def list_groups(self, *, filter: str | None = None) -> Iterator[ScimGroup]:
        """Every group of the directory, or those matching `filter`."""
        params = {"filter": filter} if filter else None
        return iter_scim(self.api, "/Groups", ScimGroup, params=params)

    # https://developer.atlassian.com/cloud/admin/user-provisioning/rest/api-group-groups/#api-scim-directory-directoryid-groups-get (displayName eq)
    def find_group_by_display_name(self, display_name: str) -> ScimGroup | None:
        """The group with exactly this name, or None."""
        found = self.list_groups(filter=_eq_filter("displayName", display_name))
        return next(iter(found), None)

    # https://developer.atlassian.com/cloud/admin/user-provisioning/rest/api-group-groups/#api-scim-directory-directoryid-groups-id-get
    def get_group(self, group_id: str) -> ScimGroup:
        """One group by SCIM id."""
        body = self.api.request("GET", f"/Groups/{group_id}")
        return parse_model(ScimGroup, body, family=self.family, what="SCIM group")

    # https://developer.atlassian.com/cloud/admin/user-provisioning/rest/api-group-groups/#api-scim-directory-directoryid-groups-post
    def create_group(self, display_name: str) -> ScimGroup:
        """Create an empty group; Conflict (409) when the name exists."""
        payload = {
            "schemas": [GROUP_SCHEMA],
            "displayName": display_name,
            "members": [],
        }
        body = self.api.request("POST", "/Groups", json=payload, retry_unsafe=True)
        return parse_model(ScimGroup, body, family=self.family, what="SCIM group")

    # https://developer.atlassian.com/cloud/admin/user-provisioning/rest/api-group-groups/#api-scim-directory-directoryid-groups-id-patch
    def patch_group_members(
        self, group_id: str, *, add: Iterable[str] = (), remove: Iterable[str] = ()
    ) -> None:
        """Add and remove members by SCIM user id (idempotent in SCIM)."""
        operations = []
        if added := [{"value": user_id} for user_id in add]:
            operations.append({"op": "add", "path": "members", "value": added})
        # The documented remove form carries a value list; the filtered path
        # `members[value eq "..."]` is unconfirmed, so it is not used.
        if removed := [{"value": user_id} for user_id in remove]:
            operations.append({"op": "remove", "path": "members", "value": removed})
        if operations:
            self.api.request(
                "PATCH",
                f"/Groups/{group_id}",
                json=patch_body(operations),
                retry_unsafe=True,
            )

    # https://developer.atlassian.com/cloud/admin/user-provisioning/rest/api-group-groups/#api-scim-directory-directoryid-groups-id-delete
    def delete_group(self, group_id: str) -> bool:
        """Delete the group; False if it was already gone."""
        try:
            self.api.request("DELETE", f"/Groups/{group_id}")
        except NotFound:
            return False
        return True

    def rename_group(self, group_id: str, display_name: str) -> None:
        """Refuse: Atlassian does not support renaming a group synced to the org."""
        message = (
            "Atlassian does not support renaming a SCIM group once it has synced to the "
            f"organization (group {group_id} → {display_name!r}). Rename it in the identity "
            "provider as a new group: create the new group, copy its members, delete the old one."
        )
        raise Conflict(message, family=self.family.value)
