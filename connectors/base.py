"""The connector interface: what the portal asks of any target system.

Workflow and the reconcile engine speak only this module and the records it yields
(`connectors/records.py`). Plain frozen dataclasses go in and out; errors are the small
family below, split into transient (retry later) and permanent (stop and show the
message).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping
    from datetime import datetime

    from connectors.records import (
        AccountRecord,
        AssignmentRecord,
        ChangeSet,
        EntitlementRecord,
        ResourceRecord,
        Scope,
    )


class EntitlementKind(enum.StrEnum):
    """What kind of access an entitlement grants."""

    GROUP = "group"
    PROJECT_ROLE = "project_role"
    SPACE_PERMISSION = "space_permission"
    ORG_ROLE = "org_role"


class ResourceKind(enum.StrEnum):
    """The parent an entitlement belongs to."""

    PROJECT = "project"
    SPACE = "space"
    SITE = "site"
    ORGANIZATION = "organization"


class AccountStatus(enum.StrEnum):
    """Whether an account can sign in."""

    ACTIVE = "active"
    SUSPENDED = "suspended"  # access suspended / SCIM active=false: reversible
    INACTIVE = "inactive"  # deactivated account
    CLOSED = "closed"  # deleted or scheduled for deletion


class HolderType(enum.StrEnum):
    """Who holds an assignment: a user account or a whole group."""

    USER = "user"
    GROUP = "group"


class ApiFamily(enum.StrEnum):
    """The four Atlassian API families, each with its own credential."""

    SCIM = "scim"
    ADMIN = "admin"
    JIRA = "jira"
    CONFLUENCE = "confluence"


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


class ConnectorError(Exception):
    """The target refused or could not do something; keeps its message and code."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        family: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.family = family

    def __str__(self) -> str:
        parts = [self.message]
        if self.code:
            parts.append(f"[{self.code}]")
        if self.status:
            parts.append(f"(HTTP {self.status})")
        return " ".join(parts)


