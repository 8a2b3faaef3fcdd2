"""Reconciliation: fill the catalog from Atlassian, stream by stream, then sweep.

`start_run` queues a run (one active run per Application, enforced by the database);
`execute_run` does it: accounts (and identities, managers), resources, entitlements,
assignments, then the sweep. Everything streams: the connector yields records page by
page, a read-ahead thread keeps HTTP busy while batches are written, and only
external id → primary key maps stay in memory. A connector error ends the run FAILED
with the error before the sweep, so the previous catalog is never half-swept.
See connectors/RECONCILIATION.md for what full, incremental and limited runs do.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils.timezone import now

from connectors.base import ConnectorError, EntitlementKind
from connectors.models import (
    Account,
    Application,
    ReconciliationRun,
    RunStatus,
    RunTrigger,
)
from connectors.reconcile_assignments import AssignmentWriter, Holdings
from connectors.reconcile_catalog import (
    CatalogIndex,
    write_accounts,
    write_entitlements,
    write_resources,
)
from connectors.reconcile_errors import (
    InvalidRunRequest,
    ReconciliationError,
    RunAlreadyActive,
)
from connectors.reconcile_identities import IdentitySync, link_managers
from connectors.reconcile_progress import RunTracker
from connectors.reconcile_scope import (
    ACCOUNTS,
    ENTITLEMENT_KINDS,
    GROUPS,
    RESOURCE_KINDS,
    SITES,
    active_kinds,
    sweep_filters,
    to_scope,
    validate_scope,
)
from connectors.reconcile_sql import large_page_cache
from connectors.reconcile_stream import IdSet, batched, read_ahead
from connectors.reconcile_sweep import apply_sweep, plan_sweep, touch_last_seen
from connectors.registry import connector_for
from connectors.signals import reconciliation_finished

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from connectors.base import AccountRecord, Connector

__all__ = [
    "InvalidRunRequest",
    "ReconciliationError",
    "RunAlreadyActive",
    "execute_run",
    "reconcile_from_command",
    "start_run",
]

logger = logging.getLogger(__name__)
ABANDONED_AFTER = timedelta(minutes=15)  # running with no heartbeat: the worker died
NEVER_STARTED_AFTER = timedelta(hours=2)  # queued and never picked up: message lost
BATCH = 500


def start_run(
    application: Application,
    *,
    incremental: bool = False,
    only: list[str] | None = None,
    scope: dict[str, Any] | None = None,
    trigger: str = RunTrigger.CLI,
    triggered_by: Any = None,
) -> ReconciliationRun:
    """Queue a run. Raises RunAlreadyActive, or InvalidRunRequest for bad kinds/filters."""
    clean_scope = validate_scope(scope)
    active_kinds(only, clean_scope)
    if trigger not in RunTrigger.values:
        raise InvalidRunRequest(f"Unknown trigger {trigger!r}.")
    fail_abandoned_runs(application)
    try:
        with transaction.atomic():
            return ReconciliationRun.objects.create(
                application=application,
                is_incremental=incremental,
                only=list(only or []),
                scope=clean_scope,
                trigger=trigger,
                triggered_by=triggered_by,
            )
    except IntegrityError:
        active = ReconciliationRun.objects.active().filter(application=application)
        run_id = active.values_list("pk", flat=True).first()
        raise RunAlreadyActive(application, run_id) from None


def fail_abandoned_runs(application: Application) -> None:
    """Free an Application whose run's worker died or whose task message was lost."""
    moment = now()
    ReconciliationRun.objects.filter(
        application=application,
        status=RunStatus.RUNNING,
        heartbeat_at__lt=moment - ABANDONED_AFTER,
    ).update(
        status=RunStatus.FAILED,
        finished_at=moment,
        error="Abandoned: no sign of life for 15 minutes (the worker stopped?).",
    )
    ReconciliationRun.objects.filter(
        application=application,
        status=RunStatus.QUEUED,
        created_at__lt=moment - NEVER_STARTED_AFTER,
    ).update(
        status=RunStatus.FAILED,
        finished_at=moment,
        error="Never started: no worker took it within 2 hours.",
    )


def execute_run(
    run_id: int, *, on_progress: Callable[[str, int, int | None], None] | None = None
) -> ReconciliationRun:
    """Do a queued run; it ends SUCCEEDED or FAILED (connector errors never raise).

    Claims the run first (QUEUED → RUNNING in one UPDATE): a run another worker took,
    or one already finished, is returned untouched. Errors that are not the
    connector's (a bug, the database gone) also end the run FAILED, then propagate.
    """
    claimed = ReconciliationRun.objects.filter(
        pk=run_id, status=RunStatus.QUEUED
    ).update(status=RunStatus.RUNNING, started_at=now(), heartbeat_at=now())
    run = ReconciliationRun.objects.select_related("application").get(pk=run_id)
    if not claimed:
        logger.info("reconciliation run %s is %s: not running it", run_id, run.status)
        return run
    connector = connector_for(run.application)
    tracker = RunTracker(
        run, connector, estimates=_estimates(run), on_progress=on_progress
    )
    logger.info(
        "reconciliation run %s of application %s started", run.pk, run.application_id
    )
    try:
        with large_page_cache(megabytes=64):
            Reconciliation(run, connector, tracker).execute()
    except ConnectorError as error:
        _finish(run, tracker, RunStatus.FAILED, str(error))
    except Exception as error:
        _finish(run, tracker, RunStatus.FAILED, f"{type(error).__name__}: {error}")
        raise
    else:
        _finish(run, tracker, RunStatus.SUCCEEDED)
    finally:
        close = getattr(connector, "close", None)
        if close is not None:
            close()
    run.refresh_from_db()
    if run.status == RunStatus.SUCCEEDED:
        _announce(run)
    return run


