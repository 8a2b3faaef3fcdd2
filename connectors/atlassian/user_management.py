"""User management API: whether the org manages an account, and its managed profile.

`GET /users/{accountId}/manage/profile` (api.atlassian.com, the org API key) answers
for the accounts of the org's verified domains, in its directory or not; an account
the org does not manage is refused (403), an unknown one is not found (404).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.atlassian.admin_models import OrgUser
from connectors.atlassian.responses import parse_model
from connectors.base import Forbidden, NotFound

if TYPE_CHECKING:
    from connectors.atlassian.admin import AdminClient


# https://developer.atlassian.com/cloud/admin/user-management/rest/api-group-profile/#api-users-account-id-manage-profile-get
def get_managed_account(admin: AdminClient, account_id: str) -> OrgUser | None:
    """The managed account, or None when the org does not manage it (or it is unknown).

    Its `account` part has the fields of an entry of the org's user list (`OrgUser`).
    """
    try:
        body = admin.api.request("GET", f"/users/{account_id}/manage/profile")
    except (Forbidden, NotFound):
        return None
    return parse_model(
        OrgUser,
        (body or {}).get("account"),
        family=admin.family,
        what="managed profile",
    )
