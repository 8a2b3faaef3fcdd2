"""Provisioning jobs against the simulated Atlassian, in process: grant, verify, remove."""

from __future__ import annotations

import httpx
import pytest
from django.utils import timezone

from approvals import tasks, workflow
from approvals.models import (
    AuditEvent,
    GrantState,
    JobKind,
    JobStatus,
    ProvisioningJob,
    RequestState,
)
from approvals.provisioning import backoff_seconds, execute_job
from connectors.models import Account, Assignment
from connectors.registry import use_transport
from tests.approvals.conftest import load_entitlement, simulator_shows


def approve_for(person, entitlement, manager, **kwargs):
    access_request = workflow.submit_requests(
        requester=person,
        entitlements=[entitlement],
        justification="Design reviews",
        **kwargs,
    )[0]
    return workflow.approve(access_request.pk, approver=manager)


def grant_job(access_request):
    return ProvisioningJob.objects.get(
        grant__request=access_request, kind=JobKind.GRANT
    )


def run_until_settled(job, *, limit=10):
    """Run a job until it stops retrying, as if each backoff had already passed."""
    for _ in range(limit):
        ProvisioningJob.objects.filter(pk=job.pk, status=JobStatus.PENDING).update(
            not_before=timezone.now()
        )
        job = execute_job(job.pk)
        if job.status != JobStatus.PENDING:
            return job
    return job


@pytest.fixture(autouse=True)
def immediate_retries(settings):
    settings.PROVISIONING_BACKOFF_BASE_SECONDS = 0
    settings.PROVISIONING_BACKOFF_MAX_SECONDS = 0


def test_approved_request_is_granted_in_atlassian_and_verified(
    alice, manager, design_group, simulator
):
    access_request = approve_for(alice, design_group, manager)

    job = execute_job(grant_job(access_request))

    access_request.refresh_from_db()
    grant = access_request.grant
    assert job.status == JobStatus.SUCCEEDED
    assert (access_request.state, grant.state) == (
        RequestState.ACTIVE,
        GrantState.ACTIVE,
    )
    assert simulator_shows(simulator, design_group, alice.email)
    assert grant.account.identity == alice
    assignment = Assignment.objects.get(account=grant.account, entitlement=design_group)
    assert assignment.origin == "provisioned"


def test_person_without_an_account_gets_one_through_scim_first(
    requester, manager, design_group, simulator
):
    access_request = approve_for(requester, design_group, manager)

    execute_job(grant_job(access_request))

    with simulator.lock:
        created = simulator.state.user_by_email(requester.email)
    assert created is not None
    assert simulator_shows(simulator, design_group, requester.email)
    for product_group in ("jira-software-users", "confluence-users"):
        assert simulator.state.is_group_member(product_group, created.account_id)
    account = Account.objects.get(identity=requester)
    assert account.account_id == created.account_id
    assert AuditEvent.objects.filter(
        action="account.created", request=access_request
    ).exists()


def test_running_the_same_job_twice_grants_once(
    alice, manager, design_group, simulator
):
    access_request = approve_for(alice, design_group, manager)
    job = grant_job(access_request)
    execute_job(job)
    simulator.reset_calls()

    again = execute_job(job)

    assert again.status == JobStatus.SUCCEEDED
    assert simulator.calls == []
    assert simulator_shows(simulator, design_group, alice.email)
    grant = access_request.grant
    assert (
        AuditEvent.objects.filter(
            action="grant.activated", target_id=str(grant.pk)
        ).count()
        == 1
    )


def test_job_whose_change_is_already_made_succeeds(
    alice, manager, design_group, simulator
):
    access_request = approve_for(alice, design_group, manager)
    with simulator.lock:
        state = simulator.state
        state.add_member(
            state.group_by_name("design"), state.user_by_email(alice.email)
        )

    job = execute_job(grant_job(access_request))

    assert job.status == JobStatus.SUCCEEDED
    assert job.result["already_done"] is True
    access_request.refresh_from_db()
    assert access_request.state == RequestState.ACTIVE


def test_crashed_attempt_is_taken_over_after_its_lease(
    alice, manager, design_group, simulator
):
    access_request = approve_for(alice, design_group, manager)
    job = grant_job(access_request)
    # A worker claimed the job and died: the row says running, with a lease in the past.
    ProvisioningJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING,
        attempts=1,
        claimed_by="dead-worker",
        lease_expires_at="2000-01-01T00:00:00Z",
    )

    taken_over = execute_job(job)

    assert (taken_over.status, taken_over.attempts) == (JobStatus.SUCCEEDED, 2)
    assert simulator_shows(simulator, design_group, alice.email)


