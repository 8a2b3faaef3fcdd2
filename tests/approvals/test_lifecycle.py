"""After the decision: cancel, revoke, expire, extend, retry, leavers, vanished entitlements."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from approvals import tasks, workflow
from approvals.models import (
    AccessRequest,
    AuditEvent,
    GrantState,
    JobKind,
    JobStatus,
    ProvisioningJob,
    RequestState,
)
from connectors.base import AccountStatus
from tests.factories import (
    AccessRequestFactory,
    AccountFactory,
    GrantFactory,
    PolicyFactory,
    ProvisioningJobFactory,
)

# --- cancelling -------------------------------------------------------------------


def test_requester_cancels_a_pending_request(submit, group, requester):
    access_request = submit(group)

    cancelled = workflow.cancel(access_request.pk, by=requester)

    assert cancelled.state == RequestState.CANCELLED
    assert not cancelled.steps.filter(state="open").exists()


def test_approved_request_can_no_longer_be_cancelled(submit, group, requester, manager):
    access_request = submit(group)
    workflow.approve(access_request.pk, approver=manager)

    with pytest.raises(workflow.AlreadyDecided):
        workflow.cancel(access_request.pk, by=requester)


def test_outsider_cannot_cancel_someone_elses_request(submit, group, outsider):
    access_request = submit(group)

    with pytest.raises(workflow.NotAllowed):
        workflow.cancel(access_request.pk, by=outsider)


# --- revoking ---------------------------------------------------------------------


def test_holder_revokes_an_active_grant(requester, group):
    grant = GrantFactory(beneficiary=requester, entitlement=group)

    revoked = workflow.revoke_grant(grant.pk, by=requester, reason="Done with it")

    assert revoked.state == GrantState.REVOKING
    assert revoked.request.state == RequestState.REVOKED
    job = ProvisioningJob.objects.get(grant=grant)
    assert (job.kind, job.status) == (JobKind.REVOKE, JobStatus.PENDING)
    assert job.payload == {"final_state": "revoked"}


def test_revoking_before_provisioning_started_needs_no_job(
    submit, group, requester, manager
):
    access_request = workflow.approve(submit(group).pk, approver=manager)
    grant = access_request.grant

    workflow.revoke_grant(grant.pk, by=requester)

    grant.refresh_from_db()
    assert grant.state == GrantState.REVOKED
    assert grant.jobs.get().status == JobStatus.CANCELLED
    assert not grant.jobs.filter(kind=JobKind.REVOKE).exists()


def test_revoking_while_a_grant_job_retries_queues_a_removal(requester, group):
    job = ProvisioningJobFactory(
        grant__beneficiary=requester, grant__entitlement=group, attempts=2
    )

    workflow.revoke_grant(job.grant.pk, by=requester)

    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert job.grant.jobs.filter(kind=JobKind.REVOKE, status=JobStatus.PENDING).exists()


def test_outsider_cannot_revoke_someone_elses_grant(requester, outsider, group):
    grant = GrantFactory(beneficiary=requester, entitlement=group)

    with pytest.raises(workflow.NotAllowed):
        workflow.revoke_grant(grant.pk, by=outsider)


def test_admin_revokes_anyones_grant(requester, admin, group):
    grant = GrantFactory(beneficiary=requester, entitlement=group)

    revoked = workflow.revoke_grant(grant.pk, by=admin, reason="Audit finding")

    assert revoked.end_reason == "Audit finding"
    assert revoked.ended_by == admin


def test_revoking_twice_says_it_is_already_being_removed(requester, group):
    grant = GrantFactory(beneficiary=requester, entitlement=group)
    workflow.revoke_grant(grant.pk, by=requester)

    with pytest.raises(workflow.AlreadyDecided) as refused:
        workflow.revoke_grant(grant.pk, by=requester)

    assert (
        refused.value.message
        == f"Grant #{grant.pk} is already being removed by Requester."
    )


# --- expiry -------------------------------------------------------------------------


def test_grant_past_its_end_is_expired_by_the_periodic_task(
    requester, group, other_group
):
    due = GrantFactory(
        beneficiary=requester,
        entitlement=group,
        ends_at=timezone.now() - timedelta(minutes=1),
    )
    later = GrantFactory(
        beneficiary=requester,
        entitlement=other_group,
        ends_at=timezone.now() + timedelta(days=1),
    )

    expired = tasks.expire_grants()

    due.refresh_from_db()
    later.refresh_from_db()
    assert expired == 1
    assert due.state == GrantState.REVOKING
    assert due.request.state == RequestState.ENDED
    assert due.jobs.get().payload == {"final_state": "expired"}
    assert later.state == GrantState.ACTIVE


def test_pending_request_expires_after_the_configured_days(submit, group, settings):
    settings.REQUEST_PENDING_EXPIRY_DAYS = 14
    old = submit(group)
    AccessRequest.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=15)
    )

    expired = tasks.expire_pending_requests()

    old.refresh_from_db()
    assert expired == 1
    assert old.state == RequestState.EXPIRED


def test_recent_pending_request_does_not_expire(submit, group):
    fresh = submit(group)

    tasks.expire_pending_requests()

    fresh.refresh_from_db()
    assert fresh.state == RequestState.PENDING


# --- extension ----------------------------------------------------------------------


def test_extension_moves_the_grant_to_the_new_request(requester, manager, group):
    PolicyFactory(entitlement=group, max_duration_days=90)
    grant = GrantFactory(
        beneficiary=requester,
        entitlement=group,
        ends_at=timezone.now() + timedelta(days=2),
    )
    first_request = grant.request

    extension = workflow.request_extension(
        grant.pk, requester=requester, justification="Project slipped", duration_days=30
    )
    approved = workflow.approve(extension.pk, approver=manager)

    grant.refresh_from_db()
    first_request.refresh_from_db()
    assert approved.state == RequestState.ACTIVE
    assert grant.request == approved
    assert grant.ends_at > timezone.now() + timedelta(days=29)
    assert first_request.state == RequestState.ENDED
    assert first_request.state_reason == f"Extended by request #{approved.pk}"


def test_extension_of_an_ended_grant_is_refused(requester, group):
    grant = GrantFactory(
        beneficiary=requester, entitlement=group, state=GrantState.REVOKED
    )

    with pytest.raises(workflow.AlreadyDecided):
        workflow.request_extension(grant.pk, requester=requester, justification="x")


def test_second_pending_extension_is_refused(requester, group):
    grant = GrantFactory(beneficiary=requester, entitlement=group)
    workflow.request_extension(
        grant.pk, requester=requester, justification="x", duration_days=5
    )

    with pytest.raises(workflow.InvalidRequest):
        workflow.request_extension(
            grant.pk, requester=requester, justification="y", duration_days=5
        )


# --- retry ------------------------------------------------------------------------


def test_admin_retries_a_failed_grant_job(requester, admin, group):
    job = ProvisioningJobFactory(
        grant__beneficiary=requester,
        grant__entitlement=group,
        grant__state=GrantState.FAILED,
        grant__request__state=RequestState.FAILED,
        status=JobStatus.FAILED,
        attempts=8,
        last_error="Forbidden [403]",
    )

    retried = workflow.retry_job(job.pk, by=admin)

    job.grant.refresh_from_db()
    job.grant.request.refresh_from_db()
    assert (retried.status, retried.attempts) == (JobStatus.PENDING, 0)
    assert job.grant.state == GrantState.PENDING
    assert job.grant.request.state == RequestState.APPROVED
    assert AuditEvent.objects.filter(action="job.retried", actor=admin).count() == 1


def test_only_admins_retry_jobs(requester, group):
    job = ProvisioningJobFactory(status=JobStatus.FAILED)

    with pytest.raises(workflow.NotAllowed):
        workflow.retry_job(job.pk, by=requester)


def test_a_job_that_did_not_fail_cannot_be_retried(admin, db):
    job = ProvisioningJobFactory(status=JobStatus.SUCCEEDED)

    with pytest.raises(workflow.AlreadyDecided):
        workflow.retry_job(job.pk, by=admin)


# --- leavers ----------------------------------------------------------------------


def test_leaver_loses_every_grant_and_account(
    requester, admin, group, other_group, submit
):
    account = AccountFactory(application=group.application, identity=requester)
    held = GrantFactory(beneficiary=requester, entitlement=group, account=account)
    waiting = submit(other_group)

    workflow.deactivate_identity(requester, by=admin)

    held.refresh_from_db()
    waiting.refresh_from_db()
    assert not requester.is_active
    assert held.state == GrantState.REVOKING
    assert waiting.state == RequestState.CANCELLED
    kinds = set(ProvisioningJob.objects.values_list("kind", flat=True))
    assert kinds == {JobKind.REVOKE, JobKind.DISABLE_ACCOUNT}


def test_deactivating_twice_queues_nothing_more(requester, admin, group):
    AccountFactory(
        application=group.application, identity=requester, status=AccountStatus.ACTIVE
    )
    GrantFactory(beneficiary=requester, entitlement=group)
    workflow.deactivate_identity(requester, by=admin)

    workflow.deactivate_identity(requester, by=admin)

    assert ProvisioningJob.objects.count() == 2
    assert AuditEvent.objects.filter(action="identity.deactivated").count() == 1


def test_only_admins_deactivate_identities(requester, outsider):
    with pytest.raises(workflow.NotAllowed):
        workflow.deactivate_identity(requester, by=outsider)


# --- vanished entitlements -----------------------------------------------------------


def test_requests_and_grants_on_vanished_entitlements_are_closed(
    requester, submit, group, other_group
):
    waiting = submit(group)
    grant = GrantFactory(beneficiary=requester, entitlement=other_group)
    for entitlement in (group, other_group):
        entitlement.removed_at = timezone.now()
        entitlement.save()

    closed = tasks.close_requests_for_vanished_entitlements()

    waiting.refresh_from_db()
    grant.refresh_from_db()
    assert closed == 2
    assert waiting.state == RequestState.CANCELLED
    assert waiting.state_reason == "Web team no longer exists in Atlassian"
    assert grant.state == GrantState.REVOKED
    assert grant.request.state == RequestState.ENDED


def test_bare_request_factory_rows_appear_in_the_persons_list(
    requester, outsider, group
):
    mine = AccessRequestFactory(requester=requester, entitlement=group)
    AccessRequestFactory(requester=outsider, entitlement=group)

    listed = list(AccessRequest.objects.for_person(requester))

    assert listed == [mine]