class TransientError(ConnectorError):
    """Worth retrying later: 429, 5xx, timeouts, dropped connections."""

    def __init__(
        self, message: str, *, retry_after: float | None = None, **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class RateLimited(TransientError):
    """The target said 429; `retry_after` holds its wait in seconds when it gave one."""


class Unavailable(TransientError):
    """5xx, timeout or a dropped connection."""


class PermanentError(ConnectorError):
    """Retrying the same call will not help; an admin must act."""


class AuthenticationFailed(PermanentError):
    """401: the configured credential is missing, wrong or revoked."""


class Forbidden(PermanentError):
    """403: the credential works but lacks the permission for this call."""


class FeatureNotEnabled(Forbidden):
    """An endpoint Atlassian enables only on request (org roles, invite) is off."""


class ManagedExternally(Forbidden):
    """The object is synced from an identity provider and read-only outside SCIM."""


class NotFound(PermanentError):
    """404: the object does not exist or the caller cannot see it."""


class Conflict(PermanentError):
    """409 or an 'already exists' answer that is not an idempotent success."""


class LicenceLimitReached(Conflict):
    """Adding the user would exceed the product's user limit."""


class Invalid(PermanentError):
    """400: the request was malformed or violates a rule of the target."""


# ---------------------------------------------------------------------------
# Inputs and results of changes
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EntitlementRef:
    """Enough to address one entitlement in the target.

    `external_id` encodings (stable, parseable):
    - group: the Atlassian groupId
    - project_role: "<projectId>:<roleId>"
    - space_permission: "<spaceId>:<operationKey>:<target>"; `resource_key` = space key
    - org_role: "<role>@<resourceId>" (e.g. "atlassian/user@ari:cloud:jira::site/...")
    """

    kind: EntitlementKind
    external_id: str
    resource_key: str | None = None  # project key / space key, where the API wants it


@dataclass(frozen=True, slots=True)
class AccountDraft:
    """What the portal knows about a person when it creates their account."""

    email: str
    given_name: str = ""
    family_name: str = ""
    display_name: str = ""
    title: str = ""
    department: str = ""
    organization: str = ""
    timezone: str = ""
    nickname: str = ""
    default_group_ids: tuple[str, ...] = ()  # product groups to join after creation


@dataclass(frozen=True, slots=True)
class ChangeResult:
    """Outcome of one idempotent change.

    `already_done` is True when the target already was in the asked state (granting
    what is held, revoking what is absent). `also_granted` lists entitlements the
    target added as a side effect (Confluence grants read/space before anything else).
    """

    already_done: bool = False
    also_granted: tuple[EntitlementRef, ...] = ()
    also_revoked: tuple[EntitlementRef, ...] = ()
    detail: str = ""


@dataclass(frozen=True, slots=True)
class AccountResult:
    """Outcome of creating or finding an account."""

    account: AccountRecord
    created: bool  # False when an existing account was linked


@dataclass(frozen=True, slots=True)
class FamilyCheck:
    """Whether one API family answers with the configured credential."""

    family: ApiFamily
    ok: bool
    message: str  # "OK: 3 groups visible" or Atlassian's own error message
    status: int | None = None


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a connector can read and change, for the admin to show."""

    sync_kinds: frozenset[EntitlementKind]
    provision_kinds: frozenset[EntitlementKind]
    account_operations: frozenset[str]  # create, update, disable, enable, delete
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CallStats:
    """API calls made so far, per family, for run statistics."""

    by_family: Mapping[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """All calls together."""
        return sum(self.by_family.values())


# ---------------------------------------------------------------------------
# The interface
# ---------------------------------------------------------------------------


@runtime_checkable
class Connector(Protocol):
    """A target system the portal reads and provisions.

    Listing methods are generators that page through the target and yield one record
    at a time, so memory stays flat. Every change is idempotent by contract: granting
    access that is held, revoking access that is absent, creating an account that
    exists (it is linked) all succeed. Changes raise `TransientError` for what may
    succeed later and `PermanentError` for what will not.
    """

    def capabilities(self) -> Capabilities:
        """What this connector can sync and provision."""
        ...

    def test_connection(self) -> list[FamilyCheck]:
        """Check each API family with its credential; never raises for auth failures."""
        ...

    def call_stats(self) -> CallStats:
        """API calls made by this connector instance, per family."""
        ...

    # -- reading ----------------------------------------------------------------

    def iter_accounts(self, scope: Scope | None = None) -> Iterator[AccountRecord]:
        """Every user account (managed, external and app), one at a time."""
        ...

    def iter_resources(self, scope: Scope | None = None) -> Iterator[ResourceRecord]:
        """Projects, spaces and sites that entitlements hang under."""
        ...

    def iter_entitlements(
        self,
        kinds: Iterable[EntitlementKind] | None = None,
        scope: Scope | None = None,
    ) -> Iterator[EntitlementRecord]:
        """Every entitlement of the given kinds (all kinds when None)."""
        ...

    def iter_assignments(
        self,
        kinds: Iterable[EntitlementKind] | None = None,
        scope: Scope | None = None,
    ) -> Iterator[AssignmentRecord]:
        """Who holds what directly: group members, role actors, space permissions."""
        ...

    def get_account(self, account_id: str) -> AccountRecord | None:
        """One account by accountId, or None."""
        ...

    def get_accounts(self, account_ids: Iterable[str]) -> Iterator[AccountRecord]:
        """The accounts of these ids that exist, fetched concurrently, in order."""
        ...

    def iter_account_groups(
        self, account_ids: Iterable[str]
    ) -> Iterator[tuple[str, list[AssignmentRecord] | None]]:
        """Each account's direct group memberships; None for an account the target
        cannot answer for (unknown to it): its memberships are then not judged."""
        ...

    def iter_changes(self, since: datetime, until: datetime) -> ChangeSet | None:
        """What changed between `since` and `until`, or None when no feed can tell."""
        ...

    def find_account_by_email(self, email: str) -> AccountRecord | None:
        """The account with this email, or None."""
        ...

    def has_assignment(self, account_id: str, entitlement: EntitlementRef) -> bool:
        """Read back whether the account holds the entitlement directly."""
        ...

    # -- changing -----------------------------------------------------------------

    def grant(self, account_id: str, entitlement: EntitlementRef) -> ChangeResult:
        """Give the account the entitlement; idempotent."""
        ...

    def revoke(self, account_id: str, entitlement: EntitlementRef) -> ChangeResult:
        """Take the entitlement from the account; idempotent."""
        ...

    def create_account(self, draft: AccountDraft) -> AccountResult:
        """Create the account (and join default groups), or link the existing one."""
        ...

    def update_account(
        self, account_id: str, changes: Mapping[str, Any]
    ) -> AccountRecord:
        """Change account attributes; keys are AccountRecord field names."""
        ...

    def disable_account(self, account_id: str) -> ChangeResult:
        """Suspend the account reversibly; idempotent."""
        ...

    def enable_account(self, account_id: str) -> ChangeResult:
        """Restore a suspended account; idempotent."""
        ...

    def delete_account(self, account_id: str) -> ChangeResult:
        """Remove the account from the organization; idempotent."""
        ...
