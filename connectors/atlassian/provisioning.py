"""Granting and revoking entitlements; every change is idempotent."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from connectors.atlassian.confluence import READ_SPACE
from connectors.base import (
    ChangeResult,
    Conflict,
    EntitlementKind,
    EntitlementRef,
    Forbidden,
    Invalid,
    ManagedExternally,
    NotFound,
)

if TYPE_CHECKING:
    from connectors.atlassian.confluence import SpacePermission
    from connectors.atlassian.families import Families

# How Jira words a refusal to touch an IdP-synced group (exact code unconfirmed).
IDP_MANAGED = re.compile(
    r"identity provider|synced|scim|externally managed|managed by", re.I
)


def parse_project_role(ref: EntitlementRef) -> tuple[str, int]:
    """(project key or id, role id) from "<projectId>:<roleId>" + resource_key."""
    project_id, _, role_id = ref.external_id.partition(":")
    if not project_id or not role_id.isdigit():
        raise Invalid(
            f"Malformed project role id {ref.external_id!r}; expected <projectId>:<roleId>"
        )
    return ref.resource_key or project_id, int(role_id)


def parse_space_permission(ref: EntitlementRef) -> tuple[str, str, str]:
    """(space id, operation key, target) from "<spaceId>:<operationKey>:<target>"."""
    parts = ref.external_id.split(":")
    if len(parts) != 3 or not all(parts):
        message = f"Malformed space permission id {ref.external_id!r}; expected <spaceId>:<key>:<target>"
        raise Invalid(message)
    return parts[0], parts[1], parts[2]


def parse_org_role(ref: EntitlementRef) -> tuple[str, str | None]:
    """(role, resource id or None for org-level roles) from "<role>@<resourceId>"."""
    role, _, resource = ref.external_id.partition("@")
    if not role:
        raise Invalid(
            f"Malformed org role id {ref.external_id!r}; expected <role>@<resourceId>"
        )
    return role, resource or None


def _managed_externally(group: str) -> ManagedExternally:
    message = (
        f"The group {group} is managed by your identity provider and is read-only in "
        "Atlassian; the user is not provisioned through this connection's SCIM directory, "
        "so make the change in the identity provider."
    )
    return ManagedExternally(message, family="scim")


# -- groups -----------------------------------------------------------------------------


def change_group(
    families: Families, account_id: str, group_id: str, *, add: bool
) -> ChangeResult:
    """Add or remove a member: through SCIM for IdP-synced groups, else through Jira."""
    meta = families.admin_group(group_id)
    if meta is not None and meta.is_managed_externally:
        return _change_scim_group(families, account_id, meta.name, add=add)
    jira = families.jira
    try:
        changed = (
            jira.add_user_to_group(group_id, account_id)
            if add
            else jira.remove_user_from_group(group_id, account_id)
        )
    except (Forbidden, Invalid, Conflict) as exc:
        if isinstance(exc, Forbidden | Invalid) and IDP_MANAGED.search(exc.message):
            raise _managed_externally(group_id) from None
        if type(exc) not in (Invalid, Conflict):
            raise
        # An answer the message did not classify: read the membership back to decide.
        held = any(g.group_id == group_id for g in jira.list_user_groups(account_id))
        if held != add:
            raise
        changed = False
    return ChangeResult(already_done=not changed)


def _change_scim_group(
    families: Families, account_id: str, name: str, *, add: bool
) -> ChangeResult:
    scim = families.scim
    scim_user = families.scim_user_for(account_id)
    scim_group = scim.find_group_by_display_name(name) if scim else None
    if scim is None or scim_user is None or scim_group is None:
        raise _managed_externally(repr(name))
    is_member = any(m.value == scim_user.id for m in scim_group.members)
    if is_member == add:
        return ChangeResult(already_done=True, detail="through SCIM")
    if add:
        scim.patch_group_members(scim_group.id, add=[scim_user.id])
    else:
        scim.patch_group_members(scim_group.id, remove=[scim_user.id])
    return ChangeResult(detail="through SCIM")


# -- project roles ------------------------------------------------------------------------


def _is_actor(families: Families, project: str, role_id: int, account_id: str) -> bool:
    role = families.jira.get_project_role(project, role_id)
    return any(actor.account_id == account_id for actor in role.actors)


def grant_project_role(
    families: Families, account_id: str, ref: EntitlementRef
) -> ChangeResult:
    """Add the user as an actor (POST; PUT would replace every actor)."""
    project, role_id = parse_project_role(ref)
    try:
        changed = families.jira.add_project_role_actors(
            project, role_id, account_ids=[account_id]
        )
    except Invalid:
        if not _is_actor(families, project, role_id, account_id):
            raise
        changed = False
    return ChangeResult(already_done=not changed)


def revoke_project_role(
    families: Families, account_id: str, ref: EntitlementRef
) -> ChangeResult:
    """Remove the user actor; read first, because Jira's 404 also means "no such project"."""
    project, role_id = parse_project_role(ref)
    if not _is_actor(families, project, role_id, account_id):
        return ChangeResult(already_done=True)
    changed = families.jira.remove_project_role_actor(
        project, role_id, account_id=account_id
    )
    return ChangeResult(already_done=not changed)


# -- space permissions --------------------------------------------------------------------


def _subject_permissions(
    families: Families, space_id: str, account_id: str
) -> list[SpacePermission]:
    return [
        p
        for p in families.confluence.list_space_permissions(space_id)
        if p.principal.type == "user" and p.principal.id == account_id
    ]


