"""The provisioning outbox: job rows written with the change, enqueued after commit.

The row is the truth. The broker message carries only the id; if it is lost (broker
down at commit, worker killed), `tasks.requeue_stale_jobs` finds the due row again.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction

from approvals import audit
from approvals.models import JobKind, ProvisioningJob

if TYPE_CHECKING:
    from accessportal.models import User
    from approvals.models import AccessRequest, Grant
    from connectors.models import Account, Application, Entitlement

logger = logging.getLogger(__name__)


def create_job(
    kind: JobKind,
    *,
    application: Application,
    reason: str,
    grant: Grant | None = None,
    identity: User | None = None,
    entitlement: Entitlement | None = None,
    account: Account | None = None,
    payload: dict[str, Any] | None = None,
    created_by: User | None = None,
    request: AccessRequest | None = None,
) -> ProvisioningJob:
    """Write a job row (and its audit event) and enqueue it once the transaction commits."""
    job = ProvisioningJob.objects.create(
        kind=kind,
        application=application,
        grant=grant,
        identity=identity,
        entitlement=entitlement,
        account=account,
        payload=payload or {},
        reason=reason[:200],
        created_by=created_by,
        max_attempts=settings.PROVISIONING_MAX_ATTEMPTS,
    )
    audit.record(
        "job.created",
        target=job,
        actor=created_by,
        request=request,
        after={"kind": kind, "status": job.status},
        message=reason,
    )
    enqueue_on_commit(job.pk)
    return job


def enqueue_on_commit(job_id: int, *, countdown: float | None = None) -> None:
    """Send the job's message after the surrounding transaction commits."""
    transaction.on_commit(lambda: enqueue(job_id, countdown=countdown))


def enqueue(job_id: int, *, countdown: float | None = None) -> bool:
    """Send the job's message now; a broker failure is logged, the sweeper retries."""
    from approvals.tasks import run_provisioning_job

    try:
        run_provisioning_job.apply_async((job_id,), countdown=countdown)
    except Exception:  # the broker is down: the row stays due, the sweeper re-sends
        logger.warning(
            "Could not enqueue provisioning job %s; the sweeper will", job_id
        )
        return False
    return True
