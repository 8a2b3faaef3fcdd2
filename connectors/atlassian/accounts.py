"""Account lifecycle: find, create (or link), update, disable, enable, delete."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from connectors.atlassian.mapping import patch_operations, user_payload
from connectors.atlassian.provisioning import change_group
from connectors.atlassian.reading import (
    ORG_STATUS,
    from_jira_user,
    from_org_user,
    from_scim_user,
)
from connectors.atlassian.scim_manager import manager_account_id
from connectors.atlassian.user_management import get_managed_account
from connectors.base import (
    AccountResult,
    AccountStatus,
    ChangeResult,
    Conflict,
    Invalid,
    NotFound,
    Unavailable,
)
from connectors.records import AccountRecord

if TYPE_CHECKING:
    from collections.abc import Mapping

    from connectors.atlassian.admin_models import DirectoryUser
    from connectors.atlassian.families import Families
    from connectors.atlassian.scim import ScimUser
    from connectors.base import AccountDraft


def _from_directory_user(user: DirectoryUser) -> AccountRecord:
    """What the org's user listing, the full run's source, says of a managed account.

    The directory also has its profile (job title, department, nickname, time zone)
    and its access suspension (`membershipStatus`), the listing does not: an account
    fetched by id reports only what the listing does, the status from the same
    `accountStatus`, or each incremental run would write what the next full run
    clears (RECONCILIATION.md, "Fetched and listed accounts agree").
    """
    return AccountRecord(
        account_id=user.account_id,
        email=user.email,
        display_name=user.name or user.email or user.account_id,
        status=ORG_STATUS.get(user.account_status or "active", AccountStatus.ACTIVE),
        account_type=user.account_type,
        is_managed=user.is_managed,
    )


def get_account(families: Families, account_id: str) -> AccountRecord | None:
    """The account from the Admin directory, else from the org's managed accounts (both
    completed by SCIM, with its manager), else Jira's view of it, else None.

    Each answer is read once: the directory user (or managed account), the SCIM user
    found by its email, and the manager that SCIM user names.
    """
    if families.admin is not None:
        record = _directory_or_managed_account(families, account_id)
        if record is not None:
            return _completed_by_scim(families, record)
    jira_user = families.jira.get_user(account_id)
    return from_jira_user(jira_user) if jira_user else None


def _directory_or_managed_account(
    families: Families, account_id: str
) -> AccountRecord | None:
    """The directory user; for one removed from the directory, the org's managed account.

    Leaving the directory does not end the org's management of an account on its
    verified domain: the org's user list (what a full run reads) still has it, so it
    is not Jira's external user.
    """
    admin = families.admin
    assert admin is not None  # noqa: S101 - the caller checks
    try:
        user = admin.get_directory_user(families.directory_id(), account_id)
    except NotFound:
        managed = get_managed_account(admin, account_id)
        return from_org_user(managed) if managed else None
    if not user.is_managed:  # an external user: a full run lists it from Jira
        jira_user = families.jira.get_user(account_id)
        if jira_user is not None:
            return from_jira_user(jira_user)
    return _from_directory_user(user)


def _completed_by_scim(families: Families, record: AccountRecord) -> AccountRecord:
    """The record with its SCIM profile and manager when SCIM provisions it (SCIM
    inactive = suspended); the SCIM user is found by the email already read."""
    scim_user = _linked_scim_user(families, record)
    if scim_user is None:
        return record
    suspended = record.status == AccountStatus.SUSPENDED or not scim_user.active
    status = AccountStatus.SUSPENDED if suspended else record.status
    return replace(
        from_scim_user(
            scim_user, manager_account_id=manager_account_id(families, scim_user)
        ),
        status=status,
        account_type=record.account_type,
    )


def _linked_scim_user(families: Families, record: AccountRecord) -> ScimUser | None:
    """The SCIM user with userName = the record's email, linked to its accountId (as
    `Families.scim_user_for`, without reading the email again)."""
    if families.scim is None or not record.email:
        return None
    user = families.scim.find_user_by_user_name(record.email)
    if user is None or (user.account_id and user.account_id != record.account_id):
        return None
    return user


def find_account_by_email(families: Families, email: str) -> AccountRecord | None:
    """The account with this email: SCIM, then the Admin directory, then Jira's search."""
    if families.scim is not None:
        scim_user = families.scim.find_user_by_user_name(email)
        if scim_user is not None and scim_user.account_id:
            return get_account(families, scim_user.account_id) or from_scim_user(
                scim_user
            )
    if families.admin is not None:
        found = families.admin.search_directory_users(
            families.directory_id(), emails=[email]
        )
        user = next(iter(found), None)
        if user is not None:
            return get_account(families, user.account_id) or _from_directory_user(user)
    for jira_user in families.jira.find_users(email):
        if (jira_user.email_address or "").lower() == email.lower():
            return from_jira_user(jira_user)
    return None


