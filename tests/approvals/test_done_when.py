"""The issue's "done when": request → approve → Atlassian shows it → revoke or expiry →
Atlassian no longer shows it, each step audited. Through Python, as the shell would."""

from __future__ import annotations

from django.utils import timezone

from approvals import tasks, workflow
from approvals.models import AuditEvent, Grant, JobKind
from approvals.provisioning import execute_job
from tests.approvals.conftest import load_entitlement, simulator_shows


def run_due_jobs():
    """What the worker would do: run every job that is due."""
    from approvals.models import ProvisioningJob

    for job in ProvisioningJob.objects.due():
        execute_job(job)


def audit_trail(access_request):
    return list(
        AuditEvent.objects.filter(request=access_request)
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_request_approve_provision_revoke_each_step_audited(
    application, simulator, alice, manager
):
    role = load_entitlement(application, "project_role", "API · Viewer")

    access_request = workflow.submit_requests(
        requester=alice, entitlements=[role], justification="On-call for the API"
    )[0]
    workflow.approve(access_request.pk, approver=manager, comment="OK")
    run_due_jobs()
    shown_after_approval = simulator_shows(simulator, role, alice.email)
    grant = Grant.objects.get(request=access_request)
    workflow.revoke_grant(grant.pk, by=alice, reason="Rotation over")
    run_due_jobs()

    assert shown_after_approval
    assert not simulator_shows(simulator, role, alice.email)
    assert audit_trail(access_request) == [
        "request.submitted",
        "step.opened",
        "request.decision",
        "request.approved",
        "grant.created",
        "job.created",
        "request.provisioning",
        "account.linked",
        "job.succeeded",
        "grant.activated",
        "request.active",
        "grant.removal_requested",
        "request.revoked",
        "job.created",
        "job.succeeded",
        "grant.revoked",
    ]


def test_request_approve_provision_expire_each_step_audited(
    application, simulator, alice, manager
):
    space = load_entitlement(application, "space_permission", "ENG · Add pages")
    access_request = workflow.submit_requests(
        requester=alice,
        entitlements=[space],
        justification="Docs sprint",
        duration_days=2,
    )[0]
    workflow.approve(access_request.pk, approver=manager)
    run_due_jobs()
    shown = simulator_shows(simulator, space, alice.email)
    Grant.objects.filter(request=access_request).update(ends_at=timezone.now())

    tasks.expire_grants()
    run_due_jobs()

    grant = Grant.objects.get(request=access_request)
    assert shown
    assert not simulator_shows(simulator, space, alice.email)
    assert grant.state == "expired"
    assert grant.jobs.filter(kind=JobKind.REVOKE, status="succeeded").count() == 1
    assert audit_trail(access_request)[-5:] == [
        "grant.removal_requested",
        "request.ended",
        "job.created",
        "job.succeeded",
        "grant.expired",
    ]
