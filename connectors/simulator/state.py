"""The one in-memory organization behind all four API families: indexes and invariants."""

from __future__ import annotations

from connectors.simulator.paging import add_sorted, contains_sorted, remove_sorted
from connectors.simulator.records import (
    Content,
    Event,
    Group,
    IdFactory,
    Issue,
    LongTask,
    Permission,
    Project,
    Role,
    ScimProfile,
    Space,
    User,
    utc_now,
)

__all__ = [
    "Content",
    "Event",
    "Group",
    "IdFactory",
    "Issue",
    "LongTask",
    "Permission",
    "Project",
    "Role",
    "ScimProfile",
    "Space",
    "State",
    "User",
    "utc_now",
]


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
        for role_id, role in self.roles.items():
            project.users.setdefault(role_id, set(role.default_users))
            project.groups.setdefault(role_id, set(role.default_groups))
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
