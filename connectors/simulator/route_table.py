"""Every family's routes in one table, and which family and route answer a request."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from connectors.simulator import (
    admin,
    admin_access,
    admin_groups,
    admin_legacy,
    admin_manage,
    admin_users,
    confluence,
    confluence_attachments,
    confluence_content,
    confluence_v1,
    jira,
    jira_groups,
    jira_issues,
    jira_projects,
    jira_roles,
    scim,
    scim_groups,
    scim_users,
)

if TYPE_CHECKING:
    from connectors.simulator.routing import Route

ROUTES: list[Route] = [
    *scim.ROUTES,
    *scim_users.ROUTES,
    *scim_groups.ROUTES,
    *admin.ROUTES,
    *admin_users.ROUTES,
    *admin_groups.ROUTES,
    *admin_legacy.ROUTES,
    *admin_access.ROUTES,
    *admin_manage.ROUTES,
    *jira.ROUTES,
    *jira_groups.ROUTES,
    *jira_projects.ROUTES,
    *jira_roles.ROUTES,
    *jira_issues.ROUTES,
    *confluence.ROUTES,
    *confluence_content.ROUTES,
    *confluence_v1.ROUTES,
    *confluence_attachments.ROUTES,
]


def classify(path: str) -> tuple[str, str]:
    """Return (family, error-body api) for a path."""
    if path.startswith("/scim/directory/"):
        return "scim", "scim"
    if path.startswith("/admin/") or (path.startswith("/users/") and "/manage" in path):
        return "admin", "admin"
    if path.startswith("/rest/api/3/"):
        return "jira", "jira"
    if path.startswith("/wiki/api/v2/"):
        return "confluence", "confluence-v2"
    if path.startswith("/wiki/"):
        return "confluence", "confluence-v1"
    return "site", "jira"


@functools.lru_cache(maxsize=8192)
def route_for(
    method: str, path: str
) -> tuple[Route | None, tuple[tuple[str, str], ...]]:
    """The route and path parameters of (method, path); cached, as the table is fixed.

    A scan tries every route's expression in turn (~150); a listing repeats the same
    few paths thousands of times.
    """
    allowed = False
    for route in ROUTES:
        found = route.regex.match(path)
        if found is None:
            continue
        if route.method == method:
            return route, tuple(found.groupdict().items())
        allowed = True
    return None, (("_method_not_allowed", "1"),) if allowed else ()
