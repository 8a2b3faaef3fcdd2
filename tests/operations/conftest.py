"""Fixtures for the administrative operations: the simulated organization in the catalog."""

from __future__ import annotations

import httpx
import pytest
from django.utils import timezone

from approvals.models import AuditEvent, JobStatus, ProvisioningJob
from approvals.operations import request_operation
from approvals.provisioning import execute_job
from connectors.base import EntitlementKind, ResourceKind
from connectors.models import Account, Entitlement, Resource

ALICE = "alice.requester@acme.example"


@pytest.fixture(autouse=True)
def quick_jobs(settings):
    """Retries and long-task polls without waiting."""
    settings.PROVISIONING_BACKOFF_BASE_SECONDS = 0
    settings.PROVISIONING_BACKOFF_MAX_SECONDS = 0
    settings.OPERATION_TASK_POLL_SECONDS = 0
    settings.OPERATION_TASK_INLINE_SECONDS = 5
    settings.TICKET_TRAIL_PROJECT_KEY = ""


@pytest.fixture
def catalog(application, simulator):
    """Groups, projects and spaces of the simulated organization, as reconciliation finds them."""
    state = simulator.state
    for group in state.groups.values():
        Entitlement.objects.create(
            application=application,
            kind=EntitlementKind.GROUP,
            external_id=group.group_id,
            name=group.name,
            display_name=group.name,
            description=group.description,
            is_managed_externally=group.external_synced,
        )
    for project in state.projects.values():
        Resource.objects.create(
            application=application,
            kind=ResourceKind.PROJECT,
            external_id=str(project.id),
            key=project.key,
            name=project.name,
        )
    for space in state.spaces.values():
        Resource.objects.create(
            application=application,
            kind=ResourceKind.SPACE,
            external_id=str(space.id),
            key=space.key,
            name=space.name,
        )
    return application


@pytest.fixture
def alice(make_person, application, simulator):
    """Alice, an identity whose Atlassian account the catalog knows."""
    person = make_person(
        "alice", email=ALICE, display_name="Alice Carter", department="Engineering"
    )
    user = simulator.state.user_by_email(ALICE)
    Account.objects.create(
        application=application,
        account_id=user.account_id,
        email=ALICE,
        display_name=user.display_name,
        identity=person,
        scim_id=user.scim.scim_id if user.scim else "",
    )
    return person


def group(name):
    """The catalog row of a group."""
    return Entitlement.objects.get(
        kind=EntitlementKind.GROUP, name=name, removed_at__isnull=True
    )


def run(name, data, *, by, files=None):
    """Ask for an operation as `by`, then run its job as the worker would."""
    job = request_operation(name, data, files, by=by)
    return settle(job)


def settle(job, *, limit=10):
    """Run a job until it stops retrying or waiting, as if each delay had passed."""
    for _ in range(limit):
        ProvisioningJob.objects.filter(pk=job.pk, status=JobStatus.PENDING).update(
            not_before=timezone.now()
        )
        job = execute_job(job.pk)
        if job.status != JobStatus.PENDING:
            return job
    return job


def audited(job):
    """The operation's own audit event (before/after of the change in Atlassian)."""
    return AuditEvent.objects.get(
        action=f"operation.{job.payload['operation']}",
        message__endswith=f"(operation #{job.pk})",
    )


def failing(simulator, *, method, path_part, status, times=1, message=None):
    """The simulator behind a transport whose first matching calls fail with `status`.

    5xx answers carry a Retry-After longer than the connector's own retry budget, so
    the job's retry (not the client's) is what gets tested.
    """
    inner = simulator.transport()
    left = {"count": times}

    def handle(request: httpx.Request) -> httpx.Response:
        if request.method == method and path_part in request.url.path and left["count"]:
            left["count"] -= 1
            headers = {"Retry-After": "600"} if status >= 500 else {}
            body = {"errorMessages": [message or f"Injected {status}"], "errors": {}}
            return httpx.Response(status, headers=headers, json=body)
        return inner.handle_request(request)

    return httpx.MockTransport(handle)
