"""Adopting existing access: unmanaged drift becomes portal grants, without a job."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from approvals import drift, drift_actions, drift_adoption, workflow
from approvals.birthright import apply_birthright
from approvals.models import (
    AuditEvent,
    BirthrightRule,
    DriftFinding,
    DriftKind,
    DriftStatus,
    Grant,
    GrantOrigin,
    GrantState,
    JobKind,
    JobStatus,
    ProvisioningJob,
)
from approvals.provisioning import execute_job
from connectors.models import Account, Assignment, ReconciliationRun
from connectors.reconcile import execute_run, start_run
from tests.approvals.conftest import simulator_shows
from tests.approvals.test_concurrency import race
from tests.factories import (
    AccountFactory,
    AssignmentFactory,
    EntitlementFactory,
    GrantFactory,
    UserFactory,
)


@pytest.fixture
def finding(group, account, run):
    """The requester holds the web team group in Atlassian; no grant explains it."""
    AssignmentFactory(entitlement=group, account=account)
    drift.check_drift(group.application, run=run)
    return DriftFinding.objects.get()


def _later_run(application):
    return ReconciliationRun.objects.create(
        application=application, status="succeeded", started_at=timezone.now()
    )


# --- one finding ---------------------------------------------------------------------


def test_adopted_access_becomes_an_active_grant_without_a_job(
    finding, requester, account, group, admin
):
    grant = drift_adoption.adopt_finding(finding.pk, by=admin)

    finding.refresh_from_db()
    assert (grant.beneficiary, grant.entitlement, grant.account) == (
        requester,
        group,
        account,
    )
    assert (grant.state, grant.origin, grant.adopted_by) == (
        GrantState.ACTIVE,
        GrantOrigin.ADOPTED,
        admin,
    )
    assert grant.adopted_at == grant.activated_at == finding.resolved_at
    assert grant.request is None
    assert (finding.status, finding.grant) == (DriftStatus.ADOPTED, grant)
    assert not ProvisioningJob.objects.exists()


def test_an_adoption_is_audited_on_the_finding(finding, admin):
    grant = drift_adoption.adopt_finding(finding.pk, by=admin)

    event = AuditEvent.objects.get(action="drift.adopted")
    assert (event.actor, event.target_type, event.target_id) == (
        admin,
        "approvals.DriftFinding",
        str(finding.pk),
    )
    assert event.target_label == str(finding)
    assert event.after == {"status": "adopted", "grant": grant.pk}
    assert f"grant #{grant.pk}" in event.message


def test_adopting_twice_is_refused_and_changes_nothing(finding, admin):
    drift_adoption.adopt_finding(finding.pk, by=admin)

    with pytest.raises(workflow.AlreadyDecided, match="is adopted as a grant"):
        drift_adoption.adopt_finding(finding.pk, by=admin)

    assert Grant.objects.count() == 1
    assert AuditEvent.objects.filter(action="drift.adopted").count() == 1


def test_a_dismissed_finding_cannot_be_adopted(finding, admin):
    drift_actions.dismiss_finding(finding.pk, by=admin, reason="Break-glass account")

    with pytest.raises(workflow.AlreadyDecided, match="is dismissed"):
        drift_adoption.adopt_finding(finding.pk, by=admin)

    assert not Grant.objects.exists()


def test_only_admins_adopt(finding, requester):
    with pytest.raises(workflow.NotAllowed):
        drift_adoption.adopt_finding(finding.pk, by=requester)
    with pytest.raises(workflow.NotAllowed):
        drift_adoption.adopt_findings(DriftFinding.objects.all(), by=requester)

    finding.refresh_from_db()
    assert finding.status == DriftStatus.OPEN
    assert not Grant.objects.exists()


def test_missing_access_cannot_be_adopted(group, account, requester, admin, run):
    GrantFactory(
        beneficiary=requester,
        entitlement=group,
        account=account,
        activated_at=timezone.now() - timedelta(days=1),
    )
    drift.check_drift(group.application, run=run)
    missing = DriftFinding.objects.get(kind=DriftKind.MISSING)

    with pytest.raises(workflow.InvalidRequest, match="only access Atlassian holds"):
        drift_adoption.adopt_finding(missing.pk, by=admin)


def test_access_of_an_account_without_identity_cannot_be_adopted(group, admin, run):
    stranger = AccountFactory(application=group.application, identity=None)
    AssignmentFactory(entitlement=group, account=stranger)
    drift.check_drift(group.application, run=run)

    with pytest.raises(
        workflow.InvalidRequest, match="not linked to a portal identity"
    ):
        drift_adoption.adopt_finding(DriftFinding.objects.get().pk, by=admin)

    assert DriftFinding.objects.get().status == DriftStatus.OPEN


def test_access_granted_since_the_check_is_not_adopted_twice(
    finding, requester, group, account, admin
):
    GrantFactory(beneficiary=requester, entitlement=group, account=account)

    with pytest.raises(workflow.AlreadyDecided, match="already has Web team"):
        drift_adoption.adopt_finding(finding.pk, by=admin)

    assert Grant.objects.count() == 1


def test_a_later_check_does_not_flag_adopted_access(finding, group, admin):
    drift_adoption.adopt_finding(finding.pk, by=admin)

    summary = drift.check_drift(group.application, run=_later_run(group.application))

    assert (summary.unmanaged, summary.missing, summary.resolved) == (0, 0, 0)
    assert list(DriftFinding.objects.values_list("status", flat=True)) == [
        DriftStatus.ADOPTED
    ]


def test_access_left_after_its_adopted_grant_ended_is_drift_again(
    finding, group, admin
):
    grant = drift_adoption.adopt_finding(finding.pk, by=admin)
    Grant.objects.filter(pk=grant.pk).update(
        state=GrantState.REVOKED, ended_at=timezone.now() - timedelta(hours=1)
    )

    summary = drift.check_drift(group.application, run=_later_run(group.application))

    assert summary.unmanaged == 1
    assert DriftFinding.objects.filter(status=DriftStatus.OPEN).count() == 1


def test_a_move_does_not_take_adopted_access_away(finding, requester, group, admin):
    rule = BirthrightRule.objects.create(
        name="Engineering", application=group.application, value="Engineering"
    )
    rule.entitlements.add(group)
    grant = drift_adoption.adopt_finding(finding.pk, by=admin)
    requester.department = "Sales"
    requester.save()

    apply_birthright(
        requester, group.application, previous={"department": "Engineering"}
    )

    grant.refresh_from_db()
    assert grant.state == GrantState.ACTIVE


# --- many findings -------------------------------------------------------------------


def test_bulk_adoption_adopts_only_the_selected_findings(
    group, other_group, account, admin, run
):
    AssignmentFactory(entitlement=group, account=account)
    AssignmentFactory(entitlement=other_group, account=account)
    drift.check_drift(group.application, run=run)
    chosen = DriftFinding.objects.filter(entitlement=group)

    summary = drift_adoption.adopt_findings(chosen, by=admin)

    assert (summary.adopted, summary.left_open) == (1, 0)
    assert dict(DriftFinding.objects.values_list("entitlement", "status")) == {
        group.pk: DriftStatus.ADOPTED,
        other_group.pk: DriftStatus.OPEN,
    }
    assert Grant.objects.get().entitlement == group


def test_bulk_adoption_leaves_what_it_cannot_adopt_open_and_says_why(
    group, account, admin, run
):
    stranger = AccountFactory(application=group.application, identity=None)
    AssignmentFactory(entitlement=group, account=account)
    AssignmentFactory(entitlement=group, account=stranger)
    drift.check_drift(group.application, run=run)
    findings = DriftFinding.objects.all()

    summary = drift_adoption.adopt_findings(findings, by=admin)

    assert (summary.adopted, summary.left_open) == (1, 1)
    assert drift_adoption.why_left_open(findings) == [
        ("the account is not linked to a portal identity", 1)
    ]


def test_a_person_with_two_accounts_gets_one_grant(group, account, requester, admin):
    second = AccountFactory(application=group.application, identity=requester)
    AssignmentFactory(entitlement=group, account=account)
    AssignmentFactory(entitlement=group, account=second)
    drift.check_drift(group.application, run=_later_run(group.application))

    summary = drift_adoption.adopt_findings(DriftFinding.objects.all(), by=admin)

    grant = Grant.objects.get()
    assert summary.adopted == 2
    assert set(DriftFinding.objects.values_list("status", "grant")) == {
        (DriftStatus.ADOPTED, grant.pk)
    }


def test_adopting_all_of_one_entitlement_kind(group, account, admin, run):
    role = EntitlementFactory(application=group.application, kind="project_role")
    AssignmentFactory(entitlement=group, account=account)
    AssignmentFactory(entitlement=role, account=account)
    drift.check_drift(group.application, run=run)

    summary = drift_adoption.adopt_open_findings(
        group.application, by=admin, entitlement_kind="project_role"
    )

    assert summary.adopted == 1
    assert Grant.objects.get().entitlement == role
    assert DriftFinding.objects.get(entitlement=group).status == DriftStatus.OPEN


def test_adopting_all_at_scale(offline_application, admin, run, monkeypatch):
    monkeypatch.setattr(drift_adoption, "WINDOW", 700)  # several windows
    people = UserFactory.create_batch(300)
    accounts = [
        AccountFactory(application=offline_application, identity=person)
        for person in people
    ]
    groups = EntitlementFactory.create_batch(10, application=offline_application)
    Assignment.objects.bulk_create(
        AssignmentFactory.build(
            application=offline_application, entitlement=g, account=a
        )
        for a in accounts
        for g in groups
    )
    drift.check_drift(offline_application, run=run)
    progress = []

    summary = drift_adoption.adopt_open_findings(
        offline_application,
        by=admin,
        on_progress=lambda *counts: progress.append(counts),
    )

    assert (summary.adopted, summary.left_open) == (3000, 0)
    assert (
        Grant.objects.filter(origin=GrantOrigin.ADOPTED, state="active").count() == 3000
    )
    assert DriftFinding.objects.filter(status=DriftStatus.ADOPTED).count() == 3000
    assert not ProvisioningJob.objects.exists()
    assert AuditEvent.objects.filter(action="drift.adopted").count() == 3000
    assert AuditEvent.objects.get(action="drift.adopted_all").after["adopted"] == 3000
    assert progress[-1] == (3000, 3000, 3000)
    assert len(progress) > 1


def test_adopting_all_again_adopts_nothing_more(finding, group, admin):
    drift_adoption.adopt_open_findings(group.application, by=admin)

    summary = drift_adoption.adopt_open_findings(group.application, by=admin)

    assert (summary.adopted, summary.left_open) == (0, 0)
    assert Grant.objects.count() == 1


# --- against the simulated Atlassian organization -----------------------------------


def test_adopted_demo_organization_is_clean_on_the_next_reconciliation(
    application, simulator, admin
):
    execute_run(start_run(application).pk)
    unmanaged = DriftFinding.objects.filter(
        kind=DriftKind.UNMANAGED, status=DriftStatus.OPEN
    ).count()

    summary = drift_adoption.adopt_open_findings(application, by=admin)
    execute_run(start_run(application).pk)

    assert unmanaged > 50
    assert summary.adopted == unmanaged - summary.left_open
    assert not ProvisioningJob.objects.exists()
    assert DriftFinding.objects.filter(status=DriftStatus.OPEN).count() == (
        summary.left_open
    )


def test_revoking_an_adopted_grant_removes_the_access_in_atlassian(
    application, simulator, admin
):
    execute_run(start_run(application).pk)
    drift_adoption.adopt_open_findings(application, by=admin, entitlement_kind="group")
    grant = Grant.objects.filter(origin=GrantOrigin.ADOPTED).select_related(
        "entitlement", "beneficiary"
    )[0]
    email = Account.objects.get(pk=grant.account_id).email
    assert simulator_shows(simulator, grant.entitlement, email)

    workflow.revoke_grant(grant.pk, by=admin, reason="Not needed any more")
    job = ProvisioningJob.objects.get(kind=JobKind.REVOKE, grant=grant)
    execute_job(job)

    grant.refresh_from_db()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert grant.state == GrantState.REVOKED
    assert not simulator_shows(simulator, grant.entitlement, email)


def test_two_adoptions_at_once_make_one_grant_per_access(
    transactional_db, offline_application, admin, monkeypatch
):
    monkeypatch.setattr(drift_adoption, "WINDOW", 50)
    groups = EntitlementFactory.create_batch(20, application=offline_application)
    for person in UserFactory.create_batch(10):
        account = AccountFactory(application=offline_application, identity=person)
        for group in groups:
            AssignmentFactory(entitlement=group, account=account)
    drift.check_drift(offline_application)

    outcomes = race(
        lambda: drift_adoption.adopt_open_findings(offline_application, by=admin),
        lambda: drift_adoption.adopt_open_findings(offline_application, by=admin),
    )

    assert sum(summary.adopted for summary in outcomes) == 200
    assert Grant.objects.count() == 200
    assert not DriftFinding.objects.filter(status=DriftStatus.OPEN).exists()