def _require_scim(families: Families, what: str) -> None:
    if families.scim is None:
        message = f"{what} needs the SCIM directory: configure the SCIM URL and directory API key"
        raise Invalid(message, family="scim")


def _linked_account_id(families: Families, user: ScimUser) -> str:
    """The accountId Atlassian linked to a SCIM user; Unavailable while it propagates."""
    if user.account_id:
        return user.account_id
    assert families.scim is not None  # noqa: S101 - checked by the caller
    again = families.scim.get_user(user.id)
    if again.account_id:
        return again.account_id
    if families.admin is not None:
        email = user.email or user.user_name
        found = families.admin.search_directory_users(
            families.directory_id(), emails=[email]
        )
        if (match := next(iter(found), None)) is not None:
            return match.account_id
    message = f"SCIM user {user.id} has no Atlassian account yet; retry shortly"
    raise Unavailable(message, family="scim")


def create_account(families: Families, draft: AccountDraft) -> AccountResult:
    """Create through SCIM (409/existing → link, created=False), then join default groups."""
    _require_scim(families, "Creating accounts")
    scim = families.scim
    assert scim is not None  # noqa: S101 - checked above
    created = True
    try:
        user = scim.create_user(user_payload(draft))
    except Conflict:
        existing = scim.find_user_by_user_name(draft.email)
        if existing is None:
            raise
        user, created = existing, False
    account_id = _linked_account_id(families, user)
    for group_id in draft.default_group_ids or families.default_group_ids():
        change_group(families, account_id, group_id, add=True)
    record = replace(from_scim_user(user), account_id=account_id)
    return AccountResult(account=record, created=created)


def _scim_user_or_fail(families: Families, account_id: str, what: str) -> ScimUser:
    _require_scim(families, what)
    user = families.scim_user_for(account_id)
    if user is None:
        message = (
            f"{what}: account {account_id} is not provisioned through this SCIM directory, "
            "so its profile is managed in Atlassian (or another identity provider)"
        )
        raise Invalid(message, family="scim")
    return user


def update_account(
    families: Families, account_id: str, changes: Mapping[str, Any]
) -> AccountRecord:
    """Apply the mapped attribute changes with one SCIM PATCH; returns the new record."""
    user = _scim_user_or_fail(families, account_id, "Updating the account")
    operations = patch_operations(changes)
    if operations:
        assert families.scim is not None  # noqa: S101 - checked above
        user = families.scim.patch_user(user.id, operations)
    return replace(from_scim_user(user), account_id=account_id)


def set_active(families: Families, account_id: str, *, active: bool) -> ChangeResult:
    """SCIM PATCH active for SCIM users, else Admin suspend/restore access."""
    scim_user = families.scim_user_for(account_id)
    if scim_user is not None and families.scim is not None:
        if scim_user.active == active:
            return ChangeResult(already_done=True, detail="through SCIM")
        families.scim.patch_user(
            scim_user.id, [{"op": "replace", "path": "active", "value": active}]
        )
        return ChangeResult(detail="through SCIM")
    if families.admin is None:
        message = "Disabling accounts outside SCIM needs the Organizations API (org id and key)"
        raise Invalid(message, family="admin")
    directory_id = families.directory_id()
    admin = families.admin
    changed = (
        admin.restore_user(directory_id, account_id)
        if active
        else admin.suspend_user(directory_id, account_id)
    )
    return ChangeResult(
        already_done=not changed, detail="through the Organizations API"
    )


def delete_account(families: Families, account_id: str) -> ChangeResult:
    """Remove the account from the organization; idempotent.

    A SCIM-provisioned user is first deleted in SCIM (unlinks it from the identity
    provider and deactivates it, so the IdP cannot silently re-provision a half-removed
    user); then the account is removed from the org directory (Admin v2), which is the
    reference's primary call for "delete user".
    """
    scim_user = families.scim_user_for(account_id)
    scim_deleted = False
    if scim_user is not None and families.scim is not None:
        scim_deleted = families.scim.delete_user(scim_user.id)
    if families.admin is None:
        if scim_user is None:
            message = "Deleting accounts outside SCIM needs the Organizations API (org id and key)"
            raise Invalid(message, family="admin")
        return ChangeResult(already_done=not scim_deleted, detail="SCIM record deleted")
    removed = families.admin.remove_user(families.directory_id(), account_id)
    return ChangeResult(
        already_done=not (scim_deleted or removed),
        detail="removed from the org directory",
    )
