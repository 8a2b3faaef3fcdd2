"""Mark and sweep: what a successful run did not see is marked removed, never deleted.

Planning reads only: the ids of covered rows the run did not see. Applying is one
transaction: accounts, resources and entitlements get `removed_at`, and the assignments
they carried and the unseen ones get `ended_at`. Access held through a group is not
stored (it is computed from memberships and group holdings when asked), so ending a
membership or a holding is all it takes. A run that fails never reaches the sweep, so
there is no half-swept state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Count, Q

from connectors.base import EntitlementKind
from connectors.models import Account, Assignment, Entitlement, Resource
from connectors.reconcile_assignments import count_key
from connectors.reconcile_stream import batched

if TYPE_CHECKING:
    from datetime import datetime

    from django.db import models

    from connectors.models import Application
    from connectors.reconcile_catalog import CatalogIndex
    from connectors.reconcile_progress import RunTracker
    from connectors.reconcile_scope import SweepFilters
    from connectors.reconcile_stream import IdSet

CHUNK = 500


@dataclass
class SweepPlan:
    """Covered rows the run did not see: (pk, kind) pairs per model."""

    accounts: list[int] = field(default_factory=list)
    resources: list[tuple[int, str]] = field(default_factory=list)
    entitlements: list[tuple[int, str]] = field(default_factory=list)
    assignments: list[tuple[int, str]] = field(default_factory=list)


def _unseen(rows: models.QuerySet, seen: IdSet, *fields: str) -> list:
    """Rows of `rows` whose pk is not in `seen`, streamed; (pk, *fields) or pk."""
    result = []
    values = (
        rows.values_list("pk", *fields) if fields else rows.values_list("pk", flat=True)
    )
    for row in values.iterator(chunk_size=5000):
        pk = row[0] if fields else row
        if pk not in seen:
            result.append(row)
    return result


def plan_sweep(
    index: CatalogIndex,
    assignments_seen: IdSet,
    filters: SweepFilters,
    started_at: datetime,
) -> SweepPlan:
    """What the run covered but did not see (reads only)."""
    application = index.application
    plan = SweepPlan()
    if filters.accounts is not None:
        accounts = Account.objects.present().filter(application=application)
        plan.accounts = _unseen(accounts.filter(filters.accounts), index.seen_accounts)
    if filters.resources is not None:
        resources = Resource.objects.filter(
            application=application, removed_at__isnull=True
        )
        plan.resources = _unseen(
            resources.filter(filters.resources), index.seen_resources, "kind"
        )
    if filters.entitlements is not None:
        covered = (
            Entitlement.objects.present()
            .filter(application=application)
            .filter(filters.entitlements)
        )
        plan.entitlements = _unseen(covered, index.seen_entitlements, "kind")
        # Org role holders are not read (one call per user): never sweep them.
        kinds = dict(
            covered.exclude(kind=EntitlementKind.ORG_ROLE).values_list("pk", "kind")
        )
        assignments = Assignment.objects.current().filter(
            application=application,
            first_seen__lt=started_at,  # provisioned while the run ran: not judged
        )
        rows = assignments.values_list("pk", "entitlement_id").iterator(
            chunk_size=10000
        )
        plan.assignments = [
            (pk, kinds[entitlement])
            for pk, entitlement in rows
            if entitlement in kinds and pk not in assignments_seen
        ]
    return plan


@transaction.atomic
def apply_sweep(
    application: Application,
    plan: SweepPlan,
    stamp: datetime,
    tracker: RunTracker,
) -> None:
    """Mark removed and end assignments; one transaction."""
    for chunk in batched(plan.accounts, CHUNK):
        Account.objects.filter(pk__in=chunk, removed_at__isnull=True).update(
            removed_at=stamp
        )
    tracker.count("accounts", "removed", len(plan.accounts))
    for model, rows in ((Resource, plan.resources), (Entitlement, plan.entitlements)):
        for chunk in batched(rows, CHUNK):
            model.objects.filter(
                pk__in=[pk for pk, _ in chunk], removed_at__isnull=True
            ).update(removed_at=stamp)
        for _, kind in rows:
            tracker.count(f"{kind}s", "removed")
    for chunk in batched(plan.assignments, CHUNK):
        Assignment.objects.filter(
            pk__in=[pk for pk, _ in chunk], ended_at__isnull=True
        ).update(ended_at=stamp)
    for _, kind in plan.assignments:
        tracker.count(count_key(kind), "removed")
    end_orphaned(application, plan, stamp, tracker)


def end_orphaned(
    application: Application, plan: SweepPlan, stamp: datetime, tracker: RunTracker
) -> None:
    """End the assignments of the accounts and entitlements this sweep removed."""
    current = Assignment.objects.current().filter(application=application)
    removed_entitlements = [pk for pk, _ in plan.entitlements]
    chunks = [Q(account_id__in=c) for c in batched(plan.accounts, CHUNK)] + [
        Q(entitlement_id__in=c) | Q(holder_group_id__in=c)
        for c in batched(removed_entitlements, CHUNK)
    ]
    for condition in chunks:
        orphaned = current.filter(condition)
        for row in orphaned.values("entitlement__kind").annotate(number=Count("pk")):
            tracker.count(count_key(row["entitlement__kind"]), "removed", row["number"])
        orphaned.update(ended_at=stamp)


def touch_last_seen(
    application: Application, filters: SweepFilters, stamp: datetime
) -> None:
    """After a full run: accounts, resources and entitlements still present were seen now."""
    if filters.accounts is not None:
        Account.objects.present().filter(
            application=application, last_seen__lt=stamp
        ).filter(filters.accounts).update(last_seen=stamp)
    if filters.resources is not None:
        Resource.objects.filter(
            application=application, removed_at__isnull=True, last_seen__lt=stamp
        ).filter(filters.resources).update(last_seen=stamp)
    if filters.entitlements is None:
        return
    covered = (
        Entitlement.objects.present()
        .filter(application=application)
        .filter(filters.entitlements)
    )
    covered.filter(last_seen__lt=stamp).update(last_seen=stamp)
    # Assignments are not touched: millions of rows rewritten every night for a date
    # that says nothing new (a current assignment held at the last run that covered it).
