"""Reading the organization: accounts, resources, entitlements and assignments."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from connectors.atlassian.confluence import SPACE_PERMISSIONS
from connectors.atlassian.fanout import Prefetch, fan_out
from connectors.atlassian.mapping import account_fields
from connectors.base import (
    AccountStatus,
    EntitlementKind,
    EntitlementRef,
    FeatureNotEnabled,
    Forbidden,
    NotFound,
    ResourceKind,
)
from connectors.records import AccountRecord, EntitlementRecord, ResourceRecord, Scope

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from connectors.atlassian.admin_models import AdminGroup, OrgUser, Workspace
    from connectors.atlassian.confluence import Space
    from connectors.atlassian.families import Families
    from connectors.atlassian.jira_models import JiraProject, JiraUser
    from connectors.atlassian.scim import ScimUser

ORG_STATUS = {
    "active": AccountStatus.ACTIVE,
    "inactive": AccountStatus.INACTIVE,
    "closed": AccountStatus.CLOSED,
    "suspended": AccountStatus.SUSPENDED,
}
# Product roles offered per workspace as org_role entitlements.
WORKSPACE_ROLES = (("atlassian/user", "User"), ("atlassian/admin", "Admin"))
PERMISSION_LABELS = {(key, target): label for key, target, label in SPACE_PERMISSIONS}
ORG_USERS_AHEAD = 10_000  # org users read ahead of the merge: 100 pages, a few MB


# -- accounts --------------------------------------------------------------------------


def iter_accounts(families: Families, scope: Scope) -> Iterator[AccountRecord]:
    """SCIM users merged with Admin org users, then Jira-only users as unmanaged.

    The SCIM directory is held in memory (one small record per SCIM user) so it can be
    merged into the org users stream; everything else streams, keeping only ids.
    """
    org_users = _start_org_users(families, scope)
    try:
        workers = families.settings.max_concurrency
        workers -= 1 if isinstance(org_users, Prefetch) else 0
        scim_records = _scim_records(families, scope, workers=workers)
        seen: set[str] = set()
        for user in org_users or ():
            seen.add(user.account_id)
            record = _merge(
                from_org_user(user), scim_records.pop(user.account_id, None)
            )
            if _in_scope(record, scope):
                yield record
    finally:
        close = getattr(org_users, "close", None)
        if close is not None:
            close()
    for account_id, record in scim_records.items():
        seen.add(account_id)
        if _in_scope(record, scope):
            yield record
    if scope.scim_filter:
        return
    for jira_user in families.jira.list_users(
        workers=families.settings.max_concurrency
    ):
        if jira_user.account_id not in seen:
            record = from_jira_user(jira_user)
            if _in_scope(record, scope):
                yield record


def _start_org_users(families: Families, scope: Scope) -> Iterable[OrgUser] | None:
    """The org users listing, started now (None when the run does not read it).

    The Admin API's cursor is read one page after another (its next page is only
    known from the current one), so it runs on its own thread while the SCIM
    directory is listed with one worker less. With a concurrency of 1 it is read in
    turn, after the directory.
    """
    if families.admin is None or scope.scim_filter:
        return None
    users = families.admin.list_org_users()
    if families.settings.max_concurrency < 2:
        return users
    return Prefetch(users, size=ORG_USERS_AHEAD)


def _scim_records(
    families: Families, scope: Scope, *, workers: int
) -> dict[str, AccountRecord]:
    """Linked SCIM users by accountId, with their manager's accountId.

    Only the records are kept (not the parsed users): a manager is named by SCIM id,
    resolved once every user is known.
    """
    if families.scim is None:
        return {}
    records: dict[str, AccountRecord] = {}
    account_by_scim_id: dict[str, str] = {}
    manager_by_account: dict[str, str] = {}
    users = families.scim.list_users(filter=scope.scim_filter, workers=workers)
    for user in users:
        if not user.account_id:
            continue
        account_by_scim_id[user.id] = user.account_id
        manager = user.enterprise.manager if user.enterprise else None
        if manager and manager.value:
            manager_by_account[user.account_id] = manager.value
        records[user.account_id] = from_scim_user(user)
    for account_id, manager_scim_id in manager_by_account.items():
        manager_id = account_by_scim_id.get(manager_scim_id)
        if manager_id:
            records[account_id] = replace(
                records[account_id], manager_account_id=manager_id
            )
    return records


def from_scim_user(
    user: ScimUser, *, manager_account_id: str | None = None
) -> AccountRecord:
    """An AccountRecord from a linked SCIM user (inactive SCIM users are suspended)."""
    return AccountRecord(
        account_id=user.account_id or "",
        status=AccountStatus.ACTIVE if user.active else AccountStatus.SUSPENDED,
        manager_account_id=manager_account_id,
        **account_fields(user),
    )


def from_org_user(user: OrgUser) -> AccountRecord:
    """An AccountRecord from an entry of the org's user list (or a managed profile)."""
    return AccountRecord(
        account_id=user.account_id,
        email=user.email,
        display_name=user.name or user.email or user.account_id,
        status=ORG_STATUS.get(user.account_status, AccountStatus.ACTIVE),
        account_type=user.account_type,
        last_active=user.last_active,
    )


