"""Reading who holds what: group members, project role actors, space permissions."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from connectors.atlassian.confluence import SPACE_PERMISSIONS
from connectors.atlassian.fanout import fan_out
from connectors.base import (
    AssignmentRecord,
    EntitlementKind,
    EntitlementRef,
    HolderType,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from connectors.atlassian.confluence import Space, SpacePermission
    from connectors.atlassian.families import Families
    from connectors.atlassian.jira import JiraProject, ProjectRoleActors
    from connectors.base import Scope

logger = logging.getLogger(__name__)
REQUESTABLE_PAIRS = frozenset((key, target) for key, target, _ in SPACE_PERMISSIONS)
PRINCIPAL_HOLDERS = {"user": HolderType.USER, "group": HolderType.GROUP}


def iter_assignments(
    families: Families, kinds: frozenset[EntitlementKind], scope: Scope
) -> Iterator[AssignmentRecord]:
    """Direct holdings of the given kinds. Org roles are not read (one call per user)."""
    if EntitlementKind.GROUP in kinds:
        yield from iter_group_members(families, scope)
    if EntitlementKind.PROJECT_ROLE in kinds:
        yield from iter_project_role_actors(families, scope)
    if EntitlementKind.SPACE_PERMISSION in kinds:
        yield from iter_space_permission_holders(families, scope)


def iter_group_members(families: Families, scope: Scope) -> Iterator[AssignmentRecord]:
    """Every user member of every group, groups fetched concurrently."""
    jira = families.jira
    groups = jira.list_groups(names=scope.group_names)
    members = fan_out(
        lambda g: [u.account_id for u in jira.list_group_members(g.group_id)],
        groups,
        max_workers=families.settings.max_concurrency,
    )
    for group, account_ids in members:
        ref = EntitlementRef(EntitlementKind.GROUP, group.group_id)
        for account_id in account_ids:
            yield AssignmentRecord(ref, HolderType.USER, account_id)


def _project_roles(families: Families, project: JiraProject) -> list[ProjectRoleActors]:
    jira = families.jira
    roles = jira.get_project_roles(project.id)
    return [
        jira.get_project_role(project.id, role_id) for role_id in sorted(roles.values())
    ]


def iter_project_role_actors(
    families: Families, scope: Scope
) -> Iterator[AssignmentRecord]:
    """User actors, and group actors as group holders, per project (fanned out)."""
    projects = families.jira.list_projects(keys=scope.project_keys)
    per_project = fan_out(
        lambda p: _project_roles(families, p),
        projects,
        max_workers=families.settings.max_concurrency,
    )
    for project, roles in per_project:
        for role in roles:
            ref = EntitlementRef(
                EntitlementKind.PROJECT_ROLE, f"{project.id}:{role.id}", project.key
            )
            for actor in role.actors:
                if actor.account_id:
                    yield AssignmentRecord(ref, HolderType.USER, actor.account_id)
                elif actor.group_id:
                    yield AssignmentRecord(ref, HolderType.GROUP, actor.group_id)


def iter_space_permission_holders(
    families: Families, scope: Scope
) -> Iterator[AssignmentRecord]:
    """User and group principals of every requestable space permission (fanned out)."""
    confluence = families.confluence
    spaces = confluence.list_spaces(keys=scope.space_keys)
    per_space = fan_out(
        lambda s: list(confluence.list_space_permissions(s.id)),
        spaces,
        max_workers=families.settings.max_concurrency,
    )
    for space, permissions in per_space:
        yield from space_assignments(space, permissions)


def space_assignments(
    space: Space, permissions: list[SpacePermission]
) -> Iterator[AssignmentRecord]:
    """Assignments from one space's permission list; roles and odd pairs are skipped."""
    for permission in permissions:
        holder = PRINCIPAL_HOLDERS.get(permission.principal.type)
        key, target = permission.pair
        if holder is None or not permission.principal.id:
            continue  # role principals (RBAC beta) and anonymous access
        if (key, target) not in REQUESTABLE_PAIRS:
            logger.debug(
                "space %s: skipping non-requestable pair %s/%s", space.key, key, target
            )
            continue
        ref = EntitlementRef(
            EntitlementKind.SPACE_PERMISSION, f"{space.id}:{key}:{target}", space.key
        )
        yield AssignmentRecord(ref, holder, permission.principal.id)