def _finish(
    run: ReconciliationRun, tracker: RunTracker, status: str, error: str = ""
) -> None:
    fields = tracker.snapshot()
    ReconciliationRun.objects.filter(pk=run.pk).update(
        status=status, error=error, finished_at=now(), **fields
    )
    level = logging.INFO if status == RunStatus.SUCCEEDED else logging.WARNING
    logger.log(level, "reconciliation run %s %s %s", run.pk, status, error)


def _announce(run: ReconciliationRun) -> None:
    """Tell listeners (drift detection) about a successful run; their errors are logged."""
    for receiver, result in reconciliation_finished.send_robust(
        sender=ReconciliationRun, run=run
    ):
        if isinstance(result, Exception):
            logger.error(
                "reconciliation_finished receiver %r failed for run %s: %r",
                receiver,
                run.pk,
                result,
                exc_info=result,
            )


def _estimates(run: ReconciliationRun) -> dict[str, int]:
    """Phase sizes of the last complete run, to draw progress bars before totals are known."""
    previous = (
        ReconciliationRun.objects.succeeded()
        .filter(application=run.application, scope={}, only=[])
        .values_list("progress", flat=True)
        .first()
    )
    return {phase: entry.get("done", 0) for phase, entry in (previous or {}).items()}


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
            .filter(application=self.application, is_incremental=False)
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
        """Catalog holders the account listing did not return, one call each."""
        found = [
            a for a in (self.connector.get_account(i) for i in sorted(account_ids)) if a
        ]
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
        """Role actors and space permission holders first, then group members.

        Holders first so that the groups' holdings are known when members stream in,
        and derived access is written with them (see reconcile_assignments).
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
            writer.since = self.since_groups
            writer.holdings = Holdings(self.application, writer.since)
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
        writer.flush_derived()
        self.tracker.finish_phase()

    @property
    def since_groups(self) -> datetime | None:
        """Start of the last successful run that read every group's members."""
        runs = (
            ReconciliationRun.objects.succeeded()
            .filter(application=self.application)
            .exclude(pk=self.run.pk)
        )
        for only, scope, started_at in runs.values_list("only", "scope", "started_at")[
            :50
        ]:
            if GROUPS in active_kinds(only, scope) and not scope.get("group"):
                return started_at
        return None

    @property
    def since_last_run(self) -> datetime | None:
        """Start of the last successful run of the Application."""
        runs = (
            ReconciliationRun.objects.succeeded()
            .filter(application=self.application)
            .exclude(pk=self.run.pk)
        )
        return runs.values_list("started_at", flat=True).first()

    def derive_at_sweep(self) -> list[tuple[int, int]]:
        """New group holdings whose members did not stream in this run."""
        writer = self.writer
        if writer is None:
            return []
        holdings = writer.holdings or Holdings(self.application, self.since_groups)
        return [
            (group, entitlement)
            for group, entitlements in holdings.new.items()
            if group not in writer.streamed_groups
            for entitlement in entitlements
        ]

    def sweep(self) -> None:
        """Mark what vanished, end what no longer holds, refresh derived access."""
        self.tracker.start_phase("sweep")
        filters = sweep_filters(self.kinds, self.run.scope)
        if ACCOUNTS in self.kinds and filters.accounts is None:
            self.tracker.warn(
                "A SCIM filter's reach is unknown: no account was marked removed."
            )
        plan = plan_sweep(self.index, self.assignments_seen, filters, self.stamp)
        if self.run.scope.get("domain") and plan.accounts:
            plan.accounts = self.confirm_gone(plan.accounts)
        apply_sweep(
            self.application,
            plan,
            now(),
            self.tracker,
            derived_since=self.since_last_run,
            derive=self.derive_at_sweep(),
        )
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


def reconcile_from_command(
    application: Application, *, stdout: Any, incremental: bool = False
) -> ReconciliationRun:
    """Start and execute a run with a progress bar and a summary on `stdout` (setup_demo)."""
    from connectors.reconcile_cli import CommandProgress, write_summary

    run = start_run(application, incremental=incremental, trigger=RunTrigger.CLI)
    with CommandProgress(stdout) as progress:
        run = execute_run(run.pk, on_progress=progress.update)
    write_summary(run, stdout)
    return run
