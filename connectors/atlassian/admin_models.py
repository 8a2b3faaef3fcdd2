"""Response models of the Organizations (Admin) API: org, users, groups, workspaces.

Also directories, role assignments and invite results. `AdminClient` (`admin.py`)
parses its answers into these.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pydantic

from connectors.atlassian.responses import Model


class Org(Model):
    """An organization."""

    id: str
    name: str | None = None


class Directory(Model):
    """A user directory of the org (v2)."""

    id: str = pydantic.Field(alias="directoryId")
    name: str | None = None


class OrgUser(Model):
    """A managed account from `GET /v1/orgs/{orgId}/users`."""

    account_id: str
    account_type: str = "atlassian"
    account_status: str = "active"
    name: str | None = None
    email: str | None = None
    last_active: datetime | None = None
    access_billable: bool | None = None

    @pydantic.field_validator("last_active", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return value or None

    @pydantic.field_validator("last_active")
    @classmethod
    def _in_utc(cls, value: datetime | None) -> datetime | None:
        """A date without a time or zone (the format is not fixed in Atlassian's
        reference) is read as that day in UTC, not the portal's own zone."""
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class DirectoryUser(Model):
    """A user of a directory (v2)."""

    account_id: str = pydantic.Field(alias="accountId")
    account_type: str = pydantic.Field("atlassian", alias="accountType")
    status: str | None = None
    account_status: str | None = pydantic.Field(None, alias="accountStatus")
    membership_status: str | None = pydantic.Field(None, alias="membershipStatus")
    name: str | None = None
    nickname: str | None = None
    email: str | None = None
    job_title: str | None = pydantic.Field(None, alias="jobTitle")
    department: str | None = None
    organization: str | None = None
    time_zone: str | None = pydantic.Field(None, alias="timeZone")
    management_source: str | None = pydantic.Field(None, alias="managementSource")
    claim_status: str | None = pydantic.Field(None, alias="claimStatus")  # "unmanaged"

    @property
    def is_managed(self) -> bool:
        """Whether the org manages the account (its verified domain); a directory also
        holds external users, which it says are "unmanaged"."""
        return self.claim_status != "unmanaged"


class AdminGroup(Model):
    """A group of a directory (v2): `externalSynced`/`managedBy` tell IdP-managed groups."""

    id: str
    name: str
    description: str | None = None
    directory_id: str | None = pydantic.Field(None, alias="directoryId")
    external_synced: bool = pydantic.Field(default=False, alias="externalSynced")
    managed_by: str | None = pydantic.Field(None, alias="managedBy")

    @property
    def is_managed_externally(self) -> bool:
        """True when an identity provider owns the group (read-only here)."""
        return self.external_synced or self.managed_by == "external"


class WorkspaceAttributes(Model):
    """The interesting attributes of a workspace."""

    name: str | None = None
    type_key: str | None = pydantic.Field(None, alias="typeKey")
    host_url: str | None = pydantic.Field(None, alias="hostUrl")
    status: str | None = None


class Workspace(Model):
    """A product instance (Jira or Confluence site, ...): `id` is the role resource id."""

    id: str
    type: str | None = None
    attributes: WorkspaceAttributes = WorkspaceAttributes()


class RoleAssignment(Model):
    """One role a user holds on a resource; both spellings of the keys are accepted."""

    role: str = pydantic.Field(validation_alias=pydantic.AliasChoices("roleId", "role"))
    resource: str | None = pydantic.Field(
        None, validation_alias=pydantic.AliasChoices("resourceId", "resource")
    )


class InviteResult(Model):
    """One per-email result of an invite (shape unconfirmed: kept loose)."""

    email: str | None = None
    status: str | None = None
    account_id: str | None = pydantic.Field(
        None, validation_alias=pydantic.AliasChoices("accountId", "account_id", "id")
    )
