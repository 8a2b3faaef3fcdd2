"""The SCIM manager of one account, as the account listing resolves it.

Listing accounts resolves every SCIM `manager` (a SCIM user id) to the manager's
accountId from the whole directory at once. Reading one account by id must do the same,
or an incremental run that fetches changed accounts one by one would clear their
managers (and their identities' managers) until the next full run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.base import NotFound

if TYPE_CHECKING:
    from connectors.atlassian.families import Families
    from connectors.atlassian.scim import ScimUser


def manager_account_id(families: Families, user: ScimUser) -> str | None:
    """The accountId of the SCIM user's manager: one SCIM read when it names one."""
    scim = families.scim
    manager = user.enterprise.manager if user.enterprise else None
    if scim is None or manager is None or not manager.value:
        return None
    try:
        boss = scim.get_user(manager.value)
    except NotFound:  # deleted meanwhile: the listing would not resolve it either
        return None
    return boss.account_id or None
