"""The records of the simulated organization: slotted dataclasses, ids and timestamps."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

ROLE_ADMINISTRATORS = 10002


def utc_now() -> str:
    """Return the current time as ISO-8601 with milliseconds, in UTC."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def days_ago(days: int) -> str:
    """Nine in the morning UTC, `days` days before today, as the Admin API writes it."""
    day = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    return (
        (day - timedelta(days=days))
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


@dataclass(slots=True)
class ScimProfile:
    """What the SCIM directory holds about a user beyond the shared profile."""

    scim_id: str
    user_name: str
    external_id: str | None = None
    emails: list[dict[str, Any]] | None = None  # None = derived from the user's email
    name_extra: dict[str, str] | None = None  # formatted, middleName, honorific*
    phone_numbers: list[dict[str, Any]] | None = None
    preferred_language: str | None = None
    manager_id: str | None = None  # SCIM id of the manager
    manager_display: str | None = None
    created: str = ""
    modified: str = ""


@dataclass(slots=True)
class User:
    """An Atlassian account (managed, external or app) and its site/org standing."""

    seq: int
    account_id: str
    email: str
    display_name: str
    account_type: str = "atlassian"
    given_name: str = ""
    family_name: str = ""
    title: str = ""
    department: str = ""
    organization: str = ""
    timezone: str = "Europe/London"
    locale: str = "en_US"
    nickname: str = ""
    managed: bool = False  # claimed by a verified domain of the org
    in_directory: bool = False  # member of the org's admin directory
    site_access: bool = True  # in the Jira/Confluence user base of the site
    suspended: bool = False  # org access suspended (admin suspend or SCIM active=false)
    disabled: bool = False  # account deactivated (lifecycle disable)
    pending_delete: bool = False
    closed: bool = False
    created: str = ""
    last_active: str | None = None  # when a product last saw the account (Admin API)
    scim: ScimProfile | None = None
    groups: list[int] = field(default_factory=list)  # group seqs, unsorted
    roles: list[tuple[str, str]] = field(default_factory=list)  # (role, resource)

    @property
    def active(self) -> bool:
        """Whether products see the account as active."""
        return not (self.suspended or self.disabled or self.closed)

    @property
    def account_status(self) -> str:
        """Admin API v1 account_status."""
        if self.closed:
            return "closed"
        return "active" if self.active else "inactive"


@dataclass(slots=True)
class Group:
    """A group of the organization, seen by Jira, Confluence, Admin and maybe SCIM."""

    seq: int
    group_id: str
    name: str
    description: str = ""
    scim_id: str | None = None
    external_id: str | None = None
    external_synced: bool = False  # came from the IdP: read-only outside SCIM
    propagated: bool = (
        True  # False: SCIM-only record whose name clashed with a site group
    )
    members: list[int] = field(default_factory=list)  # sorted user seqs
    roles: list[tuple[str, str]] = field(default_factory=list)  # (roleId, resourceId)
    created: str = ""


@dataclass(slots=True)
class Role:
    """A global Jira project role."""

    id: int
    name: str
    description: str = ""
    default_users: set[int] = field(
        default_factory=set
    )  # actors new projects start with
    default_groups: set[int] = field(default_factory=set)


@dataclass(slots=True)
class Project:
    """A Jira project with its role actors per global role."""

    id: int
    key: str
    name: str
    type_key: str = "software"
    lead: int | None = None
    description: str = ""
    archived: bool = False
    deleted: bool = False
    users: dict[int, set[int]] = field(default_factory=dict)  # role id -> user seqs
    groups: dict[int, set[int]] = field(default_factory=dict)  # role id -> group seqs
    issue_counter: int = 0


@dataclass(slots=True)
class Issue:
    """A Jira issue in a three-status workflow."""

    id: int
    key: str
    project_id: int
    fields: dict[str, Any]
    status: str = "To Do"
    created: str = ""
    updated: str = ""


@dataclass(slots=True)
class Permission:
    """One Confluence space permission (a key/target pair for one principal)."""

    id: int
    principal_type: str  # user | group | anonymous
    principal_id: str  # accountId or groupId
    key: str
    target: str


@dataclass(slots=True)
class Space:
    """A Confluence space and its permissions."""

    id: int
    key: str
    name: str
    type: str = "global"
    status: str = "current"
    author: str = ""
    created: str = ""
    description: str = ""
    homepage_id: int | None = None
    permissions: dict[int, Permission] = field(
        default_factory=dict
    )  # insertion = id order


@dataclass(slots=True)
class Content:
    """A Confluence page, blog post, footer comment or attachment."""

    id: int
    type: str  # page | blogpost | comment | attachment
    space_id: int
    title: str
    status: str = "current"  # current | trashed | archived | draft
    parent_id: int | None = None  # page for comments/attachments, parent page for pages
    author: str = ""
    created: str = ""
    version: int = 1
    body: str = ""
    representation: str = "storage"
    media_type: str = ""
    data: bytes = b""
    restrictions: dict[str, tuple[set[str], set[str]]] = field(default_factory=dict)


@dataclass(slots=True)
class LongTask:
    """A Confluence long-running task that finishes after a few polls."""

    id: str
    name: str
    polls_needed: int
    polls: int = 0
    kind: str = ""
    result: dict[str, Any] = field(default_factory=dict)
    created: str = ""

    @property
    def finished(self) -> bool:
        """Whether polling has driven it to 100 %."""
        return self.polls >= self.polls_needed


@dataclass(slots=True)
class Event:
    """One org audit-log event."""

    seq: int
    id: str
    time: str
    action: str
    actor: str
    context: list[dict[str, str]]


class IdFactory:
    """Deterministic ids: UUIDs, account ids and numbers."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - reproducible ids, not crypto

    def uuid(self) -> str:
        """Return a random-looking but reproducible UUID4."""
        text = f"{self.rng.getrandbits(128):032x}"
        variant = "89ab"[int(text[16], 16) & 3]
        return (
            f"{text[:8]}-{text[8:12]}-4{text[13:16]}-{variant}{text[17:20]}-{text[20:]}"
        )

    def managed_account_id(self) -> str:
        """Return a managed-account style aaid, `712020:<uuid>`."""
        return f"712020:{self.uuid()}"

    def legacy_account_id(self) -> str:
        """Return a 24-hex-digit aaid as older accounts have."""
        return f"{self.rng.getrandbits(96):024x}"
