"""Drift: unmanaged access in Atlassian and missing access of portal grants."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from approvals import drift, drift_actions, workflow
from approvals.models import (
    AuditEvent,
    DriftFinding,
    DriftKind,
    DriftStatus,
    Grant,
    GrantState,
    JobKind,
    JobStatus,
    ProvisioningJob,
)
from approvals.provisioning import execute_job
from connectors.models import Assignment, DriftPolicy, ReconciliationRun
from connectors.signals import identity_deactivated, reconciliation_finished
from tests.approvals.conftest import load_entitlement, simulator_shows
from tests.factories import (
    AccountFactory,
    AssignmentFactory,
    EntitlementFactory,
    GrantFactory,
)


def test_access_no_grant_explains_is_unmanaged(group, account, run):
    AssignmentFactory(entitlement=group, account=account)

    summary = drift.check_drift(group.application, run=run)

    finding = DriftFinding.objects.get()
    assert summary.unmanaged == 1
    assert (finding.kind, finding.account, finding.entitlement) == (
        DriftKind.UNMANAGED,
        account,
        group,
    )


def test_access_a_grant_explains_is_not_drift(group, account, requester, run):
    AssignmentFactory(entitlement=group, account=account)
    GrantFactory(beneficiary=requester, entitlement=group, account=account)

    drift.check_drift(group.application, run=run)

    assert not DriftFinding.objects.exists()


def test_product_groups_and_the_service_account_are_not_drift(
    offline_application, account, run
):
    product = EntitlementFactory(
        application=offline_application, name="jira-software-users"
    )
    service = AccountFactory(
        application=offline_application, email=offline_application.admin_email
    )
    AssignmentFactory(entitlement=product, account=account)
    AssignmentFactory(
        entitlement=EntitlementFactory(application=offline_application), account=service
    )

    drift.check_drift(offline_application, run=run)

    assert not DriftFinding.objects.exists()


def test_access_held_through_a_group_is_not_drift(group, account, requester, run):
    AssignmentFactory(entitlement=group, account=account)  # a granted membership
    GrantFactory(beneficiary=requester, entitlement=group, account=account)
    role = EntitlementFactory(application=group.application, kind="project_role")
    AssignmentFactory(entitlement=role, account=None, holder_group=group)

    drift.check_drift(group.application, run=run)

    assert not DriftFinding.objects.exists()


def test_grant_whose_access_atlassian_lost_is_missing(group, account, requester, run):
    grant = GrantFactory(
        beneficiary=requester,
        entitlement=group,
        account=account,
        activated_at=timezone.now() - timedelta(days=1),
    )

    summary = drift.check_drift(group.application, run=run)

    grant.refresh_from_db()
    assert summary.missing == 1
    assert grant.is_missing
    assert DriftFinding.objects.get().grant == grant
    assert AuditEvent.objects.filter(
        action="grant.missing", request=grant.request
    ).exists()


def test_grant_activated_while_the_run_read_atlassian_is_not_missing(
    group, account, requester, run
):
    GrantFactory(
        beneficiary=requester,
        entitlement=group,
        account=account,
        activated_at=timezone.now(),
    )

    drift.check_drift(group.application, run=run)

    assert not DriftFinding.objects.exists()


def test_drift_that_disappears_is_resolved(group, account, run):
    assignment = AssignmentFactory(entitlement=group, account=account)
    drift.check_drift(group.application, run=run)
    assignment.ended_at = timezone.now()
    assignment.save()

    summary = drift.check_drift(group.application, run=run)

    assert summary.resolved == 1
    assert DriftFinding.objects.get().status == DriftStatus.RESOLVED


def test_checking_twice_does_not_duplicate_findings(group, account, run):
    AssignmentFactory(entitlement=group, account=account)
    drift.check_drift(group.application, run=run)

    summary = drift.check_drift(group.application, run=run)

    assert summary.unmanaged == 0
    assert DriftFinding.objects.count() == 1


def test_dismissed_drift_is_not_raised_again(group, account, admin, run):
    AssignmentFactory(entitlement=group, account=account)
    drift.check_drift(group.application, run=run)
    drift_actions.dismiss_finding(
        DriftFinding.objects.get().pk, by=admin, reason="Break-glass account"
    )

    drift.check_drift(group.application, run=run)

    assert list(DriftFinding.objects.values_list("status", flat=True)) == [
        DriftStatus.DISMISSED
    ]


def test_report_policy_only_reports(group, account, run):
    AssignmentFactory(entitlement=group, account=account)

    drift.check_drift(group.application, run=run)

    assert not ProvisioningJob.objects.exists()


def test_correct_policy_queues_an_audited_job_per_finding(group, account, run):
    group.application.drift_policy = DriftPolicy.CORRECT
    group.application.save()
    AssignmentFactory(entitlement=group, account=account)

    summary = drift.check_drift(group.application, run=run)

    job = ProvisioningJob.objects.get()
    finding = DriftFinding.objects.get()
    assert summary.corrections == 1
    assert (job.kind, job.account, job.entitlement) == (JobKind.REVOKE, account, group)
    assert (finding.status, finding.job) == (DriftStatus.CORRECTING, job)
    assert AuditEvent.objects.filter(
        action="drift.correcting", target_id=str(finding.pk)
    ).exists()


def test_correct_policy_holds_back_when_there_are_too_many_findings(
    group, account, run, settings, offline_application, requester
):
    settings.DRIFT_AUTO_CORRECT_LIMIT = 1
    offline_application.drift_policy = DriftPolicy.CORRECT
    offline_application.save()
    other = EntitlementFactory(application=offline_application)
    AssignmentFactory(entitlement=group, account=account)
    AssignmentFactory(entitlement=other, account=account)

    summary = drift.check_drift(offline_application, run=run)

    assert (summary.unmanaged, summary.corrections) == (2, 0)
    assert not ProvisioningJob.objects.exists()
    assert set(DriftFinding.objects.values_list("status", flat=True)) == {
        DriftStatus.OPEN
    }
    held = AuditEvent.objects.get(action="drift.correction_held")
    assert held.target_id == str(offline_application.pk)
    assert "More than 1 open drift findings" in held.message


def test_only_admins_correct_drift(group, account, requester, run):
    AssignmentFactory(entitlement=group, account=account)
    drift.check_drift(group.application, run=run)

    with pytest.raises(workflow.NotAllowed):
        drift_actions.correct_finding(DriftFinding.objects.get().pk, by=requester)


def test_a_finding_is_corrected_once(group, account, admin, run):
    AssignmentFactory(entitlement=group, account=account)
    drift.check_drift(group.application, run=run)
    finding = DriftFinding.objects.get()
    drift_actions.correct_finding(finding.pk, by=admin)

    with pytest.raises(workflow.AlreadyDecided):
        drift_actions.correct_finding(finding.pk, by=admin)


# --- corrections reach Atlassian ----------------------------------------------------


def test_correcting_unmanaged_access_revokes_it_in_atlassian(
    application, simulator, alice, admin
):
    design = load_entitlement(application, "group", "design")
    with simulator.lock:
        state = simulator.state
        account_id = state.user_by_email(alice.email).account_id
        state.add_member(
            state.group_by_name("design"), state.user_by_email(alice.email)
        )
    account = AccountFactory(
        application=application, account_id=account_id, identity=alice
    )
    AssignmentFactory(entitlement=design, account=account)
    drift.check_drift(application)

    job = drift_actions.correct_finding(DriftFinding.objects.get().pk, by=admin)
    execute_job(job)

    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert not simulator_shows(simulator, design, alice.email)
    assert DriftFinding.objects.get().status == DriftStatus.RESOLVED


def test_correcting_missing_access_grants_it_again(
    application, simulator, alice, manager, admin
):
    design = load_entitlement(application, "group", "design")
    access_request = workflow.submit_requests(
        requester=alice, entitlements=[design], justification="x"
    )[0]
    workflow.approve(access_request.pk, approver=manager)
    execute_job(ProvisioningJob.objects.get(kind=JobKind.GRANT))
    with simulator.lock:  # someone removed it directly in Atlassian
        state = simulator.state
        state.remove_member(
            state.group_by_name("design"), state.user_by_email(alice.email)
        )
    # ... and the next reconciliation saw it gone, an hour after the grant was active.
    Assignment.objects.filter(entitlement=design).update(ended_at=timezone.now())
    Grant.objects.filter(pk=access_request.grant.pk).update(
        activated_at=timezone.now() - timedelta(hours=1)
    )
    drift.check_drift(application)

    job = drift_actions.correct_finding(
        DriftFinding.objects.get(kind=DriftKind.MISSING).pk, by=admin
    )
    execute_job(job)

    grant = access_request.grant
    grant.refresh_from_db()
    assert simulator_shows(simulator, design, alice.email)
    assert (grant.state, grant.is_missing) == (GrantState.ACTIVE, False)
    assert (
        AuditEvent.objects.filter(
            action="grant.restored", target_id=str(grant.pk)
        ).count()
        == 1
    )


# --- signals from the catalog -------------------------------------------------------


def test_a_finished_reconciliation_runs_the_check(group, account, run):
    AssignmentFactory(entitlement=group, account=account)

    reconciliation_finished.send(sender=ReconciliationRun, run=run)

    assert DriftFinding.objects.filter(run=run).count() == 1


def test_a_partial_reconciliation_proves_nothing(group, account, run):
    AssignmentFactory(entitlement=group, account=account)
    run.only = ["groups"]
    run.save()

    reconciliation_finished.send(sender=ReconciliationRun, run=run)

    assert not DriftFinding.objects.exists()


def test_the_trusted_source_reporting_a_leaver_revokes_their_access(
    group, account, requester
):
    grant = GrantFactory(beneficiary=requester, entitlement=group, account=account)

    identity_deactivated.send(
        sender=None, identity=requester, application=group.application
    )

    grant.refresh_from_db()
    assert grant.state == GrantState.REVOKING
    assert not requester.is_active


# --- re-checks: what a finding remembers ---------------------------------------------


def _later_run(application):
    return ReconciliationRun.objects.create(
        application=application, status="succeeded", started_at=timezone.now()
    )


def test_a_finding_records_the_run_and_when_it_was_found(group, account, run):
    AssignmentFactory(entitlement=group, account=account)

    drift.check_drift(group.application, run=run)

    finding = DriftFinding.objects.get()
    assert (finding.status, finding.run, finding.grant) == (
        DriftStatus.OPEN,
        run,
        None,
    )
    assert finding.first_found_at == finding.last_found_at
    assert finding.first_found_at > run.started_at


def test_a_recheck_keeps_first_found_and_moves_last_found(group, account, run):
    AssignmentFactory(entitlement=group, account=account)
    drift.check_drift(group.application, run=run)
    first = DriftFinding.objects.get()
    later = _later_run(group.application)

    drift.check_drift(group.application, run=later)

    finding = DriftFinding.objects.get()
    assert finding.first_found_at == first.first_found_at
    assert finding.last_found_at > first.last_found_at
    assert finding.run == later


def test_resolved_drift_that_comes_back_is_a_new_finding(group, account, run):
    assignment = AssignmentFactory(entitlement=group, account=account)
    drift.check_drift(group.application, run=run)
    assignment.ended_at = timezone.now()
    assignment.save()
    drift.check_drift(group.application, run=run)
    AssignmentFactory(entitlement=group, account=account)

    summary = drift.check_drift(group.application, run=_later_run(group.application))

    assert summary.unmanaged == 1
    assert sorted(DriftFinding.objects.values_list("status", flat=True)) == [
        DriftStatus.OPEN,
        DriftStatus.RESOLVED,
    ]


def test_drift_being_corrected_is_not_raised_again(group, account, admin, run):
    AssignmentFactory(entitlement=group, account=account)
    drift.check_drift(group.application, run=run)
    drift_actions.correct_finding(DriftFinding.objects.get().pk, by=admin)

    summary = drift.check_drift(group.application, run=run)

    assert summary.unmanaged == 0
    assert DriftFinding.objects.get().status == DriftStatus.CORRECTING


def test_a_missing_grant_is_found_once_with_its_account(group, account, requester, run):
    grant = GrantFactory(
        beneficiary=requester,
        entitlement=group,
        account=account,
        activated_at=timezone.now() - timedelta(days=1),
    )
    drift.check_drift(group.application, run=run)

    summary = drift.check_drift(group.application)

    finding = DriftFinding.objects.get()
    assert summary.missing == 0
    assert (finding.kind, finding.grant, finding.account, finding.entitlement) == (
        DriftKind.MISSING,
        grant,
        account,
        group,
    )
    assert finding.run is None  # the last check had no run
    assert AuditEvent.objects.filter(action="grant.missing").count() == 1


def test_without_product_groups_every_group_is_checked(group, account, run):
    group.application.default_groups = []
    group.application.save()
    AssignmentFactory(entitlement=group, account=account)

    summary = drift.check_drift(group.application, run=run)

    assert summary.unmanaged == 1


def test_accounts_far_apart_are_all_checked(group, account, run):
    far = AccountFactory(
        application=group.application, id=account.pk + drift.SLICE_ACCOUNTS * 3 + 1
    )
    AssignmentFactory(entitlement=group, account=account)
    AssignmentFactory(entitlement=group, account=far)

    summary = drift.check_drift(group.application, run=run)

    assert summary.unmanaged == 2
    assert set(DriftFinding.objects.values_list("account", flat=True)) == {
        account.pk,
        far.pk,
    }
