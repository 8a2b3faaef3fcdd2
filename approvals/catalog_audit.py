"""Audit events for what people do to the catalog outside the workflow.

Every queued reconciliation run is audited, whoever started it (admin site, REST
API, command line, schedule): connectors never import approvals, so the event is
written by a receiver of the run's creation, in the transaction that creates it.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save

from approvals import audit
from connectors.models import ReconciliationRun, RunTrigger

TRIGGER_MESSAGES = {
    RunTrigger.ADMIN: "Started from the admin site",
    RunTrigger.API: "Started through the REST API",
    RunTrigger.CLI: "Started from the command line",
    RunTrigger.SCHEDULE: "Started by the schedule",
}


def on_run_saved(
    sender: type[ReconciliationRun],
    *,
    instance: ReconciliationRun,
    created: bool,
    **kwargs: Any,
) -> None:
    """Record "reconciliation.queued" for a new run, with what it will read."""
    if not created or kwargs.get("raw"):
        return
    audit.record(
        "reconciliation.queued",
        target=instance,
        actor=instance.triggered_by,
        after={
            "application": instance.application_id,
            "incremental": instance.is_incremental,
            "only": instance.only,
            "filter": instance.scope,
            "trigger": instance.trigger,
        },
        message=TRIGGER_MESSAGES.get(instance.trigger, "Started"),
    )


def connect_signals() -> None:
    """Subscribe to the catalog's saves (called from AppConfig.ready)."""
    post_save.connect(
        on_run_saved,
        sender=ReconciliationRun,
        dispatch_uid="approvals.catalog_audit.run_queued",
    )
