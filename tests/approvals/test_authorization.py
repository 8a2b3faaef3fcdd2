"""Who may decide what: stories of requesters, managers, owners, admins and outsiders."""

from __future__ import annotations

import pytest

from approvals import workflow
from approvals.models import AccessRequest, ApprovalDecision, AuditEvent, RequestState
from tests.factories import PolicyFactory


def test_requester_cannot_approve_own_request(submit, group, requester):
    access_request = submit(group)

    with pytest.raises(workflow.NotAllowed) as refused:
        workflow.approve(access_request.pk, approver=requester)

    assert "your own" in refused.value.message
    assert not workflow.can_decide(requester, access_request)


def test_admin_cannot_approve_own_request_even_by_override(submit, group, admin):
    access_request = submit(group, requester=admin)

    with pytest.raises(workflow.NotAllowed):
        workflow.approve(access_request.pk, approver=admin, comment="I am in charge")


def test_manager_cannot_request_and_approve_for_a_report(
    group, manager, requester, admin
):
    access_request = workflow.submit_requests(
        requester=manager,
        beneficiary=requester,
        entitlements=[group],
        justification="Onboarding",
    )[0]

    with pytest.raises(workflow.NotAllowed):
        workflow.approve(access_request.pk, approver=manager)

    assert list(access_request.current_step.approvers.all()) == [admin]


def test_beneficiary_cannot_approve_what_the_manager_asked_for_them(
    group, manager, requester
):
    PolicyFactory(entitlement=group, rule="owner")
    access_request = workflow.submit_requests(
        requester=manager,
        beneficiary=requester,
        entitlements=[group],
        justification="x",
    )[0]

    with pytest.raises(workflow.NotAllowed):
        workflow.approve(access_request.pk, approver=requester)


def test_manager_cannot_decide_outside_their_reports(
    group, outsider, manager, make_person
):
    other_manager = make_person("other_manager")
    outsider.manager = other_manager
    outsider.save()
    access_request = workflow.submit_requests(
        requester=outsider, entitlements=[group], justification="x"
    )[0]

    with pytest.raises(workflow.NotAllowed) as refused:
        workflow.deny(access_request.pk, approver=manager)

    assert (
        refused.value.message
        == f"You are not an approver of request #{access_request.pk}."
    )
    assert not workflow.can_decide(manager, access_request)


def test_admin_override_is_recorded_with_its_reason(submit, group, admin):
    access_request = submit(group)

    decided = workflow.approve(
        access_request.pk, approver=admin, comment="Manager on leave"
    )

    assert decided.state == RequestState.APPROVED
    decision = ApprovalDecision.objects.get(step__request=decided)
    assert (decision.is_override, decision.comment) == (True, "Manager on leave")
    event = AuditEvent.objects.get(request=decided, action="request.override")
    assert (event.actor, event.message) == (admin, "Manager on leave")


def test_admin_override_needs_a_reason(submit, group, admin):
    access_request = submit(group)

    with pytest.raises(workflow.InvalidRequest) as refused:
        workflow.approve(access_request.pk, approver=admin)

    assert "comment" in refused.value.field_errors


def test_admin_override_completes_every_remaining_step(submit, group, admin):
    PolicyFactory(entitlement=group, rule="manager_then_owner")
    access_request = submit(group)

    decided = workflow.approve(
        access_request.pk, approver=admin, comment="Urgent incident"
    )

    assert decided.state == RequestState.APPROVED
    assert list(decided.steps.values_list("state", flat=True)) == [
        "approved",
        "skipped",
    ]


def test_requester_may_not_ask_for_an_outsider(group, requester, outsider):
    with pytest.raises(workflow.NotAllowed):
        workflow.submit_requests(
            requester=requester,
            beneficiary=outsider,
            entitlements=[group],
            justification="x",
        )


def test_manager_may_not_ask_for_reports_when_the_policy_forbids(
    group, manager, requester
):
    PolicyFactory(
        name="Self-service only",
        entitlement=group,
        managers_may_request_for_reports=False,
    )

    with pytest.raises(workflow.NotAllowed) as refused:
        workflow.submit_requests(
            requester=manager,
            beneficiary=requester,
            entitlements=[group],
            justification="x",
        )

    assert "Self-service only" in refused.value.message


# --- the approver inbox -------------------------------------------------------------


def test_inbox_shows_the_managers_pending_decisions(submit, group, manager, outsider):
    access_request = submit(group)

    assert list(AccessRequest.objects.awaiting_decision_by(manager)) == [access_request]
    assert not AccessRequest.objects.awaiting_decision_by(outsider).exists()


def test_inbox_follows_the_current_step(submit, group, manager, owner):
    PolicyFactory(entitlement=group, rule="manager_then_owner")
    access_request = submit(group)

    before = list(AccessRequest.objects.awaiting_decision_by(owner))
    workflow.approve(access_request.pk, approver=manager)

    assert before == []
    assert list(AccessRequest.objects.awaiting_decision_by(owner)) == [access_request]
    assert not AccessRequest.objects.awaiting_decision_by(manager).exists()


def test_admins_inbox_holds_every_pending_request_but_their_own(
    submit, group, other_group, admin
):
    others = submit(group)
    submit(other_group, requester=admin)

    assert list(AccessRequest.objects.awaiting_decision_by(admin)) == [others]


def test_requester_never_sees_own_request_in_the_inbox(submit, group, requester):
    submit(group)

    assert not AccessRequest.objects.awaiting_decision_by(requester).exists()
