"""The request state machine: submitting and deciding, every transition and refusal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from approvals import workflow
from approvals.models import (
    AccessRequest,
    ApprovalRule,
    AuditEvent,
    Grant,
    GrantState,
    JobKind,
    JobStatus,
    ProvisioningJob,
    RequestState,
    StepState,
)
from tests.factories import (
    AccountFactory,
    AssignmentFactory,
    EntitlementFactory,
    GrantFactory,
    PolicyFactory,
    UserFactory,
)

# --- submitting -------------------------------------------------------------------


def test_submitted_request_waits_for_the_managers_decision(submit, group, manager):
    access_request = submit(group)

    assert access_request.state == RequestState.PENDING
    step = access_request.current_step
    assert step.rule == ApprovalRule.MANAGER
    assert list(step.approvers.all()) == [manager]
    assert AuditEvent.objects.filter(
        request=access_request, action="request.submitted"
    ).exists()


def test_cart_submits_each_entitlement_in_one_batch(requester, group, other_group):
    created = workflow.submit_requests(
        requester=requester,
        entitlements=[group, other_group.pk],
        justification="Project X",
    )

    assert [r.entitlement for r in created] == [group, other_group]
    assert len({r.batch for r in AccessRequest.objects.all()}) == 1


def test_cart_is_all_or_nothing(requester, group, other_group):
    GrantFactory(beneficiary=requester, entitlement=other_group)

    with pytest.raises(workflow.InvalidRequest) as refused:
        workflow.submit_requests(
            requester=requester, entitlements=[group, other_group], justification="x"
        )

    assert "already holds Ops team" in refused.value.field_errors["entitlements"][0]
    assert not AccessRequest.objects.filter(entitlement=group).exists()


def test_request_for_access_already_held_is_refused(submit, requester, group):
    GrantFactory(beneficiary=requester, entitlement=group)

    with pytest.raises(workflow.InvalidRequest) as refused:
        submit(group)

    assert refused.value.message == "Requester already holds Web team."


def test_request_for_access_already_pending_is_refused(submit, group):
    first = submit(group)

    with pytest.raises(workflow.InvalidRequest) as refused:
        submit(group)

    assert (
        f"already requested for Requester (request #{first.pk}" in refused.value.message
    )


def test_request_for_access_atlassian_already_shows_is_refused(
    submit, requester, group
):
    account = AccountFactory(application=group.application, identity=requester)
    AssignmentFactory(entitlement=group, account=account)

    with pytest.raises(workflow.InvalidRequest) as refused:
        submit(group)

    assert (
        refused.value.message
        == "Atlassian shows that Requester already holds Web team."
    )


def test_request_while_previous_access_is_being_removed_is_refused(
    submit, requester, group
):
    GrantFactory(beneficiary=requester, entitlement=group, state=GrantState.REVOKING)

    with pytest.raises(workflow.InvalidRequest) as refused:
        submit(group)

    assert "is being removed" in refused.value.message


def test_justification_is_required_by_default(submit, group):
    with pytest.raises(workflow.InvalidRequest) as refused:
        submit(group, justification="   ")

    assert refused.value.field_errors == {
        "justification": ["Web team needs a justification."]
    }


def test_justification_may_be_optional_by_policy(submit, group):
    PolicyFactory(entitlement=group, justification_required=False)

    access_request = submit(group, justification="")

    assert access_request.state == RequestState.PENDING


def test_duration_over_the_policy_maximum_is_refused(submit, group):
    PolicyFactory(name="Short", entitlement=group, max_duration_days=30)

    with pytest.raises(workflow.InvalidRequest) as refused:
        submit(group, duration_days=31)

    assert refused.value.field_errors == {
        "duration_days": ["Short allows at most 30 days of access."]
    }


def test_end_date_over_the_policy_maximum_is_refused(submit, group):
    PolicyFactory(name="Short", entitlement=group, max_duration_days=30)

    with pytest.raises(workflow.InvalidRequest) as refused:
        submit(group, ends_at=timezone.now() + timedelta(days=45))

    assert "ends_at" in refused.value.field_errors


def test_end_date_in_the_past_is_refused(submit, group):
    with pytest.raises(workflow.InvalidRequest) as refused:
        submit(group, ends_at=timezone.now() - timedelta(days=1))

    assert refused.value.field_errors == {
        "ends_at": ["The end date must be in the future."]
    }


def test_duration_and_end_date_together_are_refused(submit, group):
    with pytest.raises(workflow.InvalidRequest) as refused:
        submit(group, duration_days=3, ends_at=timezone.now() + timedelta(days=3))

    assert "ends_at" in refused.value.field_errors


def test_policy_default_duration_applies_when_none_is_asked(submit, group, manager):
    PolicyFactory(entitlement=group, default_duration_days=7, max_duration_days=30)

    access_request = workflow.approve(submit(group).pk, approver=manager)

    ends_in = access_request.grant.ends_at - timezone.now()
    assert timedelta(days=6, hours=23) < ends_in <= timedelta(days=7)


def test_removed_entitlement_cannot_be_requested(submit, group):
    group.removed_at = timezone.now()
    group.save()

    with pytest.raises(workflow.InvalidRequest) as refused:
        submit(group)

    assert refused.value.message == "Web team can no longer be requested."


def test_unknown_entitlement_is_refused(requester):
    with pytest.raises(workflow.InvalidRequest) as refused:
        workflow.submit_requests(
            requester=requester, entitlements=[987654], justification="x"
        )

    assert refused.value.field_errors == {
        "entitlements": ["No entitlement with id 987654."]
    }


def test_empty_cart_is_refused(requester):
    with pytest.raises(workflow.InvalidRequest) as refused:
        workflow.submit_requests(
            requester=requester, entitlements=[], justification="x"
        )

    assert "entitlements" in refused.value.field_errors


def test_auto_approved_request_goes_straight_to_provisioning(
    submit, group, auto_policy
):
    access_request = submit(group)

    assert access_request.state == RequestState.APPROVED
    assert access_request.grant.state == GrantState.PENDING
    job = ProvisioningJob.objects.get(grant=access_request.grant)
    assert (job.kind, job.status) == (JobKind.GRANT, JobStatus.PENDING)


# --- deciding ---------------------------------------------------------------------


def test_manager_approval_creates_the_grant_and_its_job(submit, group, manager):
    access_request = submit(group)

    decided = workflow.approve(access_request.pk, approver=manager, comment="Go ahead")

    assert decided.state == RequestState.APPROVED
    grant = Grant.objects.get(request=decided)
    assert grant.state == GrantState.PENDING
    assert ProvisioningJob.objects.filter(grant=grant, kind=JobKind.GRANT).count() == 1
    actions = list(
        AuditEvent.objects.filter(request=decided)
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions[-4:] == [
        "request.decision",
        "request.approved",
        "grant.created",
        "job.created",
    ]


def test_denial_closes_the_request_with_the_comment(submit, group, manager):
    access_request = submit(group)

    decided = workflow.deny(
        access_request.pk, approver=manager, comment="Not this quarter"
    )

    assert (decided.state, decided.state_reason) == (
        RequestState.DENIED,
        "Not this quarter",
    )
    assert not Grant.objects.exists()


def test_manager_then_owner_needs_both_decisions(submit, group, manager, owner):
    PolicyFactory(entitlement=group, rule=ApprovalRule.MANAGER_THEN_OWNER)
    access_request = submit(group)

    after_manager = workflow.approve(access_request.pk, approver=manager)
    step_two = after_manager.current_step
    after_owner = workflow.approve(access_request.pk, approver=owner)

    assert after_manager.state == RequestState.PENDING
    assert list(step_two.approvers.all()) == [owner]
    assert after_owner.state == RequestState.APPROVED


def test_owner_cannot_decide_before_the_manager(submit, group, owner):
    PolicyFactory(entitlement=group, rule=ApprovalRule.MANAGER_THEN_OWNER)
    access_request = submit(group)

    with pytest.raises(workflow.NotAllowed):
        workflow.approve(access_request.pk, approver=owner)


@pytest.fixture
def two_of_three(group):
    """Three approvers of `group`, two of whom must approve."""
    people = UserFactory.create_batch(3)
    PolicyFactory(
        entitlement=group,
        rule=ApprovalRule.N_OF_M,
        required_approvals=2,
        approvers=people,
    )
    return people


def test_two_of_three_approvers_are_needed(submit, group, two_of_three):
    access_request = submit(group)

    after_one = workflow.approve(access_request.pk, approver=two_of_three[0])
    after_two = workflow.approve(access_request.pk, approver=two_of_three[2])

    assert after_one.state == RequestState.PENDING
    assert after_two.state == RequestState.APPROVED


def test_one_denial_of_n_of_m_denies(submit, group, two_of_three):
    access_request = submit(group)

    decided = workflow.deny(access_request.pk, approver=two_of_three[1], comment="No")

    assert decided.state == RequestState.DENIED


def test_same_approver_cannot_count_twice(submit, group, two_of_three):
    access_request = submit(group)
    workflow.approve(access_request.pk, approver=two_of_three[0])

    with pytest.raises(workflow.AlreadyDecided) as refused:
        workflow.approve(access_request.pk, approver=two_of_three[0])

    assert refused.value.message.startswith(
        f"You already approved request #{access_request.pk}"
    )


def test_group_members_approve(submit, group, make_person):
    from django.contrib.auth.models import Group

    approvers = Group.objects.create(name="web-approvers")
    member = make_person("member")
    member.groups.add(approvers)
    PolicyFactory(entitlement=group, rule=ApprovalRule.GROUP, approver_group=approvers)

    decided = workflow.approve(submit(group).pk, approver=member)

    assert decided.state == RequestState.APPROVED


def test_second_decision_is_told_who_decided_first(submit, group, manager, admin):
    access_request = submit(group)
    workflow.approve(access_request.pk, approver=manager)

    with pytest.raises(workflow.AlreadyDecided) as refused:
        workflow.deny(access_request.pk, approver=admin, comment="too late")

    message = refused.value.message
    assert message.startswith(
        f"Request #{access_request.pk} was already approved by Manager on "
    )


def test_decision_on_a_cancelled_request_says_it_is_closed(
    submit, group, requester, manager
):
    access_request = submit(group)
    workflow.cancel(access_request.pk, by=requester)

    with pytest.raises(workflow.AlreadyDecided) as refused:
        workflow.approve(access_request.pk, approver=manager)

    assert "no longer pending: Cancelled by Requester" in refused.value.message


def test_unknown_request_is_not_found(manager, db):
    with pytest.raises(workflow.NotFound):
        workflow.approve(424242, approver=manager)


def test_bulk_decisions_report_each_outcome(
    requester, manager, outsider, group, other_group
):
    mine = workflow.submit_requests(
        requester=requester, entitlements=[group], justification="x"
    )[0]
    others = workflow.submit_requests(
        requester=outsider, entitlements=[other_group], justification="y"
    )[0]

    outcomes = dict(
        workflow.decide_many(
            [mine.pk, others.pk], approver=manager, decision="approve", comment="ok"
        )
    )

    assert outcomes[mine.pk].state == RequestState.APPROVED
    assert isinstance(outcomes[others.pk], workflow.NotAllowed)


def test_bulk_decision_must_be_approve_or_deny(manager, db):
    with pytest.raises(workflow.InvalidRequest):
        workflow.decide_many([1], approver=manager, decision="maybe")


def test_denial_skips_the_later_steps(submit, group, manager):
    PolicyFactory(entitlement=group, rule=ApprovalRule.MANAGER_THEN_OWNER)
    access_request = submit(group)

    workflow.deny(access_request.pk, approver=manager, comment="No")

    states = list(
        access_request.steps.order_by("order").values_list("state", flat=True)
    )
    assert states == [StepState.DENIED, StepState.SKIPPED]


def test_entitlement_without_owner_falls_to_the_administrators(
    submit, offline_application, admin
):
    orphan = EntitlementFactory(application=offline_application, display_name="Orphan")
    PolicyFactory(entitlement=orphan, rule=ApprovalRule.OWNER)

    access_request = submit(orphan)

    assert list(access_request.current_step.approvers.all()) == [admin]
