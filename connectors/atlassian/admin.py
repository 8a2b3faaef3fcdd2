"""Organizations (Admin) API client: org users, directories, groups, roles, workspaces.

Base URL `https://api.atlassian.com`, Bearer org API key. Lists page by cursor
(`links.next`). The response models are in `admin_models.py`; the user management API
(`/users/{accountId}/manage`, same key) is in `user_management.py`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from connectors.atlassian.admin_models import (
    AdminGroup,
    Directory,
    DirectoryUser,
    InviteResult,
    Org,
    OrgUser,
    RoleAssignment,
    Workspace,
)
from connectors.atlassian.paging import iter_admin_cursor
from connectors.atlassian.responses import parse_model
from connectors.base import (
    ApiFamily,
    Conflict,
    FeatureNotEnabled,
    Forbidden,
    Invalid,
    LicenceLimitReached,
    NotFound,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from connectors.atlassian.http import ApiClient

_NOT_ENABLED = re.compile(
    r"not (?:been )?enabled|not available|feature|early access", re.I
)
_ALREADY = re.compile(r"already", re.I)
_ABSENT = re.compile(r"not assigned|no such|does not have|not a member|not found", re.I)


class AdminClient:
    """One method per Organizations API operation, for one org."""

    family = ApiFamily.ADMIN

    def __init__(self, api: ApiClient, org_id: str) -> None:
        self.api = api
        self.org_id = org_id

    def _v1(self, rest: str) -> str:
        return f"/admin/v1/orgs/{self.org_id}{rest}"

    def _v2(self, rest: str) -> str:
        return f"/admin/v2/orgs/{self.org_id}{rest}"

    def _parse(self, model: type[Any], body: Any, what: str) -> Any:
        return parse_model(
            model, (body or {}).get("data"), family=self.family, what=what
        )

    # https://developer.atlassian.com/cloud/admin/organization/rest/api-group-orgs/#api-v1-orgs-orgid-get
    def get_org(self) -> Org:
        """The configured organization (the cheap read of the connection check)."""
        body = self.api.request("GET", self._v1(""))
        data = (body or {}).get("data") or {}
        attributes = data.get("attributes") if isinstance(data, dict) else None
        name = attributes.get("name") if isinstance(attributes, dict) else None
        return parse_model(Org, {**data, "name": name}, family=self.family, what="org")

    # https://developer.atlassian.com/cloud/admin/organization/rest/api-group-directory/#api-v2-orgs-orgid-directories-get
    def list_directories(self) -> Iterator[Directory]:
        """The org's user directories."""
        return iter_admin_cursor(self.api, "GET", self._v2("/directories"), Directory)

    # https://developer.atlassian.com/cloud/admin/organization/rest/api-group-users/#api-v1-orgs-orgid-users-get
    def list_org_users(self) -> Iterator[OrgUser]:
        """Managed accounts (verified domains) with status and last activity."""
        return iter_admin_cursor(self.api, "GET", self._v1("/users"), OrgUser)

    # https://developer.atlassian.com/cloud/admin/organization/rest/api-group-users/#api-v2-orgs-orgid-directories-directoryid-users-search-post
    def search_directory_users(
        self,
        directory_id: str,
        *,
        emails: Iterable[str] = (),
        account_ids: Iterable[str] = (),
        group_ids: Iterable[str] = (),
    ) -> Iterator[DirectoryUser]:
        """Users of a directory, filtered by emails, accountIds or groupIds."""
        body: dict[str, Any] = {}
        for key, values in (
            ("emails", emails),
            ("accountIds", account_ids),
            ("groupIds", group_ids),
        ):
            if values := list(values):
                body[key] = values
        path = self._v2(f"/directories/{directory_id}/users/search")
        return iter_admin_cursor(self.api, "POST", path, DirectoryUser, body=body)

    # https://developer.atlassian.com/cloud/admin/organization/rest/api-group-users/#api-v2-orgs-orgid-directories-directoryid-users-accountid-get
    def get_directory_user(self, directory_id: str, account_id: str) -> DirectoryUser:
        """One user of a directory."""
        body = self.api.request(
            "GET", self._v2(f"/directories/{directory_id}/users/{account_id}")
        )
        return self._parse(DirectoryUser, body, "directory user")

    # https://developer.atlassian.com/cloud/admin/organization/rest/api-group-users/#api-v2-orgs-orgid-directories-directoryid-users-accountid-suspend-post
    def suspend_user(self, directory_id: str, account_id: str) -> bool:
        """Suspend access (reversible); False when it already was suspended."""
        path = self._v2(f"/directories/{directory_id}/users/{account_id}/suspend")
        return self._post_change(path, None, already=_ALREADY)

    # https://developer.atlassian.com/cloud/admin/organization/rest/api-group-users/#api-v2-orgs-orgid-directories-directoryid-users-accountid-restore-post
    def restore_user(self, directory_id: str, account_id: str) -> bool:
        """Restore suspended access; False when it was not suspended."""
        path = self._v2(f"/directories/{directory_id}/users/{account_id}/restore")
        return self._post_change(
            path, None, already=re.compile(r"already|not suspended", re.I)
        )

    # https://developer.atlassian.com/cloud/admin/organization/rest/api-group-users/#api-v2-orgs-orgid-directories-directoryid-users-accountid-delete
    def remove_user(self, directory_id: str, account_id: str) -> bool:
        """Remove the user from the directory; False when they were not in it."""
        try:
            self.api.request(
                "DELETE", self._v2(f"/directories/{directory_id}/users/{account_id}")
            )
        except NotFound:
            return False
        return True

    # https://developer.atlassian.com/cloud/admin/organization/rest/api-group-groups/#api-v2-orgs-orgid-directories-directoryid-groups-search-post
    def search_groups(
        self,
        directory_id: str,
        *,
        group_ids: Iterable[str] = (),
        group_names: Iterable[str] = (),
    ) -> Iterator[AdminGroup]:
        """Groups of a directory, optionally by id or name."""
        body: dict[str, Any] = {}
        if ids := list(group_ids):
            body["groupIds"] = ids
        if names := list(group_names):
            body["groupNames"] = names
        path = self._v2(f"/directories/{directory_id}/groups/search")
        return iter_admin_cursor(self.api, "POST", path, AdminGroup, body=body)

    # https://developer.atlassian.com/cloud/admin/organization/rest/api-group-groups/#api-v2-orgs-orgid-directories-directoryid-groups-groupid-get
    def get_group(self, directory_id: str, group_id: str) -> AdminGroup:
        """One group with its IdP-sync flags."""
        body = self.api.request(
            "GET", self._v2(f"/directories/{directory_id}/groups/{group_id}")
        )
        return self._parse(AdminGroup, body, "group")

    # https://developer.atlassian.com/cloud/admin/organization/rest/api-group-groups/#api-v2-orgs-orgid-directories-directoryid-groups-post
    def create_group(
        self, directory_id: str, name: str, description: str = ""
    ) -> AdminGroup:
        """Create a group (not retried on 5xx: a repeat would collide on the name)."""
        payload: dict[str, Any] = {"name": name}
        if description:
            payload["description"] = description
        body = self.api.request(
            "POST", self._v2(f"/directories/{directory_id}/groups"), json=payload
        )
        data = (body or {}).get("data", body)
        return parse_model(AdminGroup, data, family=self.family, what="group")

    # https://developer.atlassian.com/cloud/admin/organization/rest/api-group-groups/#api-v2-orgs-orgid-directories-directoryid-groups-groupid-delete
    def delete_group(self, directory_id: str, group_id: str) -> bool:
        """Delete a group; False when it was already gone."""
        try:
            self.api.request(
                "DELETE", self._v2(f"/directories/{directory_id}/groups/{group_id}")
            )
        except NotFound:
            return False
        return True

    def update_group_description(self, group_id: str, description: str) -> None:
        """Refuse: the Organizations API has no operation to edit a group."""
        message = (
            f"The Organizations API cannot change a group's description (group {group_id}); "
            "edit it in admin.atlassian.com."
        )
        raise Invalid(message, family=self.family.value)

    # https://developer.atlassian.com/cloud/admin/organization/rest/api-group-groups/#api-v2-orgs-orgid-directories-directoryid-groups-groupid-memberships-post
    def add_group_member(
        self, directory_id: str, group_id: str, account_id: str
    ) -> bool:
        """Add a member; False when already a member."""
        path = self._v2(f"/directories/{directory_id}/groups/{group_id}/memberships")
        return self._post_change(path, {"accountId": account_id}, already=_ALREADY)

    # https://developer.atlassian.com/cloud/admin/organization/rest/api-group-groups/#api-v2-orgs-orgid-directories-directoryid-groups-groupid-memberships-accountid-delete
    def remove_group_member(
        self, directory_id: str, group_id: str, account_id: str
    ) -> bool:
        """Remove a member; False when not a member."""
        path = self._v2(
            f"/directories/{directory_id}/groups/{group_id}/memberships/{account_id}"
        )
        try:
            self.api.request("DELETE", path)
        except NotFound as exc:
            if _ABSENT.search(exc.message):
                return False
            raise
        return True

    # https://developer.atlassian.com/cloud/admin/organization/rest/api-group-users/#api-v2-orgs-orgid-directories-directoryid-users-accountid-role-assignments-get
    def list_user_role_assignments(
        self, directory_id: str, account_id: str
    ) -> Iterator[RoleAssignment]:
        """The roles a user holds, with their resources."""
        path = self._v2(
            f"/directories/{directory_id}/users/{account_id}/role-assignments"
        )
        return iter_admin_cursor(self.api, "GET", path, RoleAssignment)

    # https://developer.atlassian.com/cloud/admin/organization/rest/api-group-workspaces/#api-v2-orgs-orgid-workspaces-post
    def list_workspaces(self) -> Iterator[Workspace]:
        """The org's product instances (role resources)."""
        return iter_admin_cursor(
            self.api, "POST", self._v2("/workspaces"), Workspace, body={"limit": 100}
        )

    # https://developer.atlassian.com/cloud/admin/organization/rest/api-group-users/#api-v1-orgs-orgid-users-userid-roles-assign-post
    def assign_role(self, account_id: str, role: str, resource: str | None) -> bool:
        """Give a user a product role on a resource; FeatureNotEnabled when Atlassian has not enabled it."""
        return self._role_call(account_id, "assign", role, resource)

    # https://developer.atlassian.com/cloud/admin/organization/rest/api-group-users/#api-v1-orgs-orgid-users-userid-roles-revoke-post
    def revoke_role(self, account_id: str, role: str, resource: str | None) -> bool:
        """Take a product role away; False when the user did not have it."""
        return self._role_call(account_id, "revoke", role, resource)

    def _role_call(
        self, account_id: str, action: str, role: str, resource: str | None
    ) -> bool:
        # Org-level roles (org-admin) have their own endpoint and ignore the resource.
        org_level = resource is None
        suffix = "role-assignments" if org_level else "roles"
        path = self._v1(f"/users/{account_id}/{suffix}/{action}")
        payload = {"role": role} if org_level else {"role": role, "resource": resource}
        pattern = _ALREADY if action == "assign" else _ABSENT
        return self._feature_call(
            lambda: self._post_change(path, payload, already=pattern),
            what=f"{action} of the role {role}",
        )

    # https://developer.atlassian.com/cloud/admin/organization/rest/api-group-users/#api-v2-orgs-orgid-users-invite-post
    def invite_users(
        self,
        emails: Iterable[str],
        *,
        permission_rules: Iterable[tuple[str, str]] = (),
        group_ids: Iterable[str] = (),
        send_notification: bool = True,
        notification_text: str = "",
    ) -> list[InviteResult]:
        """Invite people by email with (resource, role) rules and extra groups."""
        payload: dict[str, Any] = {
            "emails": list(emails),
            "permissionRules": [
                {"resource": res, "role": role} for res, role in permission_rules
            ],
            "additionalGroups": list(group_ids),
            "sendNotification": send_notification,
        }
        if notification_text:
            payload["notificationText"] = notification_text

        def send() -> Any:
            # Inviting twice is harmless (the person is invited or already in the org).
            return self.api.request(
                "POST", self._v2("/users/invite"), json=payload, retry_unsafe=True
            )

        body = self._feature_call(send, what="invite")
        data = (body or {}).get("data") if isinstance(body, dict) else None
        items = data if isinstance(data, list) else []
        return [
            parse_model(InviteResult, item, family=self.family, what="invite result")
            for item in items
        ]

    def _post_change(
        self, path: str, payload: Any, *, already: re.Pattern[str]
    ) -> bool:
        """POST an idempotent change; False when Atlassian says it already was so."""
        try:
            self.api.request("POST", path, json=payload, retry_unsafe=True)
        except LicenceLimitReached:
            raise
        except (Invalid, Conflict) as exc:
            if already.search(exc.message):
                return False
            raise
        except NotFound as exc:
            if already is _ABSENT and _ABSENT.search(exc.message):
                return False
            raise
        return True

    def _feature_call(self, call: Callable[[], Any], *, what: str) -> Any:
        """Run a call to an endpoint Atlassian enables only on request."""
        try:
            return call()
        except FeatureNotEnabled:
            raise
        except (Forbidden, NotFound) as exc:
            if isinstance(exc, NotFound) and not _NOT_ENABLED.search(exc.message):
                raise
            message = (
                f"Atlassian refused the {what} ({exc.message}). This Organizations API "
                "endpoint is available only once Atlassian enables it for the organization: "
                "ask Atlassian support to enable it, or make the change in admin.atlassian.com."
            )
            raise FeatureNotEnabled(
                message, status=exc.status, code=exc.code, family=self.family.value
            ) from None