def test_running_job_with_a_live_lease_is_left_alone(
    alice, manager, design_group, simulator, settings
):
    access_request = approve_for(alice, design_group, manager)
    job = grant_job(access_request)
    ProvisioningJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING,
        claimed_by="busy-worker",
        lease_expires_at="2999-01-01T00:00:00Z",
    )

    untouched = execute_job(job)

    assert (untouched.status, untouched.claimed_by) == (
        JobStatus.RUNNING,
        "busy-worker",
    )
    assert not simulator_shows(simulator, design_group, alice.email)


def test_project_role_is_granted(alice, manager, application, simulator):
    role = load_entitlement(application, "project_role", "API · Viewer")
    access_request = approve_for(alice, role, manager)

    execute_job(grant_job(access_request))

    assert simulator_shows(simulator, role, alice.email)


def test_space_permission_is_granted(alice, manager, application, simulator):
    permission = load_entitlement(application, "space_permission", "ENG · Add pages")
    access_request = approve_for(alice, permission, manager)

    execute_job(grant_job(access_request))

    access_request.refresh_from_db()
    assert access_request.state == RequestState.ACTIVE
    assert simulator_shows(simulator, permission, alice.email)


# --- removing ------------------------------------------------------------------------


def test_revoked_access_is_removed_from_atlassian(
    alice, manager, design_group, simulator
):
    access_request = approve_for(alice, design_group, manager)
    execute_job(grant_job(access_request))

    grant = workflow.revoke_grant(
        access_request.grant.pk, by=alice, reason="Project over"
    )
    removal = execute_job(grant.jobs.get(kind=JobKind.REVOKE))

    grant.refresh_from_db()
    assert removal.status == JobStatus.SUCCEEDED
    assert grant.state == GrantState.REVOKED
    assert not simulator_shows(simulator, design_group, alice.email)
    assert not Assignment.objects.current().filter(entitlement=design_group).exists()


def test_expired_access_is_removed_from_atlassian(
    alice, manager, design_group, simulator
):
    access_request = approve_for(alice, design_group, manager, duration_days=1)
    execute_job(grant_job(access_request))
    grant = access_request.grant
    type(grant).objects.filter(pk=grant.pk).update(ends_at="2000-01-01T00:00:00Z")

    tasks.expire_grants()
    execute_job(grant.jobs.get(kind=JobKind.REVOKE))

    grant.refresh_from_db()
    access_request.refresh_from_db()
    assert grant.state == GrantState.EXPIRED
    assert access_request.state == RequestState.ENDED
    assert not simulator_shows(simulator, design_group, alice.email)


def test_removal_waits_for_a_grant_job_still_running(
    alice, manager, design_group, simulator
):
    access_request = approve_for(alice, design_group, manager)
    job = grant_job(access_request)
    ProvisioningJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING,
        attempts=1,
        claimed_by="busy",
        lease_expires_at="2999-01-01T00:00:00Z",
    )
    workflow.revoke_grant(access_request.grant.pk, by=alice)
    removal = access_request.grant.jobs.get(kind=JobKind.REVOKE)

    waiting = execute_job(removal)

    assert (waiting.status, waiting.attempts) == (JobStatus.PENDING, 0)
    assert "Waiting for grant job" in waiting.last_error


# --- failures -----------------------------------------------------------------------


def flaky(simulator, *, fail_first, status, retry_after="600"):
    """The simulator behind a transport that fails the first group-membership changes.

    The Retry-After of 5xx answers is longer than the connector's own retry budget,
    so the connector gives up at once and the job's retry (not the client's) is tested.
    """
    inner = simulator.transport()
    headers = {"Retry-After": retry_after} if status >= 500 else {}
    remaining = {"count": fail_first}

    def handle(request: httpx.Request) -> httpx.Response:
        if (
            request.method == "POST"
            and "/group/user" in request.url.path
            and remaining["count"]
        ):
            remaining["count"] -= 1
            body = {"errorMessages": [f"Injected {status}"], "errors": {}}
            return httpx.Response(status, headers=headers, json=body)
        return inner.handle_request(request)

    return httpx.MockTransport(handle)


