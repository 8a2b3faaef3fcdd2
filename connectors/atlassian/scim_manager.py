"""The SCIM manager of one account, as the account listing resolves it.

Listing accounts resolves every SCIM `manager` (a SCIM user id) to the manager's
accountId from the whole directory at once. Reading one account by id must do the same,
or an incremental run that fetches changed accounts one by one would clear their
managers (and their identities' managers) until the next full run.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from connectors.base import NotFound

if TYPE_CHECKING:
    from connectors.atlassian.families import Families
    from connectors.records import AccountRecord


def with_manager(
    families: Families, record: AccountRecord | None
) -> AccountRecord | None:
    """The record with its SCIM manager's accountId; two SCIM reads when it has one."""
    scim = families.scim
    if record is None or scim is None or not record.scim_id:
        return record
    if record.manager_account_id:
        return record
    try:
        user = scim.get_user(record.scim_id)
        manager = user.enterprise.manager if user.enterprise else None
        if manager is None or not manager.value:
            return record
        boss = scim.get_user(manager.value)
    except NotFound:  # deleted meanwhile: the listing would not resolve it either
        return record
    if not boss.account_id:
        return record
    return replace(record, manager_account_id=boss.account_id)
