"""The phases of one reconciliation run, in order: accounts to sweep.

`connectors.reconcile.execute_run` builds a `Reconciliation` for a claimed run and calls
`execute()`; see connectors/RECONCILIATION.md for what each phase reads and writes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.timezone import now

from connectors.base import EntitlementKind
from connectors.models import Account, Application, ReconciliationRun
from connectors.reconcile_assignments import AssignmentWriter
from connectors.reconcile_catalog import (
    CatalogIndex,
    write_accounts,
    write_entitlements,
    write_resources,
)
from connectors.reconcile_identities import IdentitySync, link_managers
from connectors.reconcile_scope import (
    ACCOUNTS,
    ENTITLEMENT_KINDS,
    RESOURCE_KINDS,
    SITES,
    active_kinds,
    sweep_filters,
    to_scope,
)
from connectors.reconcile_stream import IdSet, batched, read_ahead
from connectors.reconcile_sweep import apply_sweep, plan_sweep, touch_last_seen

if TYPE_CHECKING:
    from connectors.base import Connector
    from connectors.reconcile_progress import RunTracker
    from connectors.records import AccountRecord

BATCH = 500


class Reconciliation:
    """One run's phases, in order."""

    def __init__(
        self, run: ReconciliationRun, connector: Connector, tracker: RunTracker
    ) -> None:
        self.run = run
        self.application = run.application
        self.connector = connector
        self.tracker = tracker
        self.kinds = active_kinds(run.only, run.scope)
        self.scope = to_scope(run.scope)
        self.stamp = run.started_at or now()
        self.index = CatalogIndex(self.application)
        self.full = not run.is_incremental or not self._has_full_run()
        self._identities: IdentitySync | None = None
        self.assignments_seen = IdSet()
        self.writer: AssignmentWriter | None = None

    def _has_full_run(self) -> bool:
        if (
            ReconciliationRun.objects.succeeded()
            .filter(
                application=self.application, is_incremental=False, scope={}, only=[]
            )
            .exists()
        ):
            return True
        self.tracker.warn(
            "No earlier full run: this incremental run ran as a full one."
        )
        return False

    @property
    def identities(self) -> IdentitySync:
        """Identity matching, set up on first use (limited runs may never need it)."""
        if self._identities is None:
            self._identities = IdentitySync(
                self.application, self.index, self.tracker, full=self.full
            )
        return self._identities

    def execute(self) -> None:
        """Fetch and write every covered kind, then sweep what vanished."""
        if ACCOUNTS in self.kinds:
            self.reconcile_accounts()
        resource_kinds = {RESOURCE_KINDS[k] for k in self.kinds if k in RESOURCE_KINDS}
        entitlement_kinds = [
            ENTITLEMENT_KINDS[k] for k in self.kinds if k in ENTITLEMENT_KINDS
        ]
        if resource_kinds:
            self.reconcile_resources(resource_kinds)
        if entitlement_kinds:
            self.reconcile_entitlements(entitlement_kinds)
        held_kinds = [
            ENTITLEMENT_KINDS[k]
            for k in self.kinds
            if k in ENTITLEMENT_KINDS and k != SITES
        ]
        if held_kinds:
            self.reconcile_assignments(held_kinds)
        self.sweep()

    def reconcile_accounts(self) -> None:
        """Accounts, the identities they match or create, then managers."""
        self.tracker.start_phase("accounts")
        for batch in batched(
            read_ahead(self.connector.iter_accounts(self.scope)), BATCH
        ):
            self.write_account_batch(batch)
            self.tracker.advance(len(batch))
        self.tracker.finish_phase()
        self.tracker.start_phase("managers")
        link_managers(self.application, self.tracker)
        self.tracker.finish_phase()

    def write_account_batch(self, batch: list[AccountRecord]) -> None:
        """Write accounts and match them to identities."""
        outcomes = write_accounts(self.index, batch, self.tracker, self.stamp)
        self.identities.sync(batch, outcomes)

    def fetch_accounts(self, account_ids: set[str]) -> None:
        """Catalog holders the account listing did not return, fetched by id."""
        found = list(self.connector.get_accounts(sorted(account_ids)))
        if found:
            self.write_account_batch(found)

    def confirm_gone(self, account_pks: list[int]) -> list[int]:
        """Of accounts a domain-limited run did not see, those Atlassian no longer has.

        An account whose email left the domain is not in the filtered listing but still
        exists: it is fetched by id and updated instead of being marked removed.
        """
        ids = dict(
            Account.objects.filter(pk__in=account_pks).values_list("pk", "account_id")
        )
        self.fetch_accounts(set(ids.values()))
        return [pk for pk in account_pks if pk not in self.index.seen_accounts]

    def reconcile_resources(self, kinds: set[str]) -> None:
        """Projects, spaces and sites."""
        self.tracker.start_phase("resources")
        records = (
            r for r in self.connector.iter_resources(self.scope) if r.kind in kinds
        )
        for batch in batched(read_ahead(records), BATCH):
            write_resources(self.index, batch, self.tracker, self.stamp)
            self.tracker.advance(len(batch))
        self.tracker.finish_phase()

    def reconcile_entitlements(self, kinds: list[Any]) -> None:
        """Groups, project roles, space permissions, org roles."""
        self.tracker.start_phase("entitlements")
        records = self.connector.iter_entitlements(kinds, self.scope)
        for batch in batched(read_ahead(records), BATCH):
            write_entitlements(self.index, batch, self.tracker, self.stamp)
            self.tracker.advance(len(batch))
        self.tracker.finish_phase()

    def reconcile_assignments(self, kinds: list[Any]) -> None:
        """Role actors and space permission holders, then group members.

        Access held through a group is not written: it is what the group holds times
        its members, computed when asked (see `AssignmentQuerySet.reaching`).
        """
        writer = AssignmentWriter(
            self.index, self.tracker, self.stamp, fetch_accounts=self.fetch_accounts
        )
        self.writer = writer
        self.assignments_seen = writer.seen
        holders = [k for k in kinds if k != EntitlementKind.GROUP]
        if holders:
            self.stream_assignments("assignments", writer, holders)
        if EntitlementKind.GROUP in kinds:
            self.stream_assignments("memberships", writer, [EntitlementKind.GROUP])

    def stream_assignments(
        self, phase: str, writer: AssignmentWriter, kinds: list[Any]
    ) -> None:
        """One phase of assignment records from the connector through the writer."""
        self.tracker.start_phase(phase)
        records = self.connector.iter_assignments(kinds, self.scope)
        for record in read_ahead(records, size=20000):
            writer.add(record)
        writer.flush()
        self.tracker.finish_phase()

    def sweep(self) -> None:
        """Mark what vanished and end what no longer holds."""
        self.tracker.start_phase("sweep")
        filters = sweep_filters(self.kinds, self.run.scope)
        if ACCOUNTS in self.kinds and filters.accounts is None:
            self.tracker.warn(
                "A SCIM filter's reach is unknown: no account was marked removed."
            )
        plan = plan_sweep(self.index, self.assignments_seen, filters, self.stamp)
        if self.run.scope.get("domain") and plan.accounts:
            plan.accounts = self.confirm_gone(plan.accounts)
        apply_sweep(self.application, plan, now(), self.tracker)
        if self.full:
            touch_last_seen(self.application, filters, self.stamp)
        self.tracker.finish_phase()
        self._bookmark()

    def _bookmark(self) -> None:
        """Remember when the last full and last run started (incremental bookmarks)."""
        state = dict(
            Application.objects.values_list("sync_state", flat=True).get(
                pk=self.application.pk
            )
            or {}
        )
        state["last_run_started_at"] = self.stamp.isoformat()
        if self.full and not self.run.scope and not self.run.only:
            state["last_full_run_started_at"] = self.stamp.isoformat()
        Application.objects.filter(pk=self.application.pk).update(sync_state=state)
