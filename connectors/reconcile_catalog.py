"""Writing accounts, resources and entitlements, and the index of what the run knows.

Each batch of records goes through `reconcile_rows.write_rows`: one SELECT of the
stored rows with the same keys and at most one INSERT … ON CONFLICT DO UPDATE for the
new and changed ones; unchanged rows are not written. The `CatalogIndex` remembers
only external id → primary key (and the linked identity), never whole records.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import models

from connectors.models import Account, Entitlement, Resource
from connectors.reconcile_rows import UNCHANGED, write_rows
from connectors.reconcile_stream import IdSet

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from connectors.models import Application
    from connectors.reconcile_progress import RunTracker
    from connectors.records import AccountRecord, EntitlementRecord, ResourceRecord

ACCOUNT_TEXT_FIELDS = (
    "scim_id",
    "email",
    "display_name",
    "user_name",
    "given_name",
    "family_name",
    "nickname",
    "title",
    "department",
    "organization",
    "timezone",
    "manager_account_id",
    "account_type",
)
ACCOUNT_FIELDS = (
    *ACCOUNT_TEXT_FIELDS,
    "status",
    "is_managed",
    "last_active",
    "attributes",
)
RESOURCE_FIELDS = ("key", "name", "description", "owner_id", "attributes")
ENTITLEMENT_FIELDS = (
    "resource_id",
    "name",
    "display_name",
    "description",
    "is_managed_externally",
    "attributes",
)


@dataclass
class CatalogIndex:
    """External ids → primary keys the run knows, and which rows the run saw."""

    application: Application
    accounts: dict[str, tuple[int, int | None]] = field(default_factory=dict)
    resources: dict[tuple[str, str], tuple[int, int | None]] = field(
        default_factory=dict
    )
    entitlements: dict[tuple[str, str], int] = field(default_factory=dict)
    seen_accounts: IdSet = field(default_factory=IdSet)
    seen_resources: IdSet = field(default_factory=IdSet)
    seen_entitlements: IdSet = field(default_factory=IdSet)

    def load_accounts(self, account_ids: Iterable[str]) -> None:
        """Learn stored accounts the run has not met yet (limited runs, owners)."""
        missing = {a for a in account_ids if a and a not in self.accounts}
        if not missing:
            return
        rows = Account.objects.present().filter(
            application=self.application, account_id__in=missing
        )
        for account_id, pk, identity_id in rows.values_list(
            "account_id", "pk", "identity_id"
        ):
            self.accounts[account_id] = (pk, identity_id)

    def load_entitlements(self, keys: Iterable[tuple[str, str]]) -> None:
        """Learn stored entitlements the run has not met yet."""
        missing = {k for k in keys if k not in self.entitlements}
        if not missing:
            return
        rows = Entitlement.objects.present().filter(
            application=self.application,
            kind__in={kind for kind, _ in missing},
            external_id__in={external_id for _, external_id in missing},
        )
        for kind, external_id, pk in rows.values_list("kind", "external_id", "pk"):
            self.entitlements[(kind, external_id)] = pk

    def identity_of(self, account_id: str | None) -> int | None:
        """The identity linked to an Atlassian account, if the run knows one."""
        if not account_id:
            return None
        self.load_accounts([account_id])
        return self.accounts.get(account_id, (None, None))[1]


# -- column values ------------------------------------------------------------------


def _clip(model: type[models.Model], values: dict[str, Any]) -> dict[str, Any]:
    """Cut texts to their column's length: PostgreSQL refuses longer ones."""
    for name, value in values.items():
        if isinstance(value, str):
            limit = getattr(model._meta.get_field(name), "max_length", None)
            if limit and len(value) > limit:
                values[name] = value[:limit]
    return values


def _plain(value: Any) -> Any:
    """JSON-safe data, as the database will give it back (tuples become lists)."""
    return json.loads(json.dumps(value, default=str))


# -- accounts -----------------------------------------------------------------------------


def account_values(record: AccountRecord) -> dict[str, Any]:
    """The stored columns of an account record."""
    values: dict[str, Any] = {
        name: getattr(record, name) or "" for name in ACCOUNT_TEXT_FIELDS
    }
    values["status"] = str(record.status)
    values["is_managed"] = bool(record.is_managed)
    values["last_active"] = record.last_active
    values["attributes"] = _plain(dict(record.attributes))
    return _clip(Account, values)