def from_jira_user(user: JiraUser, *, is_managed: bool = False) -> AccountRecord:
    """An AccountRecord from Jira's view of a user (outside the org unless told)."""
    return AccountRecord(
        account_id=user.account_id,
        email=user.email_address,
        display_name=user.display_name or user.account_id,
        status=AccountStatus.ACTIVE if user.active else AccountStatus.INACTIVE,
        account_type=user.account_type,
        is_managed=is_managed,
        timezone=user.time_zone,
    )


def _merge(org: AccountRecord, scim: AccountRecord | None) -> AccountRecord:
    """The org record completed with SCIM's profile; SCIM active=false means suspended."""
    if scim is None:
        return org
    status = org.status
    # The org API reports a SCIM-deactivated user as "inactive"; SCIM says it is reversible.
    if org.status != AccountStatus.CLOSED and scim.status == AccountStatus.SUSPENDED:
        status = AccountStatus.SUSPENDED
    return replace(
        scim, status=status, last_active=org.last_active, account_type=org.account_type
    )


def _in_scope(record: AccountRecord, scope: Scope) -> bool:
    if not scope.email_domains:
        return True
    domain = (record.email or "").rpartition("@")[2].lower()
    return domain in {d.lower() for d in scope.email_domains}


# -- resources -------------------------------------------------------------------------


def project_resource(project: JiraProject) -> ResourceRecord:
    """A Jira project as a resource."""
    return ResourceRecord(
        kind=ResourceKind.PROJECT,
        external_id=project.id,
        key=project.key,
        name=project.name,
        description=project.description or "",
        owner_account_id=project.lead.account_id if project.lead else None,
        attributes={"project_type": project.project_type_key}
        if project.project_type_key
        else {},
    )


def space_resource(space: Space) -> ResourceRecord:
    """A Confluence space as a resource."""
    return ResourceRecord(
        kind=ResourceKind.SPACE,
        external_id=space.id,
        key=space.key,
        name=space.name,
        owner_account_id=space.author_id,
        attributes={"type": space.type} if space.type else {},
    )


def workspace_resource(workspace: Workspace) -> ResourceRecord:
    """A product instance (site) as a resource for org roles."""
    attributes = workspace.attributes
    host = attributes.host_url or workspace.id
    return ResourceRecord(
        kind=ResourceKind.SITE,
        external_id=workspace.id,
        key=host,
        name=attributes.name or host,
        attributes={"product": attributes.type_key} if attributes.type_key else {},
    )


def iter_workspaces(families: Families) -> Iterator[Workspace]:
    """The org's workspaces; nothing when the Admin API is absent or refuses."""
    if families.admin is None:
        return
    try:
        yield from families.admin.list_workspaces()
    except (Forbidden, NotFound):  # includes FeatureNotEnabled
        return


def iter_resources(families: Families, scope: Scope) -> Iterator[ResourceRecord]:
    """Projects, spaces and workspaces."""
    for project in families.jira.list_projects(keys=scope.project_keys):
        yield project_resource(project)
    for space in families.confluence.list_spaces(keys=scope.space_keys):
        yield space_resource(space)
    for workspace in iter_workspaces(families):
        yield workspace_resource(workspace)