def _space_key(families: Families, ref: EntitlementRef, space_id: str) -> str:
    return ref.resource_key or families.confluence.get_space(space_id).key


def _ref(space_id: str, space_key: str, key: str, target: str) -> EntitlementRef:
    return EntitlementRef(
        EntitlementKind.SPACE_PERMISSION, f"{space_id}:{key}:{target}", space_key
    )


def grant_space_permission(
    families: Families, account_id: str, ref: EntitlementRef
) -> ChangeResult:
    """Add one permission (v1), granting read/space first when the user lacks it."""
    space_id, key, target = parse_space_permission(ref)
    space_key = _space_key(families, ref, space_id)
    held = {p.pair for p in _subject_permissions(families, space_id, account_id)}
    if (key, target) in held:
        return ChangeResult(already_done=True)
    also: tuple[EntitlementRef, ...] = ()
    confluence = families.confluence
    if (key, target) != READ_SPACE and READ_SPACE not in held:
        confluence.add_space_permission(
            space_key,
            subject_type="user",
            identifier=account_id,
            key="read",
            target="space",
        )
        also = (_ref(space_id, space_key, *READ_SPACE),)
    added = confluence.add_space_permission(
        space_key, subject_type="user", identifier=account_id, key=key, target=target
    )
    return ChangeResult(already_done=added is None and not also, also_granted=also)


def revoke_space_permission(
    families: Families, account_id: str, ref: EntitlementRef
) -> ChangeResult:
    """Delete one permission (v1) by the id the v2 list reports.

    Deleting read/space makes Confluence drop every other permission of the user in the
    space; those are reported in `also_revoked`.
    """
    space_id, key, target = parse_space_permission(ref)
    held = _subject_permissions(families, space_id, account_id)
    match = next((p for p in held if p.pair == (key, target)), None)
    if match is None:
        return ChangeResult(already_done=True)
    space_key = _space_key(families, ref, space_id)
    removed = families.confluence.delete_space_permission(space_key, match.id)
    also: tuple[EntitlementRef, ...] = ()
    if (key, target) == READ_SPACE:
        also = tuple(
            _ref(space_id, space_key, *p.pair) for p in held if p.pair != READ_SPACE
        )
    return ChangeResult(already_done=not removed, also_revoked=also)


# -- org roles ------------------------------------------------------------------------------


def change_org_role(
    families: Families, account_id: str, ref: EntitlementRef, *, add: bool
) -> ChangeResult:
    """Assign or revoke a product/org role (FeatureNotEnabled when Atlassian has not enabled it)."""
    if families.admin is None:
        raise Invalid(
            "Org roles need the Organizations API: configure the org id and API key"
        )
    role, resource = parse_org_role(ref)
    admin = families.admin
    # The role endpoints answer 204 whether or not anything changed: read first.
    if _holds_org_role(families, account_id, role, resource) == add:
        return ChangeResult(already_done=True)
    changed = (
        admin.assign_role(account_id, role, resource)
        if add
        else admin.revoke_role(account_id, role, resource)
    )
    return ChangeResult(already_done=not changed)


# -- dispatch ---------------------------------------------------------------------------------


def grant(families: Families, account_id: str, ref: EntitlementRef) -> ChangeResult:
    """Give the entitlement; idempotent."""
    if ref.kind == EntitlementKind.GROUP:
        return change_group(families, account_id, ref.external_id, add=True)
    if ref.kind == EntitlementKind.PROJECT_ROLE:
        return grant_project_role(families, account_id, ref)
    if ref.kind == EntitlementKind.SPACE_PERMISSION:
        return grant_space_permission(families, account_id, ref)
    return change_org_role(families, account_id, ref, add=True)


def revoke(families: Families, account_id: str, ref: EntitlementRef) -> ChangeResult:
    """Take the entitlement away; idempotent."""
    if ref.kind == EntitlementKind.GROUP:
        return change_group(families, account_id, ref.external_id, add=False)
    if ref.kind == EntitlementKind.PROJECT_ROLE:
        return revoke_project_role(families, account_id, ref)
    if ref.kind == EntitlementKind.SPACE_PERMISSION:
        return revoke_space_permission(families, account_id, ref)
    return change_org_role(families, account_id, ref, add=False)


def has_assignment(families: Families, account_id: str, ref: EntitlementRef) -> bool:
    """Read back whether the account holds the entitlement directly."""
    if ref.kind == EntitlementKind.GROUP:
        return any(
            g.group_id == ref.external_id
            for g in families.jira.list_user_groups(account_id)
        )
    if ref.kind == EntitlementKind.PROJECT_ROLE:
        project, role_id = parse_project_role(ref)
        return _is_actor(families, project, role_id, account_id)
    if ref.kind == EntitlementKind.SPACE_PERMISSION:
        space_id, key, target = parse_space_permission(ref)
        return any(
            p.pair == (key, target)
            for p in _subject_permissions(families, space_id, account_id)
        )
    if families.admin is None:
        return False
    role, resource = parse_org_role(ref)
    return bool(_holds_org_role(families, account_id, role, resource))


def _holds_org_role(
    families: Families, account_id: str, role: str, resource: str | None
) -> bool | None:
    """Whether the user holds the role; None when the assignments cannot be read."""
    assert families.admin is not None  # noqa: S101 - callers check
    try:
        held = families.admin.list_user_role_assignments(
            families.directory_id(), account_id
        )
        return any(
            a.role == role and (resource is None or a.resource == resource)
            for a in held
        )
    except (NotFound, Forbidden):
        return None