def write_accounts(
    index: CatalogIndex,
    records: list[AccountRecord],
    tracker: RunTracker,
    stamp: datetime,
) -> dict[str, tuple[int, str]]:
    """Upsert a batch of accounts; returns account_id → (pk, outcome)."""
    wanted = {(r.account_id,): account_values(r) for r in records if r.account_id}
    written = write_rows(
        Account,
        index.application,
        wanted,
        key_fields=("account_id",),
        compare_fields=ACCOUNT_FIELDS,
        stamp=stamp,
        extra_fields=("identity_id",),
    )
    outcomes: dict[str, tuple[int, str]] = {}
    for (account_id,), (pk, outcome, row) in written.items():
        index.accounts[account_id] = (pk, row["identity_id"] if row else None)
        index.seen_accounts.add(pk)
        tracker.count("accounts", outcome)
        outcomes[account_id] = (pk, outcome)
    return outcomes


# -- resources and entitlements -------------------------------------------------------------


def resource_values(index: CatalogIndex, record: ResourceRecord) -> dict[str, Any]:
    """The stored columns of a resource record (the owner is the lead's identity)."""
    return _clip(
        Resource,
        {
            "key": record.key,
            "name": record.name,
            "description": record.description or "",
            "owner_id": index.identity_of(record.owner_account_id),
            "attributes": _plain(dict(record.attributes)),
        },
    )


def write_resources(
    index: CatalogIndex,
    records: list[ResourceRecord],
    tracker: RunTracker,
    stamp: datetime,
) -> None:
    """Upsert a batch of projects, spaces or sites."""
    index.load_accounts(r.owner_account_id for r in records if r.owner_account_id)
    wanted = {(str(r.kind), r.external_id): resource_values(index, r) for r in records}
    written = write_rows(
        Resource,
        index.application,
        wanted,
        key_fields=("kind", "external_id"),
        compare_fields=RESOURCE_FIELDS,
        stamp=stamp,
    )
    for (kind, external_id), (pk, outcome, _row) in written.items():
        index.resources[(kind, external_id)] = (
            pk,
            wanted[(kind, external_id)]["owner_id"],
        )
        index.seen_resources.add(pk)
        tracker.count(f"{kind}s", outcome)


def entitlement_values(
    index: CatalogIndex, record: EntitlementRecord
) -> dict[str, Any]:
    """The stored columns of an entitlement record."""
    resource_id = None
    if record.resource is not None:
        resource_id = index.resources[
            (str(record.resource.kind), record.resource.external_id)
        ][0]
    return _clip(
        Entitlement,
        {
            "resource_id": resource_id,
            "name": record.name,
            "display_name": record.display_name,
            "description": record.description or "",
            "is_managed_externally": bool(record.is_managed_externally),
            "attributes": _plain(dict(record.attributes)),
        },
    )


def write_entitlements(
    index: CatalogIndex,
    records: list[EntitlementRecord],
    tracker: RunTracker,
    stamp: datetime,
) -> None:
    """Upsert a batch of entitlements; a new one is owned by its resource's owner."""
    unknown = [
        r.resource
        for r in records
        if r.resource is not None
        and (str(r.resource.kind), r.resource.external_id) not in index.resources
    ]
    if (
        unknown
    ):  # a resource the resource listing did not return: keep the catalog whole
        write_resources(
            index,
            list({(r.kind, r.external_id): r for r in unknown}.values()),
            tracker,
            stamp,
        )
    wanted = {
        (str(r.ref.kind), r.ref.external_id): entitlement_values(index, r)
        for r in records
    }
    written = write_rows(
        Entitlement,
        index.application,
        wanted,
        key_fields=("kind", "external_id"),
        compare_fields=ENTITLEMENT_FIELDS,
        stamp=stamp,
    )
    for (kind, external_id), (pk, outcome, _row) in written.items():
        index.entitlements[(kind, external_id)] = pk
        index.seen_entitlements.add(pk)
        tracker.count(f"{kind}s", outcome)
    set_default_owners(
        index, [pk for pk, outcome, _ in written.values() if outcome != UNCHANGED]
    )


def set_default_owners(index: CatalogIndex, entitlement_pks: list[int]) -> None:
    """Entitlements without an owner get their resource's owner; admins may change it."""
    if not entitlement_pks:
        return
    owners = {pk: owner for pk, owner in index.resources.values() if owner}
    rows = Entitlement.objects.filter(
        pk__in=entitlement_pks, owner__isnull=True, resource__isnull=False
    ).values_list("pk", "resource_id")
    by_owner: dict[int, list[int]] = {}
    for pk, resource_id in rows:
        owner = owners.get(resource_id)
        if owner:
            by_owner.setdefault(owner, []).append(pk)
    for owner, pks in by_owner.items():
        Entitlement.objects.filter(pk__in=pks, owner__isnull=True).update(
            owner_id=owner
        )
