"""Running one provisioning job against Atlassian: claim, act, verify, record.

`execute_job(job)` is idempotent and safe to run twice or concurrently: the claim is
a conditional UPDATE that only one worker wins, and every change it asks of the
connector succeeds when already done. A job that is running when its worker dies
keeps its lease until `lease_expires_at`; after that the sweeper
(`tasks.requeue_stale_jobs`) sends it again and the next claim takes it over.

Errors: `TransientError` (429, 5xx, timeouts, dropped connections, a read-back that
does not show the change yet) retries with exponential backoff and jitter, honouring
Retry-After, up to `max_attempts`; `PermanentError` stops the job in FAILED with
Atlassian's message. Outcomes are recorded through `approvals.job_outcomes`.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from approvals import accounts, job_outcomes
from approvals.models import GrantState, JobKind, JobStatus, ProvisioningJob
from connectors.base import (
    AccountStatus,
    Invalid,
    PermanentError,
    TransientError,
    Unavailable,
)
from connectors.registry import connector_for

if TYPE_CHECKING:
    from connectors.base import Connector

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What a job did, for its audit event and `result`."""

    message: str
    result: dict[str, Any] = field(default_factory=dict)


class WaitForOtherJob(Exception):
    """The job must wait for another job on the same grant; the attempt does not count."""

    def __init__(self, reason: str, delay: float = 5.0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.delay = delay


class LeaseLost(Exception):
    """Another worker took the job over (this one was too slow): stop, record nothing."""


def renew_lease(job: ProvisioningJob) -> None:
    """Extend this worker's lease before a long step; LeaseLost if it was taken over."""
    now = timezone.now()
    held = ProvisioningJob.objects.filter(
        pk=job.pk, status=JobStatus.RUNNING, claimed_by=job.claimed_by
    ).update(
        lease_expires_at=now + timedelta(seconds=settings.PROVISIONING_LEASE_SECONDS)
    )
    if not held:
        raise LeaseLost(f"Provisioning job {job.pk} was taken over by another worker")


def execute_job(job: ProvisioningJob | int) -> ProvisioningJob | None:
    """Claim and run one job; returns the job as it now stands (None if it is gone)."""
    job_id = job.pk if isinstance(job, ProvisioningJob) else int(job)
    token = claim(job_id)
    if token is None:
        logger.info(
            "Provisioning job %s is not due or is held by another worker", job_id
        )
        return ProvisioningJob.objects.filter(pk=job_id).first()
    job = ProvisioningJob.objects.select_related(
        "application", "grant", "entitlement__resource", "identity", "account"
    ).get(pk=job_id)
    if job.attempts > job.max_attempts:
        message = f"Gave up after {job.max_attempts} attempts: {job.last_error or 'the worker was lost'}"
        job_outcomes.job_finished(
            job_id,
            token=token,
            status=JobStatus.FAILED,
            message=message,
            code="attempts",
        )
        return _reload(job_id)
    job_outcomes.job_started(job)
    connector = connector_for(job.application)
    try:
        _run(job, token, connector)
    finally:
        close = getattr(connector, "close", None)
        if close is not None:
            close()
    return _reload(job_id)


def claim(job_id: int) -> str | None:
    """Take the job if it is due (or its lease ran out); a token when this worker won."""
    now = timezone.now()
    token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
    won = (
        ProvisioningJob.objects.filter(pk=job_id)
        .filter(
            Q(status=JobStatus.PENDING, not_before__lte=now)
            | Q(status=JobStatus.RUNNING, lease_expires_at__lt=now)
        )
        .update(
            status=JobStatus.RUNNING,
            claimed_by=token,
            lease_expires_at=now
            + timedelta(seconds=settings.PROVISIONING_LEASE_SECONDS),
            attempts=F("attempts") + 1,
            updated_at=now,
        )
    )
    return token if won == 1 else None


def backoff_seconds(attempt: int, retry_after: float | None = None) -> float:
    """Exponential backoff with jitter for the given attempt, at least Retry-After."""
    base = settings.PROVISIONING_BACKOFF_BASE_SECONDS
    ceiling = settings.PROVISIONING_BACKOFF_MAX_SECONDS
    exponential = min(ceiling, base * 2 ** max(0, attempt - 1))
    jittered = exponential / 2 + random.uniform(0, exponential / 2)  # noqa: S311
    return max(jittered, retry_after or 0.0)


def _run(job: ProvisioningJob, token: str, connector: Connector) -> None:
    try:
        outcome = perform(job, connector)
    except LeaseLost as lost:
        logger.info("%s; its outcome is theirs to record", lost)
    except WaitForOtherJob as wait:
        job_outcomes.job_deferred(
            job.pk, token=token, delay=wait.delay, reason=wait.reason
        )
    except TransientError as error:
        _retry_or_fail(
            job, token, str(error), error.code or "transient", error.retry_after
        )
    except PermanentError as error:
        job_outcomes.job_finished(
            job.pk,
            token=token,
            status=JobStatus.FAILED,
            message=str(error),
            code=error.code or (str(error.status) if error.status else "permanent"),
        )
    except Exception as error:  # a bug or an unclassified failure: retry, capped
        logger.exception("Provisioning job %s failed unexpectedly", job.pk)
        _retry_or_fail(job, token, f"Unexpected error: {error}", "unexpected", None)
    else:
        job_outcomes.job_finished(
            job.pk,
            token=token,
            status=JobStatus.SUCCEEDED,
            message=outcome.message,
            result=outcome.result,
        )


def _retry_or_fail(
    job: ProvisioningJob, token: str, message: str, code: str, retry_after: float | None
) -> None:
    if job.attempts >= job.max_attempts:
        job_outcomes.job_finished(
            job.pk,
            token=token,
            status=JobStatus.FAILED,
            code=code,
            message=f"Gave up after {job.attempts} attempts: {message}",
        )
        return
    delay = backoff_seconds(job.attempts, retry_after)
    logger.info(
        "Provisioning job %s attempt %s: %s; retry in %.1fs",
        job.pk,
        job.attempts,
        message,
        delay,
    )
    job_outcomes.job_finished(
        job.pk,
        token=token,
        status=JobStatus.PENDING,
        message=message,
        code=code,
        retry_in=delay,
    )


def _reload(job_id: int) -> ProvisioningJob | None:
    return ProvisioningJob.objects.filter(pk=job_id).first()


# --- what each kind of job does ---------------------------------------------------------


def perform(job: ProvisioningJob, connector: Connector) -> Outcome:
    """Do the job's change in Atlassian and verify it; raises connector errors."""
    handlers = {
        JobKind.GRANT: _grant,
        JobKind.REVOKE: _revoke,
        JobKind.CREATE_ACCOUNT: _create_account,
        JobKind.DISABLE_ACCOUNT: _disable_account,
        JobKind.ENABLE_ACCOUNT: _enable_account,
        JobKind.DELETE_ACCOUNT: _delete_account,
        JobKind.OPERATION: _operation,
    }
    handler = handlers.get(JobKind(job.kind))
    if handler is None:
        raise Invalid(f"The portal cannot run {job.get_kind_display().lower()} jobs.")
    return handler(job, connector)


def _operation(job: ProvisioningJob, connector: Connector) -> Outcome:
    """Administrative operations (issue 9) run by approvals.operations."""
    from approvals.operations import perform_operation

    return perform_operation(job, connector)  # type: ignore[arg-type]


def _grant(job: ProvisioningJob, connector: Connector) -> Outcome:
    grant = job.grant
    if grant is not None and grant.state not in (GrantState.PENDING, GrantState.ACTIVE):
        return Outcome(
            "The grant ended before provisioning: nothing granted", {"skipped": True}
        )
    entitlement = job.entitlement or (grant.entitlement if grant else None)
    if entitlement is None:
        raise Invalid("The job names no entitlement to grant.")
    account = accounts.ensure_account(job, connector)
    renew_lease(job)  # creating the account may have taken long (429s, SCIM)
    result = connector.grant(account.account_id, entitlement.ref)
    renew_lease(job)
    if not connector.has_assignment(account.account_id, entitlement.ref):
        raise Unavailable(
            "Atlassian does not show the access yet (read-back); retrying"
        )
    also = accounts.record_assignments(
        account, entitlement, result.also_granted, held=True
    )
    state = "already held" if result.already_done else "granted"
    return Outcome(
        f"{entitlement.display_name} {state} for {account} and verified",
        {
            "already_done": result.already_done,
            "account_id": account.account_id,
            "also_granted": also,
        },
    )


def _revoke(job: ProvisioningJob, connector: Connector) -> Outcome:
    grant = job.grant
    if grant is not None:
        running = grant.jobs.filter(
            kind=JobKind.GRANT,
            status=JobStatus.RUNNING,
            lease_expires_at__gte=timezone.now(),
        ).first()
        if running is not None:
            raise WaitForOtherJob(f"Waiting for grant job #{running.pk} to finish")
    entitlement = job.entitlement or (grant.entitlement if grant else None)
    if entitlement is None:
        raise Invalid("The job names no entitlement to revoke.")
    account = accounts.known_account(job)
    if account is None:
        return Outcome(
            "No Atlassian account: nothing to remove", {"already_done": True}
        )
    result = connector.revoke(account.account_id, entitlement.ref)
    renew_lease(job)
    if connector.has_assignment(account.account_id, entitlement.ref):
        raise Unavailable("Atlassian still shows the access (read-back); retrying")
    accounts.record_assignments(account, entitlement, result.also_revoked, held=False)
    state = "was already absent" if result.already_done else "removed"
    return Outcome(
        f"{entitlement.display_name} {state} for {account} and verified",
        {"already_done": result.already_done, "account_id": account.account_id},
    )


def _create_account(job: ProvisioningJob, connector: Connector) -> Outcome:
    account = accounts.ensure_account(job, connector)
    return Outcome(f"Account {account} ready", {"account_id": account.account_id})


def _disable_account(job: ProvisioningJob, connector: Connector) -> Outcome:
    account = _required_account(job)
    result = connector.disable_account(account.account_id)
    accounts.set_status(account, AccountStatus.SUSPENDED, job)
    return Outcome(f"Account {account} disabled", {"already_done": result.already_done})


def _enable_account(job: ProvisioningJob, connector: Connector) -> Outcome:
    account = _required_account(job)
    result = connector.enable_account(account.account_id)
    accounts.set_status(account, AccountStatus.ACTIVE, job)
    return Outcome(f"Account {account} enabled", {"already_done": result.already_done})


def _delete_account(job: ProvisioningJob, connector: Connector) -> Outcome:
    account = _required_account(job)
    result = connector.delete_account(account.account_id)
    accounts.set_status(account, AccountStatus.CLOSED, job)
    return Outcome(f"Account {account} removed", {"already_done": result.already_done})


def _required_account(job: ProvisioningJob) -> Any:
    account = accounts.known_account(job)
    if account is None:
        raise Invalid("The job names no Atlassian account.")
    return account
