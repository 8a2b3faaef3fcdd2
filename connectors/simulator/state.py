"""The one in-memory organization behind all four API families: records and indexes."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from connectors.simulator.paging import add_sorted, contains_sorted, remove_sorted

ROLE_ADMINISTRATORS = 10002


def utc_now() -> str:
    """Return the current time as ISO-8601 with milliseconds, in UTC."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


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


class State:
    """All records plus the indexes and ordered id lists the APIs page over."""

    def __init__(self, id_seed: int = 0) -> None:
        self.ids = IdFactory(id_seed)
        self.users: dict[int, User] = {}
        self.user_by_account: dict[str, User] = {}
        self.user_by_mail: dict[str, User] = {}
        self.user_by_scim: dict[str, User] = {}
        self.scim_by_user_name: dict[str, User] = {}
        self.site_order: list[int] = []  # users in the site user base
        self.directory_order: list[int] = []  # users in the admin directory
        self.managed_order: list[int] = []  # managed accounts (v1 org users)
        self.scim_order: list[int] = []  # users linked to the SCIM directory
        self.groups: dict[int, Group] = {}
        self.group_by_id: dict[str, Group] = {}
        self.group_by_lower_name: dict[str, Group] = {}
        self.group_by_scim: dict[str, Group] = {}
        self.scim_group_by_name: dict[str, Group] = {}
        self.group_order: list[int] = []  # propagated groups
        self.scim_group_order: list[int] = []
        self.roles: dict[int, Role] = {}
        self.projects: dict[int, Project] = {}
        self.project_by_key: dict[str, Project] = {}
        self.project_order: list[int] = []
        self.issues: dict[int, Issue] = {}
        self.issue_by_key: dict[str, Issue] = {}
        self.spaces: dict[int, Space] = {}
        self.space_by_key: dict[str, Space] = {}
        self.space_order: list[int] = []
        self.content: dict[int, Content] = {}
        self.tasks: dict[str, LongTask] = {}
        self.events: list[Event] = []
        self.exports: dict[str, bytes] = {}
        self.next_user = 1
        self.next_group = 1
        self.next_project = 10000
        self.next_issue = 10000
        self.next_space = 98304
        self.next_permission = 1000000
        self.next_content = 65537
        self.next_event = 1
        self.version = 0  # bumped by every write call; invalidates the inactive cache
        self._inactive: tuple[int, set[int]] = (-1, set())

    # ----- users -----
    def add_user(self, user: User) -> User:
        """Index a new user (its seq must be fresh)."""
        self.users[user.seq] = user
        self.user_by_account[user.account_id] = user
        self.user_by_mail[user.email.lower()] = user
        self.next_user = max(self.next_user, user.seq + 1)
        if user.site_access:
            add_sorted(self.site_order, user.seq)
        if user.in_directory:
            add_sorted(self.directory_order, user.seq)
        if user.managed:
            add_sorted(self.managed_order, user.seq)
        if user.scim is not None:
            self.link_scim(user, user.scim)
        return user

    def link_scim(self, user: User, profile: ScimProfile) -> None:
        """Attach a SCIM record to a user."""
        user.scim = profile
        self.user_by_scim[profile.scim_id] = user
        self.scim_by_user_name[profile.user_name.lower()] = user
        add_sorted(self.scim_order, user.seq)

    def unlink_scim(self, user: User) -> None:
        """Drop a user's SCIM record (SCIM DELETE)."""
        if user.scim is None:
            return
        self.user_by_scim.pop(user.scim.scim_id, None)
        self.scim_by_user_name.pop(user.scim.user_name.lower(), None)
        remove_sorted(self.scim_order, user.seq)
        user.scim = None

    def rename_scim_user(self, user: User, user_name: str) -> None:
        """Change a SCIM userName and keep the index right."""
        assert user.scim is not None  # noqa: S101 - callers check
        self.scim_by_user_name.pop(user.scim.user_name.lower(), None)
        user.scim.user_name = user_name
        self.scim_by_user_name[user_name.lower()] = user

    def change_email(self, user: User, email: str) -> None:
        """Change a user's email and its index."""
        self.user_by_mail.pop(user.email.lower(), None)
        user.email = email
        self.user_by_mail[email.lower()] = user

    def set_site_access(self, user: User, *, granted: bool) -> None:
        """Add or remove the user from the site's user base."""
        user.site_access = granted
        if granted:
            add_sorted(self.site_order, user.seq)
        else:
            remove_sorted(self.site_order, user.seq)

    def set_in_directory(self, user: User, *, member: bool) -> None:
        """Add or remove the user from the admin directory."""
        user.in_directory = member
        if member:
            add_sorted(self.directory_order, user.seq)
        else:
            remove_sorted(self.directory_order, user.seq)

    def new_user_seq(self) -> int:
        """Return the next user seq."""
        seq = self.next_user
        self.next_user += 1
        return seq

    # ----- groups -----
    def add_group(self, group: Group) -> Group:
        """Index a new group."""
        self.groups[group.seq] = group
        self.next_group = max(self.next_group, group.seq + 1)
        if group.propagated:
            self.group_by_id[group.group_id] = group
            self.group_by_lower_name[group.name.lower()] = group
            add_sorted(self.group_order, group.seq)
        if group.scim_id is not None:
            self.group_by_scim[group.scim_id] = group
            self.scim_group_by_name[group.name.lower()] = group
            add_sorted(self.scim_group_order, group.seq)
        return group

    def new_group_seq(self) -> int:
        """Return the next group seq."""
        seq = self.next_group
        self.next_group += 1
        return seq

    def rename_group(self, group: Group, name: str) -> None:
        """Rename a group and keep both name indexes right."""
        if group.propagated:
            self.group_by_lower_name.pop(group.name.lower(), None)
            self.group_by_lower_name[name.lower()] = group
        if group.scim_id is not None:
            self.scim_group_by_name.pop(group.name.lower(), None)
            self.scim_group_by_name[name.lower()] = group
        group.name = name

    def add_member(self, group: Group, user: User) -> bool:
        """Add a user to a group; False if already a member."""
        if not add_sorted(group.members, user.seq):
            return False
        user.groups.append(group.seq)
        return True

    def remove_member(self, group: Group, user: User) -> bool:
        """Remove a user from a group; False if not a member."""
        if not remove_sorted(group.members, user.seq):
            return False
        user.groups.remove(group.seq)
        return True

    def is_member(self, group: Group, user: User) -> bool:
        """Tell whether the user is a direct member of the group."""
        return contains_sorted(group.members, user.seq)

    def delete_group(self, group: Group) -> None:
        """Remove a group and every grant that names it."""
        for seq in list(group.members):
            self.remove_member(group, self.users[seq])
        self.groups.pop(group.seq, None)
        self.group_by_id.pop(group.group_id, None)
        if self.group_by_lower_name.get(group.name.lower()) is group:
            del self.group_by_lower_name[group.name.lower()]
        remove_sorted(self.group_order, group.seq)
        if group.scim_id is not None:
            self.group_by_scim.pop(group.scim_id, None)
            self.scim_group_by_name.pop(group.name.lower(), None)
            remove_sorted(self.scim_group_order, group.seq)
        for project in self.projects.values():
            for seqs in project.groups.values():
                seqs.discard(group.seq)
        for space in self.spaces.values():
            doomed = [
                p.id
                for p in space.permissions.values()
                if p.principal_id == group.group_id
            ]
            for permission_id in doomed:
                del space.permissions[permission_id]

    def forget_user_grants(self, user: User) -> None:
        """Remove a user from every group, role and space (user left the site)."""
        for group_seq in list(user.groups):
            self.remove_member(self.groups[group_seq], user)
        for project in self.projects.values():
            for seqs in project.users.values():
                seqs.discard(user.seq)
        for space in self.spaces.values():
            doomed = [
                p.id
                for p in space.permissions.values()
                if p.principal_id == user.account_id
            ]
            for permission_id in doomed:
                del space.permissions[permission_id]

    # ----- Jira and Confluence -----
    def add_project(self, project: Project) -> Project:
        """Index a new project, giving it an actor slot for every global role."""
        for role_id in self.roles:
            project.users.setdefault(role_id, set())
            project.groups.setdefault(role_id, set())
        self.projects[project.id] = project
        self.project_by_key[project.key] = project
        add_sorted(self.project_order, project.id)
        self.next_project = max(self.next_project, project.id + 1)
        return project

    def add_space(self, space: Space) -> Space:
        """Index a new space."""
        self.spaces[space.id] = space
        self.space_by_key[space.key] = space
        add_sorted(self.space_order, space.id)
        self.next_space = max(self.next_space, space.id + 1)
        return space

    def add_permission(
        self,
        space: Space,
        principal_type: str,
        principal_id: str,
        key: str,
        target: str,
    ) -> Permission:
        """Add one space permission with a fresh id."""
        permission = Permission(
            self.next_permission, principal_type, principal_id, key, target
        )
        self.next_permission += 1
        space.permissions[permission.id] = permission
        return permission

    def add_content(self, content: Content) -> Content:
        """Index a page, blog post, comment or attachment."""
        self.content[content.id] = content
        self.next_content = max(self.next_content, content.id + 1)
        return content

    def new_content_id(self) -> int:
        """Return the next content id."""
        content_id = self.next_content
        self.next_content += 1
        return content_id

    def add_event(
        self, action: str, actor: str, context: list[dict[str, str]]
    ) -> Event:
        """Append an audit-log event."""
        event = Event(
            self.next_event, self.ids.uuid(), utc_now(), action, actor, context
        )
        self.next_event += 1
        self.events.append(event)
        return event

    def inactive_seqs(self) -> set[int]:
        """Seqs of users products show as inactive (cached until the next write)."""
        if self._inactive[0] != self.version:
            self._inactive = (
                self.version,
                {u.seq for u in self.users.values() if not u.active},
            )
        return self._inactive[1]

    # ----- read-only queries for tests -----
    def user_by_email(self, email: str) -> User | None:
        """Return the account with this email, if any."""
        return self.user_by_mail.get(email.lower())

    def group_by_name(self, name: str) -> Group | None:
        """Return the site group with this name, if any."""
        return self.group_by_lower_name.get(name.lower())

    def is_group_member(self, group_name: str, account_id: str) -> bool:
        """Tell whether the account is a direct member of the named group."""
        group = self.group_by_name(group_name)
        user = self.user_by_account.get(account_id)
        return group is not None and user is not None and self.is_member(group, user)

    def project_role_actors(self, project_key: str, role_name: str) -> set[str]:
        """Return the accountIds that are direct user actors of a project role."""
        project = self.project_by_key[project_key]
        role = next(r for r in self.roles.values() if r.name == role_name)
        return {self.users[seq].account_id for seq in project.users.get(role.id, set())}

    def project_role_groups(self, project_key: str, role_name: str) -> set[str]:
        """Return the groupIds that are group actors of a project role."""
        project = self.project_by_key[project_key]
        role = next(r for r in self.roles.values() if r.name == role_name)
        return {self.groups[seq].group_id for seq in project.groups.get(role.id, set())}

    def space_permissions(self, space_key: str) -> set[tuple[str, str, str, str]]:
        """Return (principal_type, principal_id, key, target) for every permission of a space."""
        space = self.space_by_key[space_key]
        return {
            (p.principal_type, p.principal_id, p.key, p.target)
            for p in space.permissions.values()
        }
