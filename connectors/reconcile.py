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

from connectors.base import ConnectorError
from connectors.models import (
    Application,
    ReconciliationRun,
    RunStatus,
    RunTrigger,
)
from connectors.reconcile_changes import reconciliation_for
from connectors.reconcile_errors import (
    InvalidRunRequest,
    ReconciliationError,
    RunAlreadyActive,
)
from connectors.reconcile_progress import RunTracker
from connectors.reconcile_scope import (
    active_kinds,
    validate_scope,
)
from connectors.reconcile_sql import sqlite_bulk_settings
from connectors.registry import connector_for
from connectors.signals import reconciliation_finished

if TYPE_CHECKING:
    from collections.abc import Callable


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
        with sqlite_bulk_settings(megabytes=64):
            reconciliation_for(run, connector, tracker).execute()
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
