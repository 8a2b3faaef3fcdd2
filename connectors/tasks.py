"""Celery tasks of the catalog: short wrappers around connectors.reconcile."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import transaction

from connectors.models import Application, ReconciliationRun, RunTrigger
from connectors.reconcile import RunAlreadyActive, execute_run, start_run

logger = logging.getLogger(__name__)


@shared_task(name="connectors.tasks.reconcile_application")
def reconcile_application(run_id: int) -> str:
    """Execute a queued reconciliation run; running it twice does no harm."""
    if not ReconciliationRun.objects.filter(pk=run_id).exists():
        logger.info("reconciliation run %s is gone: nothing to do", run_id)
        return "missing"
    return execute_run(run_id).status


@shared_task(name="connectors.tasks.reconcile_all_applications")
def reconcile_all_applications(incremental: bool = False) -> list[int]:  # noqa: FBT001, FBT002 - beat passes kwargs
    """Queue a run of every enabled Application (the beat schedule's entry)."""
    queued: list[int] = []
    for application in Application.objects.filter(is_enabled=True):
        try:
            run = start_run(
                application, incremental=incremental, trigger=RunTrigger.SCHEDULE
            )
        except RunAlreadyActive as error:
            logger.info(
                "schedule skipped application %s: %s", application.pk, error.message
            )
            continue
        enqueue(run)
        queued.append(run.pk)
    return queued


def enqueue(run: ReconciliationRun) -> None:
    """Send the run to a worker once the row is committed."""
    run_id = run.pk
    transaction.on_commit(lambda: reconcile_application.delay(run_id))
