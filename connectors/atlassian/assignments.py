"""Reading who holds what: group members, project role actors, space permissions."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, NamedTuple

from connectors.atlassian.confluence import SPACE_PERMISSIONS
from connectors.atlassian.fanout import fan_out, fan_out_expanding
from connectors.base import EntitlementKind, EntitlementRef, HolderType, NotFound
from connectors.records import AssignmentRecord

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from connectors.atlassian.confluence import Space, SpacePermission
    from connectors.atlassian.families import Families
    from connectors.atlassian.jira_models import (
        AccountRef,
        JiraGroup,
        JiraProject,
        ProjectRoleActors,
    )
    from connectors.atlassian.paging import PageBean
    from connectors.records import Scope

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


class MembersPage(NamedTuple):
    """One page of one group's members to read; `stride` > 0 once the pages are planned."""

    group: JiraGroup
    start: int
    stride: int = 0
    end: int = 0  # the first page's `total`: where the planned pages stop


def iter_group_members(families: Families, scope: Scope) -> Iterator[AssignmentRecord]:
    """Every user member of every group; pages read concurrently, across groups.

    Page by page, not group by group: a group's first page tells its `total`, and
    its other pages then go to every worker (one group held by all users is hundreds
    of pages, which one worker would read one after the other while the others wait).
    """
    jira = families.jira
    groups = jira.list_groups(names=scope.group_names)
    pages = fan_out_expanding(
        lambda task: jira.get_group_members_page(task.group.group_id, task.start),
        (MembersPage(group, 0) for group in groups),
        _following_pages,
        max_workers=families.settings.max_concurrency,
    )
    for task, page in pages:
        ref = EntitlementRef(EntitlementKind.GROUP, task.group.group_id)
        for user in page.items:
            yield AssignmentRecord(ref, HolderType.USER, user.account_id)


def iter_account_groups(
    families: Families, account_ids: Iterable[str]
) -> Iterator[tuple[str, list[AssignmentRecord] | None]]:
    """Each account's direct groups, one call per account (fanned out); None for an
    account Jira does not know (404): its memberships cannot be judged from here."""

    def groups_of(account_id: str) -> list[AssignmentRecord] | None:
        try:
            groups = families.jira.list_user_groups(account_id)
        except NotFound:
            return None
        return [
            AssignmentRecord(
                EntitlementRef(EntitlementKind.GROUP, group.group_id),
                HolderType.USER,
                account_id,
            )
            for group in groups
        ]

    yield from fan_out(
        groups_of, account_ids, max_workers=families.settings.max_concurrency
    )


def _following_pages(
    task: MembersPage, page: PageBean[AccountRef]
) -> list[MembersPage]:
    """The pages to read after this one.

    After a first page with a `total`, all the others at once, a page size apart
    (the size the server really used: it may cap `maxResults` silently). Without a
    total, or when the last planned page says more follow (members joined meanwhile),
    one page at a time from where the listing stopped.
    """
    group, size = task.group, len(page.items)
    total = page.total
    if task.start == 0 and page.has_more and total is not None and total > size:
        starts = range(size, total, size)
        return [MembersPage(group, start, size, total) for start in starts]
    is_planned = task.stride > 0 and task.start + task.stride < task.end
    if is_planned or not page.has_more:
        return []
    return [MembersPage(group, task.start + size)]


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