# -- entitlements ----------------------------------------------------------------------


def iter_group_entitlements(
    families: Families, scope: Scope
) -> Iterator[EntitlementRecord]:
    """Each group, flagged when an identity provider manages it."""
    admin_groups = _admin_groups(families)
    groups = families.jira.list_groups(
        names=scope.group_names, workers=families.settings.max_concurrency
    )
    for group in groups:
        meta = admin_groups.get(group.group_id) or admin_groups.get(
            f"name:{group.name}"
        )
        yield EntitlementRecord(
            ref=EntitlementRef(EntitlementKind.GROUP, group.group_id),
            name=group.name,
            display_name=group.name,
            description=(meta.description or "") if meta else "",
            is_managed_externally=bool(meta and meta.is_managed_externally),
            attributes={"managed_by": meta.managed_by}
            if meta and meta.managed_by
            else {},
        )


def _admin_groups(families: Families) -> dict[str, AdminGroup]:
    """Admin group metadata by id and by "name:<name>" (whether ids match is unconfirmed)."""
    if families.admin is None:
        return {}
    groups: dict[str, AdminGroup] = {}
    try:
        for group in families.admin.search_groups(families.directory_id()):
            groups[group.id] = group
            groups[f"name:{group.name}"] = group
    except (Forbidden, NotFound):
        return {}
    return groups


def iter_project_role_entitlements(
    families: Families, scope: Scope
) -> Iterator[EntitlementRecord]:
    """Each role of each project (one role-map call per project, fanned out)."""
    projects = families.jira.list_projects(keys=scope.project_keys)
    calls = fan_out(
        lambda p: families.jira.get_project_roles(p.id),
        projects,
        max_workers=families.settings.max_concurrency,
    )
    for project, roles in calls:
        resource = project_resource(project)
        for role_name, role_id in sorted(roles.items()):
            yield EntitlementRecord(
                ref=EntitlementRef(
                    EntitlementKind.PROJECT_ROLE, f"{project.id}:{role_id}", project.key
                ),
                name=role_name,
                display_name=f"{project.key} · {role_name}",
                resource=resource,
            )


def space_permission_entitlements(space: Space) -> Iterator[EntitlementRecord]:
    """The 14 requestable (operation, target) pairs of a space, held or not."""
    resource = space_resource(space)
    for key, target, label in SPACE_PERMISSIONS:
        yield EntitlementRecord(
            ref=EntitlementRef(
                EntitlementKind.SPACE_PERMISSION,
                f"{space.id}:{key}:{target}",
                space.key,
            ),
            name=f"{key}/{target}",
            display_name=f"{space.key} · {label}",
            resource=resource,
        )


def iter_org_role_entitlements(families: Families) -> Iterator[EntitlementRecord]:
    """Product roles per workspace, where the Admin API lists workspaces."""
    for workspace in iter_workspaces(families):
        resource = workspace_resource(workspace)
        for role, label in WORKSPACE_ROLES:
            yield EntitlementRecord(
                ref=EntitlementRef(EntitlementKind.ORG_ROLE, f"{role}@{workspace.id}"),
                name=role,
                display_name=f"{resource.name} · {label}",
                resource=resource,
            )


def iter_entitlements(
    families: Families, kinds: frozenset[EntitlementKind], scope: Scope
) -> Iterator[EntitlementRecord]:
    """Every entitlement of the given kinds."""
    if EntitlementKind.GROUP in kinds:
        yield from iter_group_entitlements(families, scope)
    if EntitlementKind.PROJECT_ROLE in kinds:
        yield from iter_project_role_entitlements(families, scope)
    if EntitlementKind.SPACE_PERMISSION in kinds:
        for space in families.confluence.list_spaces(keys=scope.space_keys):
            yield from space_permission_entitlements(space)
    if EntitlementKind.ORG_ROLE in kinds:
        try:
            yield from iter_org_role_entitlements(families)
        except FeatureNotEnabled:
            return
