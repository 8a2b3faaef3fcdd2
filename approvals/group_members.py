"""The members view of a group: who Atlassian lists now, with what the catalog knows.

A read for the operations pages and API, not a job: it changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING

from connectors.models import Account

if TYPE_CHECKING:
    from connectors.base import Connector
    from connectors.models import Entitlement

MEMBERS_SHOWN = 1000


@dataclass(frozen=True)
class MemberView:
    """One member of a group, with what the catalog knows of them."""

    account_id: str
    display_name: str
    email: str
    identity: str


def group_members(
    connector: Connector, group: Entitlement
) -> tuple[list[MemberView], bool]:
    """The group's members as Atlassian lists them now; True when cut at MEMBERS_SHOWN."""
    ids = list(
        islice(connector.iter_group_member_ids(group.external_id), MEMBERS_SHOWN + 1)
    )  # type: ignore[attr-defined]
    known = {
        a.account_id: a
        for a in Account.objects.filter(
            application=group.application_id, account_id__in=ids
        ).select_related("identity")
    }
    members = []
    for account_id in ids[:MEMBERS_SHOWN]:
        account = known.get(account_id)
        members.append(
            MemberView(
                account_id=account_id,
                display_name=account.display_name if account else "",
                email=account.email if account else "",
                identity=account.identity.label if account and account.identity else "",
            )
        )
    return members, len(ids) > MEMBERS_SHOWN
