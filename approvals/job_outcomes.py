"""What provisioning reports back, and the admin's retry of a failed job.

Part of `approvals.workflow`'s interface. The `job_*` functions are called by
`approvals.provisioning` only, with the claim token of the worker that holds the job:
a worker whose lease was taken over changes nothing. Each outcome is one transaction
that updates the job, its grant and its request, with their audit events.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accessportal.models import User
from approvals import audit, notifications, outbox
from approvals.lifecycle import ENDED_GRANT_STATES, ended_message, finish_removal
from approvals.models import (
    AccessRequest,
    DriftFinding,
    DriftStatus,
    Grant,
    GrantState,
    JobKind,
    JobStatus,
    ProvisioningJob,
    RequestState,
)
from approvals.transitions import (
    AlreadyDecided,
    InvalidRequest,
    NotAllowed,
    lock_grant,
    lock_row,
    set_request_state,
)

logger = logging.getLogger(__name__)


def retry_job(job_id: int, *, by: User) -> ProvisioningJob:
    """An admin sends a failed job again, from attempt one."""
    if not by.is_admin:
        raise NotAllowed("Only an administrator may retry a provisioning job.")
    with transaction.atomic():
        job = _lock_job(job_id)
        if job.status != JobStatus.FAILED:
            raise AlreadyDecided(
                f"Job #{job.pk} is {job.get_status_display().lower()}: only failed jobs can be retried."
            )
        if job.kind == JobKind.GRANT and job.grant_id:
            _reopen_failed_grant(job, by)
        before = {
            "status": job.status,
            "attempts": job.attempts,
            "error": job.last_error,
        }
        job.status = JobStatus.PENDING
        job.attempts = 0
        job.not_before = timezone.now()
        job.finished_at = None
        job.lease_expires_at = None
        job.save()
        audit.record(
            "job.retried",
            target=job,
            actor=by,
            request=_request_of(job),
            before=before,
            after={"status": job.status},
            message=f"Retried by {by.label}",
        )
        outbox.enqueue_on_commit(job.pk)
    return job


def _reopen_failed_grant(job: ProvisioningJob, by: User) -> None:
    grant = lock_grant(job.grant_id)
    if grant.state in ENDED_GRANT_STATES:
        raise AlreadyDecided(f"{ended_message(grant)} Nothing to retry.")
    if grant.state != GrantState.FAILED:
        return
    other = (
        Grant.objects.standing()
        .filter(beneficiary=grant.beneficiary, entitlement=grant.entitlement)
        .exclude(pk=grant.pk)
        .first()
    )
    if other is not None:
        raise InvalidRequest(
            f"{grant.beneficiary.label} already has this access through grant #{other.pk}."
        )
    grant.state = GrantState.PENDING
    grant.save(update_fields=["state"])
    if grant.request is not None:
        set_request_state(
            grant.request, RequestState.APPROVED, by, "Provisioning retried"
        )


def job_started(job: ProvisioningJob) -> None:
    """A worker claimed the job: an approved request now shows as provisioning."""
    if job.kind != JobKind.GRANT or not job.grant_id:
        return
    with transaction.atomic():
        request = (
            AccessRequest.objects.select_for_update(of=("self",))
            .filter(grant__pk=job.grant_id, state=RequestState.APPROVED)
            .first()
        )
        if request is not None:
            set_request_state(
                request, RequestState.PROVISIONING, None, "Provisioning in Atlassian"
            )


def job_finished(
    job_id: int,
    *,
    token: str,
    status: JobStatus,
    message: str,
    result: dict[str, Any] | None = None,
    code: str = "",
    retry_in: float | None = None,
) -> bool:
    """Record a job's outcome; False when this worker no longer holds the job.

    `status` SUCCEEDED applies the outcome to the grant; PENDING with `retry_in`
    schedules another attempt; FAILED stops the job and the grant.
    """
    with transaction.atomic():
        job = _lock_job(job_id)
        if job.status != JobStatus.RUNNING or job.claimed_by != token:
            logger.info("Job %s was taken over; outcome %s dropped", job_id, status)
            return False
        job.status = status
        job.lease_expires_at = None
        if status == JobStatus.PENDING:
            _schedule_retry(job, message, code, retry_in or 0.0)
        elif status == JobStatus.SUCCEEDED:
            _succeed(job, message, result or {})
        else:
            _fail(job, message, code)
    return True


def job_deferred(job_id: int, *, token: str, delay: float, reason: str) -> None:
    """Put a job back without counting the attempt (it waits for another job)."""
    with transaction.atomic():
        updated = ProvisioningJob.objects.filter(
            pk=job_id, status=JobStatus.RUNNING, claimed_by=token
        ).update(
            status=JobStatus.PENDING,
            attempts=F("attempts") - 1,
            not_before=timezone.now() + timezone.timedelta(seconds=delay),
            lease_expires_at=None,
            last_error=reason,
        )
        if updated:
            outbox.enqueue_on_commit(job_id, countdown=delay)


def _schedule_retry(
    job: ProvisioningJob, message: str, code: str, delay: float
) -> None:
    job.not_before = timezone.now() + timezone.timedelta(seconds=delay)
    job.last_error, job.last_error_code = message, code[:100]
    job.save()
    audit.record(
        "job.retry_scheduled",
        target=job,
        request=_request_of(job),
        after={
            "attempt": job.attempts,
            "of": job.max_attempts,
            "delay": round(delay, 1),
        },
        message=f"{message} — retrying in {delay:.0f} s (attempt {job.attempts} of {job.max_attempts})",
    )
    outbox.enqueue_on_commit(job.pk, countdown=delay)


def _succeed(job: ProvisioningJob, message: str, result: dict[str, Any]) -> None:
    job.finished_at = timezone.now()
    job.result = result
    job.last_error, job.last_error_code = "", ""
    job.save()
    request = _request_of(job)
    audit.record(
        "job.succeeded", target=job, request=request, after=result, message=message
    )
    DriftFinding.objects.filter(job=job).update(
        status=DriftStatus.RESOLVED,
        resolved_at=job.finished_at,
        resolution=f"Corrected by job #{job.pk}",
    )
    if job.grant_id is None:
        return
    grant = lock_grant(job.grant_id)
    if job.kind == JobKind.GRANT:
        _activate(grant, job)
    elif job.kind == JobKind.REVOKE and grant.state == GrantState.REVOKING:
        final = job.payload.get("final_state") or GrantState.REVOKED
        finish_removal(grant, final, "Access removed in Atlassian")


def _activate(grant: Grant, job: ProvisioningJob) -> None:
    if grant.state in ENDED_GRANT_STATES:
        return  # ended while the job ran: the removal job takes it away again
    before = {"state": grant.state, "is_missing": grant.is_missing}
    restored = grant.state == GrantState.ACTIVE
    grant.state = GrantState.ACTIVE
    grant.activated_at = grant.activated_at or timezone.now()
    grant.account_id = job.account_id or grant.account_id
    grant.is_missing = False
    grant.save(update_fields=["state", "activated_at", "account", "is_missing"])
    audit.record(
        "grant.restored" if restored else "grant.activated",
        target=grant,
        request=grant.request,
        before=before,
        after={"state": grant.state},
        message="Access re-granted in Atlassian"
        if restored
        else "Access granted in Atlassian and verified",
    )
    if restored:
        return
    if grant.request is not None:
        set_request_state(grant.request, RequestState.ACTIVE, None, "Access granted")
    notifications.on_commit(notifications.provisioning_finished, grant.pk)


def _fail(job: ProvisioningJob, message: str, code: str) -> None:
    job.finished_at = timezone.now()
    job.last_error, job.last_error_code = message, code[:100]
    job.save()
    request = _request_of(job)
    audit.record(
        "job.failed",
        target=job,
        request=request,
        after={"attempts": job.attempts, "code": code},
        message=message,
    )
    DriftFinding.objects.filter(job=job).update(status=DriftStatus.OPEN)
    if job.kind != JobKind.GRANT or job.grant_id is None:
        return  # a failed removal keeps its grant "being removed" until retried
    grant = lock_grant(job.grant_id)
    if grant.state != GrantState.PENDING:
        return
    grant.state = GrantState.FAILED
    grant.save(update_fields=["state"])
    if grant.request is not None:
        set_request_state(grant.request, RequestState.FAILED, None, message)
    notifications.on_commit(notifications.provisioning_finished, grant.pk)


def _lock_job(job_id: int) -> ProvisioningJob:
    return lock_row(
        ProvisioningJob.objects.select_related("grant__request"),
        job_id,
        noun="provisioning job",
    )


def _request_of(job: ProvisioningJob) -> AccessRequest | None:
    return job.grant.request if job.grant_id and job.grant else None
