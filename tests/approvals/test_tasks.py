"""Periodic tasks: reminders, escalation, the sweeper; and a request's timeline."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from approvals import tasks, workflow
from approvals.models import AccessRequest, ApprovalStep, JobStatus, ProvisioningJob
from approvals.timeline import timeline_for
from tests.factories import PolicyFactory, ProvisioningJobFactory


def age_open_steps(hours):
    ApprovalStep.objects.filter(state="open").update(
        opened_at=timezone.now() - timedelta(hours=hours)
    )


@pytest.fixture
def run_callbacks(django_capture_on_commit_callbacks):
    """Tasks run outside a transaction in production: run their on-commit work now."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_overdue_decision_reminds_the_approvers_once_a_period(
    submit, group, mailoutbox, settings, run_callbacks
):
    settings.APPROVAL_REMINDER_HOURS = 24
    submit(group)
    age_open_steps(25)

    with run_callbacks():
        first = tasks.remind_approvers()
        second = tasks.remind_approvers()

    assert (first["reminded"], second["reminded"]) == (1, 0)
    assert [m.subject.split(":")[0] for m in mailoutbox] == ["Reminder"]
    assert mailoutbox[0].to == ["manager@acme.example"]


def test_decision_not_yet_due_is_not_reminded(submit, group, mailoutbox):
    submit(group)

    assert tasks.remind_approvers() == {"reminded": 0, "escalated": 0}


def test_long_overdue_step_escalates_to_the_fallback_approver(
    submit, group, make_person, mailoutbox, run_callbacks
):
    fallback = make_person("fallback")
    PolicyFactory(
        entitlement=group, fallback_approver=fallback, escalate_after_hours=48
    )
    access_request = submit(group)
    age_open_steps(49)

    with run_callbacks():
        outcome = tasks.remind_approvers()

    assert outcome["escalated"] == 1
    assert fallback in access_request.current_step.approvers.all()
    assert "fallback@acme.example" in [m.to[0] for m in mailoutbox]
    decided = workflow.approve(access_request.pk, approver=fallback)
    assert decided.state == "approved"


def test_escalation_happens_once(submit, group, admin):
    submit(group)
    age_open_steps(24 * 30)
    tasks.remind_approvers()

    again = tasks.remind_approvers()

    assert again["escalated"] == 0


def test_sweeper_resends_jobs_whose_message_was_lost(db, settings):
    settings.PROVISIONING_REQUEUE_GRACE_SECONDS = 60
    lost = ProvisioningJobFactory(not_before=timezone.now() - timedelta(minutes=5))
    ProvisioningJobFactory(
        not_before=timezone.now()
    )  # just queued: its message is on its way
    dead_worker = ProvisioningJobFactory(
        status=JobStatus.RUNNING, lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    ProvisioningJobFactory(
        status=JobStatus.RUNNING, lease_expires_at=timezone.now() + timedelta(minutes=5)
    )

    resent = tasks.requeue_stale_jobs()

    assert resent == 2
    due = ProvisioningJob.objects.due().values_list("pk", flat=True)
    assert {lost.pk, dead_worker.pk} <= set(due)


# --- the timeline ------------------------------------------------------------------


def test_timeline_tells_the_story_of_a_request(submit, group, manager, requester):
    access_request = submit(group)
    workflow.approve(access_request.pk, approver=manager, comment="Enjoy")
    grant = AccessRequest.objects.get(pk=access_request.pk).grant
    workflow.revoke_grant(grant.pk, by=requester, reason="No longer needed")

    entries = timeline_for(access_request)

    assert [e.kind for e in entries] == [
        "submitted",
        "waiting",
        "decision",
        "approved",
        "provisioning",
        "removing",
        "revoked",
    ]
    assert entries[0].text == "Requested: I build the web site"
    assert entries[1].text == "Waiting for Manager"
    assert entries[2].text == "Approved step 1: Enjoy"
    assert entries[2].actor_label == "Manager (manager)"
    assert (
        entries[-1].text == "Revoked: Provisioning had not started: nothing to remove"
    )
