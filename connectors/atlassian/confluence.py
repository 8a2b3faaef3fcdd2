"""Confluence Cloud REST client: spaces and space permissions (v2 reads, v1 writes).

Base URL `https://{site}.atlassian.net` (paths carry `/wiki`), Basic auth. Space
permissions can be written only through v1; v2 lists them. Content operations
(pages, blog posts, comments, attachments, restrictions, export) are in
`confluence_content.py`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pydantic

from connectors.atlassian.paging import iter_confluence_v2
from connectors.atlassian.responses import Model, TextId, parse_model
from connectors.base import ApiFamily, Conflict, Invalid, NotFound

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from connectors.atlassian.http import ApiClient

V1 = "/wiki/rest/api"
V2 = "/wiki/api/v2"
# v1 answers 400 when the permission is already there; that is success for a grant.
ALREADY_EXISTS = re.compile(r"already (?:exists|granted|has|have)|duplicate", re.I)

# The only (operation key, target) pairs the v1 add-permission endpoint accepts,
# with the label the Confluence UI shows.
SPACE_PERMISSIONS: tuple[tuple[str, str, str], ...] = (
    ("read", "space", "View space"),
    ("delete", "space", "Delete own content"),
    ("create", "page", "Add pages"),
    ("delete", "page", "Delete pages"),
    ("archive", "page", "Archive pages"),
    ("create", "blogpost", "Add blog posts"),
    ("delete", "blogpost", "Delete blog posts"),
    ("create", "comment", "Add comments"),
    ("delete", "comment", "Delete comments"),
    ("create", "attachment", "Add attachments"),
    ("delete", "attachment", "Delete attachments"),
    ("export", "space", "Export space"),
    ("restrict_content", "space", "Add/Delete restrictions"),
    ("administer", "space", "Admin"),
)
READ_SPACE = ("read", "space")


class Space(Model):
    """A space (v2): `id` is a string, `key` the short key v1 wants."""

    id: TextId
    key: str
    name: str
    type: str | None = None
    status: str | None = None
    author_id: str | None = pydantic.Field(None, alias="authorId")
    homepage_id: str | None = pydantic.Field(None, alias="homepageId")


class Principal(Model):
    """Who a permission is for: `user` (accountId), `group` (groupId) or `role`."""

    type: str
    id: str | None = None


class Operation(Model):
    """What a permission allows: key + target type."""

    key: str
    target_type: str = pydantic.Field(
        validation_alias=pydantic.AliasChoices("targetType", "target")
    )


class SpacePermission(Model):
    """One space permission (v2 list); its id is the one v1 DELETE takes."""

    id: TextId
    principal: Principal
    operation: Operation

    @property
    def pair(self) -> tuple[str, str]:
        """(operation key, target)."""
        return (self.operation.key, self.operation.target_type)


class AddedPermission(Model):
    """Answer of the v1 add: the new permission's id."""

    id: TextId


class ConfluenceClient:
    """One method per Confluence space/permission operation."""

    family = ApiFamily.CONFLUENCE

    def __init__(self, api: ApiClient) -> None:
        self.api = api

    # https://developer.atlassian.com/cloud/confluence/rest/v2/api-group-space/#api-spaces-get
    def list_spaces(self, *, keys: Iterable[str] = ()) -> Iterator[Space]:
        """Every space (or those with the given keys)."""
        params = {"keys": ",".join(keys)} if keys else {}
        return iter_confluence_v2(
            self.api, f"{V2}/spaces", Space, params=params or None
        )

    # https://developer.atlassian.com/cloud/confluence/rest/v2/api-group-space/#api-spaces-get (keys=)
    def find_space_by_key(self, key: str) -> Space | None:
        """The space with this key, or None."""
        return next((s for s in self.list_spaces(keys=[key]) if s.key == key), None)

    # https://developer.atlassian.com/cloud/confluence/rest/v2/api-group-space/#api-spaces-id-get
    def get_space(self, space_id: str) -> Space:
        """One space by id."""
        body = self.api.request("GET", f"{V2}/spaces/{space_id}")
        return parse_model(Space, body, family=self.family, what="space")

    # https://developer.atlassian.com/cloud/confluence/rest/v2/api-group-space-permissions/#api-spaces-id-permissions-get
    def list_space_permissions(self, space_id: str) -> Iterator[SpacePermission]:
        """Every permission of a space (users, groups and roles)."""
        path = f"{V2}/spaces/{space_id}/permissions"
        return iter_confluence_v2(self.api, path, SpacePermission)

    # https://developer.atlassian.com/cloud/confluence/rest/v1/api-group-space-permissions/#api-wiki-rest-api-space-spacekey-permission-post
    def add_space_permission(
        self,
        space_key: str,
        *,
        subject_type: str,
        identifier: str,
        key: str,
        target: str,
    ) -> str | None:
        """Grant one permission; its id, or None when the subject already had it."""
        payload = {
            "subject": {"type": subject_type, "identifier": identifier},
            "operation": {"key": key, "target": target},
        }
        try:
            body = self.api.request(
                "POST",
                f"{V1}/space/{space_key}/permission",
                json=payload,
                retry_unsafe=True,  # a repeat answers "already exists"
            )
        except (Invalid, Conflict) as exc:
            if ALREADY_EXISTS.search(exc.message):
                return None
            raise
        return parse_model(
            AddedPermission, body, family=self.family, what="permission"
        ).id

    # https://developer.atlassian.com/cloud/confluence/rest/v1/api-group-space-permissions/#api-wiki-rest-api-space-spacekey-permission-id-delete
    def delete_space_permission(self, space_key: str, permission_id: str) -> bool:
        """Revoke one permission; False when it was already gone."""
        try:
            self.api.request(
                "DELETE", f"{V1}/space/{space_key}/permission/{permission_id}"
            )
        except NotFound:
            return False
        return True

    # https://developer.atlassian.com/cloud/confluence/rest/v2/api-group-space/#api-spaces-get (limit=1)
    def check_spaces(self) -> int:
        """Number of spaces on the first page of one (the connection check)."""
        body = self.api.request("GET", f"{V2}/spaces", params={"limit": 1})
        results = body.get("results") if isinstance(body, dict) else None
        return len(results) if isinstance(results, list) else 0
