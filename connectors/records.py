"""Records a connector reads from the target, the scope of a reading, a change set.

Plain frozen dataclasses, as `connectors.base.Connector` yields them: one record per
account, resource (project, space, site), entitlement and direct assignment; the
`Scope` that limits what a reconciliation fetches; the `ChangeSet` a change feed tells.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from connectors.base import AccountStatus

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from connectors.base import EntitlementRef, HolderType, ResourceKind


@dataclass(frozen=True, slots=True)
class AccountRecord:
    """One user account as the target reports it."""

    account_id: str  # Atlassian accountId (aaid): the key everywhere but SCIM
    email: str | None
    display_name: str
    status: AccountStatus = AccountStatus.ACTIVE
    account_type: str = "atlassian"  # atlassian | app | customer
    is_managed: bool = True  # managed by the org (verified domain); False = external
    scim_id: str | None = None
    user_name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    nickname: str | None = None
    title: str | None = None
    department: str | None = None
    organization: str | None = None
    timezone: str | None = None
    manager_account_id: str | None = None
    last_active: datetime | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ResourceRecord:
    """A project, space or site that entitlements belong to."""

    kind: ResourceKind
    external_id: str  # Jira project id, Confluence space id, site/workspace id
    key: str  # project key, space key, site host
    name: str
    description: str = ""
    owner_account_id: str | None = None  # project lead, space creator
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EntitlementRecord:
    """One requestable piece of access, as found in the target."""

    ref: EntitlementRef
    name: str  # machine name: group name, role name, "create/page"
    display_name: str  # what people read: "WEB · Member", "ENG · Add pages"
    description: str = ""
    resource: ResourceRecord | None = None
    is_managed_externally: bool = False  # IdP-synced group: change only through SCIM
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AssignmentRecord:
    """A holder (user or group) holds an entitlement directly in the target."""

    entitlement: EntitlementRef
    holder_type: HolderType
    holder_id: str  # accountId for users, groupId for groups


@dataclass(frozen=True, slots=True)
class Scope:
    """Limits what a reconciliation fetches; empty means everything."""

    group_names: tuple[str, ...] = ()
    project_keys: tuple[str, ...] = ()
    space_keys: tuple[str, ...] = ()
    email_domains: tuple[str, ...] = ()
    scim_filter: str | None = None

    @property
    def is_everything(self) -> bool:
        """True when no filter is set."""
        return not (
            self.group_names
            or self.project_keys
            or self.space_keys
            or self.email_domains
            or self.scim_filter
        )


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """What changed in the target between two moments, as its change feed tells.

    Ids are the target's own (accountId, groupId, project id, space id). A feed can
    only name what it records: the caller still compares whatever it does not cover.
    `is_complete` is False when the feed was cut short (too many events); the caller
    should then list everything, as without a feed.
    """

    since: datetime
    until: datetime
    account_ids: frozenset[str] = frozenset()
    group_ids: frozenset[str] = frozenset()
    project_ids: frozenset[str] = frozenset()
    space_ids: frozenset[str] = frozenset()
    events: int = 0
    is_complete: bool = True
