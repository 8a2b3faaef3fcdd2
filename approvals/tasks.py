"""Celery tasks of approvals: short wrappers around workflow and provisioning.

Each task takes ids and plain values, and running it twice does no harm. The
periodic ones are scheduled in `CELERY_BEAT_SCHEDULE` (accessportal/settings.py).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accessportal.models import User
from approvals import drift_adoption, lifecycle, notifications, outbox, provisioning
from approvals.models import (
    AccessRequest,
    ApprovalStep,
    Grant,
    GrantState,
    JobStatus,
    ProvisioningJob,
    RequestState,
    StepState,
)
from connectors.models import Application

logger = logging.getLogger(__name__)


@shared_task(name="approvals.tasks.run_provisioning_job")
def run_provisioning_job(job_id: int) -> str:
    """Run one provisioning job (the message carries only its id)."""
    job = provisioning.execute_job(job_id)
    if job is None:
        logger.info("Provisioning job %s no longer exists", job_id)
        return "gone"
    return str(job.status)


@shared_task(name="approvals.tasks.requeue_stale_jobs")
def requeue_stale_jobs() -> int:
    """Re-send jobs whose message was lost or whose worker died (lease expired)."""
    now = timezone.now()
    grace = timedelta(seconds=settings.PROVISIONING_REQUEUE_GRACE_SECONDS)
    stale = ProvisioningJob.objects.filter(
        Q(status=JobStatus.PENDING, not_before__lte=now - grace)
        | Q(status=JobStatus.RUNNING, lease_expires_at__lt=now)
    ).values_list("pk", flat=True)
    sent = 0
    for job_id in stale[:500]:
        sent += outbox.enqueue(job_id)
    if sent:
        logger.info("Re-enqueued %s stale provisioning jobs", sent)
    return sent


@shared_task(name="approvals.tasks.expire_grants")
def expire_grants() -> int:
    """End time-bound grants whose end has come; Atlassian is changed by jobs."""
    due = Grant.objects.filter(
        state__in=[GrantState.PENDING, GrantState.ACTIVE, GrantState.FAILED],
        ends_at__lte=timezone.now(),
    ).values_list("pk", flat=True)
    return sum(lifecycle.expire_grant(grant_id) for grant_id in due)


@shared_task(name="approvals.tasks.remind_approvers")
def remind_approvers() -> dict[str, int]:
    """Remind approvers of overdue steps, and escalate steps overdue for longer."""
    now = timezone.now()
    remind_before = now - timedelta(hours=settings.APPROVAL_REMINDER_HOURS)
    overdue = ApprovalStep.objects.filter(
        state=StepState.OPEN,
        request__state=RequestState.PENDING,
        opened_at__lte=remind_before,
    ).filter(Q(reminded_at__isnull=True) | Q(reminded_at__lte=remind_before))
    reminded = 0
    for step_id in overdue.values_list("pk", flat=True):
        # Mark first: a reminder sent twice is worse than one lost to a crash.
        if ApprovalStep.objects.filter(pk=step_id).update(reminded_at=now):
            notifications.on_commit(notifications.approval_reminder, step_id)
            reminded += 1
    escalated = sum(
        lifecycle.escalate_step(step_id) for step_id in _escalation_due(now)
    )
    return {"reminded": reminded, "escalated": escalated}


def _escalation_due(now: timezone.datetime) -> list[int]:
    """Open steps older than their policy's escalate_after_hours (or the default)."""
    default_hours = settings.APPROVAL_ESCALATION_HOURS
    steps = ApprovalStep.objects.filter(
        state=StepState.OPEN,
        request__state=RequestState.PENDING,
        escalated_at__isnull=True,
        opened_at__isnull=False,
    ).annotate(hours=F("request__policy__escalate_after_hours"))
    return [
        step.pk
        for step in steps.only("pk", "opened_at")
        if step.opened_at <= now - timedelta(hours=step.hours or default_hours)
    ]


@shared_task(name="approvals.tasks.expire_pending_requests")
def expire_pending_requests() -> int:
    """Close requests that waited longer than REQUEST_PENDING_EXPIRY_DAYS."""
    cutoff = timezone.now() - timedelta(days=settings.REQUEST_PENDING_EXPIRY_DAYS)
    old = AccessRequest.objects.filter(
        state=RequestState.PENDING, created_at__lte=cutoff
    ).values_list("pk", flat=True)
    return sum(lifecycle.expire_pending_request(pk, cutoff=cutoff) for pk in old)


@shared_task(name="approvals.tasks.remind_expiring_grants")
def remind_expiring_grants() -> int:
    """Warn holders and owners GRANT_EXPIRY_REMINDER_DAYS before access ends."""
    now = timezone.now()
    soon = now + timedelta(days=settings.GRANT_EXPIRY_REMINDER_DAYS)
    due = Grant.objects.filter(
        state=GrantState.ACTIVE,
        ends_at__gt=now,
        ends_at__lte=soon,
        expiry_reminded_at__isnull=True,
    ).values_list("pk", flat=True)
    sent = 0
    for grant_id in due:
        if Grant.objects.filter(pk=grant_id, expiry_reminded_at__isnull=True).update(
            expiry_reminded_at=now
        ):
            notifications.on_commit(notifications.grant_expiring, grant_id)
            sent += 1
    return sent


@shared_task(name="approvals.tasks.close_requests_for_vanished_entitlements")
def close_requests_for_vanished_entitlements() -> int:
    """Close requests and grants whose entitlement is gone from Atlassian."""
    return lifecycle.close_requests_for_vanished_entitlements()


@shared_task(name="approvals.tasks.adopt_existing_access")
def adopt_existing_access(application_id: int, by_id: int, reason: str = "") -> int:
    """Adopt an Application's open unmanaged drift findings as grants; how many."""
    application = Application.objects.filter(pk=application_id).first()
    by = User.objects.filter(pk=by_id).first()
    if application is None or by is None:
        logger.info("Adoption for application %s by %s: gone", application_id, by_id)
        return 0
    summary = drift_adoption.adopt_open_findings(application, by=by, reason=reason)
    return summary.adopted


def queue_adoption(application_id: int, *, by_id: int, reason: str = "") -> None:
    """Send `adopt_existing_access` once the surrounding transaction commits."""

    def send() -> None:
        try:
            adopt_existing_access.delay(application_id, by_id, reason)
        except Exception:  # the broker is down: say so; the admin can run it again
            logger.exception(
                "Could not queue adoption for application %s", application_id
            )

    transaction.on_commit(send)