def test_503_on_the_grant_is_retried_and_applied_once(
    alice, manager, design_group, simulator
):
    access_request = approve_for(alice, design_group, manager)

    with use_transport(flaky(simulator, fail_first=2, status=503)):
        job = run_until_settled(grant_job(access_request))

    assert (job.status, job.attempts) == (JobStatus.SUCCEEDED, 3)
    assert (
        AuditEvent.objects.filter(
            action="job.retry_scheduled", target_id=str(job.pk)
        ).count()
        == 2
    )
    assert simulator_shows(simulator, design_group, alice.email)


def test_retry_after_from_atlassian_is_honoured(
    alice, manager, design_group, simulator
):
    access_request = approve_for(alice, design_group, manager)

    with use_transport(flaky(simulator, fail_first=1, status=503, retry_after="600")):
        job = execute_job(grant_job(access_request))

    assert job.status == JobStatus.PENDING
    assert (job.not_before - job.updated_at).total_seconds() >= 599


def test_transient_errors_give_up_after_the_attempt_cap(
    alice, manager, design_group, simulator, settings
):
    settings.PROVISIONING_MAX_ATTEMPTS = 3
    access_request = approve_for(alice, design_group, manager)

    with use_transport(flaky(simulator, fail_first=99, status=503)):
        job = run_until_settled(grant_job(access_request))

    access_request.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.FAILED, 3)
    assert job.last_error.startswith("Gave up after 3 attempts: Injected 503")
    assert access_request.state == RequestState.FAILED


def test_permanent_error_stops_with_atlassians_message(
    alice, admin, manager, design_group, simulator
):
    access_request = approve_for(alice, design_group, manager)

    with use_transport(flaky(simulator, fail_first=1, status=403)):
        job = execute_job(grant_job(access_request))

    access_request.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.FAILED, 1)
    assert "Injected 403" in job.last_error
    assert access_request.state == RequestState.FAILED
    assert access_request.grant.state == GrantState.FAILED


def test_admin_retry_of_a_failed_job_provisions(
    alice, admin, manager, design_group, simulator
):
    access_request = approve_for(alice, design_group, manager)
    with use_transport(flaky(simulator, fail_first=1, status=403)):
        failed = execute_job(grant_job(access_request))

    workflow.retry_job(failed.pk, by=admin)
    job = execute_job(failed)

    access_request.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert access_request.state == RequestState.ACTIVE
    assert simulator_shows(simulator, design_group, alice.email)


def test_backoff_grows_and_never_undercuts_retry_after(settings):
    settings.PROVISIONING_BACKOFF_BASE_SECONDS = 2
    settings.PROVISIONING_BACKOFF_MAX_SECONDS = 60

    assert 1 <= backoff_seconds(1) <= 2
    assert 16 <= backoff_seconds(5) <= 32
    assert 30 <= backoff_seconds(10) <= 60
    assert backoff_seconds(1, retry_after=45) >= 45


def test_worker_whose_job_was_taken_over_records_nothing(
    alice, manager, design_group, simulator
):
    access_request = approve_for(alice, design_group, manager)
    job = grant_job(access_request)
    inner = simulator.transport()

    def slow_worker(request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and "/group/user" in request.url.path:
            # While this worker waits for Atlassian, its lease runs out and another takes over.
            ProvisioningJob.objects.filter(pk=job.pk).update(claimed_by="other-worker")
        return inner.handle_request(request)

    with use_transport(httpx.MockTransport(slow_worker)):
        after = execute_job(job)

    assert (after.status, after.claimed_by) == (JobStatus.RUNNING, "other-worker")
    assert not AuditEvent.objects.filter(action="grant.activated").exists()


def test_leaver_loses_access_and_account_in_atlassian(
    alice, manager, admin, design_group, simulator
):
    access_request = approve_for(alice, design_group, manager)
    execute_job(grant_job(access_request))

    workflow.deactivate_identity(alice, by=admin)
    for job in ProvisioningJob.objects.due():
        execute_job(job)

    with simulator.lock:
        atlassian_user = simulator.state.user_by_email(alice.email)
    assert not simulator_shows(simulator, design_group, alice.email)
    assert not atlassian_user.active
    assert Account.objects.get(identity=alice).status == "suspended"
    assert set(ProvisioningJob.objects.values_list("kind", "status")) == {
        (JobKind.GRANT, JobStatus.SUCCEEDED),
        (JobKind.REVOKE, JobStatus.SUCCEEDED),
        (JobKind.DISABLE_ACCOUNT, JobStatus.SUCCEEDED),
    }
