"""Emails: who is told what, and when."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from approvals import tasks, workflow
from approvals.models import JobKind, ProvisioningJob
from approvals.provisioning import execute_job
from tests.factories import GrantFactory, PolicyFactory


def recipients(outbox):
    return sorted(address for message in outbox for address in message.to)


def test_only_the_current_steps_approvers_are_asked(
    submit, group, mailoutbox, django_capture_on_commit_callbacks
):
    PolicyFactory(entitlement=group, rule="manager_then_owner")

    with django_capture_on_commit_callbacks(execute=True):
        access_request = submit(group)

    assert recipients(mailoutbox) == ["manager@acme.example"]
    message = mailoutbox[0]
    assert message.subject == (
        f"Request #{access_request.pk} waits for your decision: Web team for Requester"
    )
    assert "I build the web site" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "Approve or deny" in html


def test_the_next_step_is_asked_when_it_opens(
    submit, group, manager, mailoutbox, django_capture_on_commit_callbacks
):
    PolicyFactory(entitlement=group, rule="manager_then_owner")
    access_request = submit(group)

    with django_capture_on_commit_callbacks(execute=True):
        workflow.approve(access_request.pk, approver=manager)

    assert recipients(mailoutbox) == ["owner@acme.example"]


def test_requester_hears_the_decision_and_its_reason(
    submit, group, manager, mailoutbox, django_capture_on_commit_callbacks
):
    access_request = submit(group)

    with django_capture_on_commit_callbacks(execute=True):
        workflow.deny(access_request.pk, approver=manager, comment="Ask Ops first")

    assert recipients(mailoutbox) == ["requester@acme.example"]
    assert mailoutbox[0].subject == f"Request #{access_request.pk} denied: Web team"
    assert "Reason: Ask Ops first" in mailoutbox[0].body


def test_manager_and_report_both_hear_about_a_request_made_for_the_report(
    group, manager, requester, admin, mailoutbox, django_capture_on_commit_callbacks
):
    access_request = workflow.submit_requests(
        requester=manager,
        beneficiary=requester,
        entitlements=[group],
        justification="Onboarding",
    )[0]

    with django_capture_on_commit_callbacks(execute=True):
        workflow.approve(
            access_request.pk, approver=admin, comment="Standard onboarding"
        )

    assert recipients(mailoutbox) == ["manager@acme.example", "requester@acme.example"]


def test_requester_hears_when_access_is_active(
    alice, manager, application, mailoutbox, django_capture_on_commit_callbacks
):
    from tests.approvals.conftest import load_entitlement

    design = load_entitlement(application, "group", "design")
    access_request = workflow.submit_requests(
        requester=alice, entitlements=[design], justification="x"
    )[0]
    workflow.approve(access_request.pk, approver=manager)

    with django_capture_on_commit_callbacks(execute=True):
        execute_job(ProvisioningJob.objects.get(kind=JobKind.GRANT))

    assert [m.subject for m in mailoutbox] == ["Access granted: design"]
    assert mailoutbox[0].to == [alice.email]


def test_holder_and_owner_are_warned_before_expiry_once(
    requester, group, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.GRANT_EXPIRY_REMINDER_DAYS = 7
    GrantFactory(
        beneficiary=requester,
        entitlement=group,
        ends_at=timezone.now() + timedelta(days=3),
    )

    with django_capture_on_commit_callbacks(execute=True):
        first = tasks.remind_expiring_grants()
        second = tasks.remind_expiring_grants()

    assert (first, second) == (1, 0)
    assert recipients(mailoutbox) == ["owner@acme.example", "requester@acme.example"]
    holder_mail = next(m for m in mailoutbox if m.to == ["requester@acme.example"])
    assert "ask for an extension" in holder_mail.body


def test_removed_access_is_announced_to_the_holder(
    requester, group, mailoutbox, django_capture_on_commit_callbacks
):
    grant = GrantFactory(
        beneficiary=requester, entitlement=group, state="pending", activated_at=None
    )

    with django_capture_on_commit_callbacks(execute=True):
        workflow.revoke_grant(grant.pk, by=requester, reason="Not needed")

    assert [m.subject for m in mailoutbox] == ["Access removed: Web team"]
