"""Operations run through the provisioning machinery: outbox, claim, retry, failure."""

from __future__ import annotations

import json

import pytest
from django.conf import settings

from approvals.models import AuditEvent, JobKind, JobStatus, OperationJob
from approvals.operations import all_operations, request_operation
from approvals.provisioning import execute_job
from approvals.transitions import InvalidRequest, NotFound
from connectors.registry import use_transport
from tests.operations.conftest import failing, settle


def test_an_operation_is_a_queued_job_with_its_arguments(
    catalog, admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        job = request_operation("groups.create", {"name": "release-managers"}, by=admin)

    assert (job.kind, job.status) == (JobKind.OPERATION, JobStatus.PENDING)
    assert job.payload == {
        "operation": "groups.create",
        "arguments": {"name": "release-managers"},
    }
    assert job.reason == "Create the group release-managers"
    assert len(callbacks) == 1  # enqueued once the transaction commits
    assert AuditEvent.objects.filter(
        action="job.created", target_id=str(job.pk), actor=admin
    ).exists()


def test_payloads_never_hold_the_applications_secrets(catalog, admin, alice):
    job = request_operation("accounts.disable", {"identity": alice.pk}, by=admin)

    text = json.dumps(job.payload)
    for secret in (
        settings.ATLASSIAN_API_TOKEN,
        settings.ATLASSIAN_ORG_API_KEY,
        settings.ATLASSIAN_DIRECTORY_API_KEY,
    ):
        assert secret not in text


def test_a_503_is_retried_and_the_group_made_once(catalog, admin, simulator):
    job = request_operation("groups.create", {"name": "release-managers"}, by=admin)

    with use_transport(
        failing(simulator, method="POST", path_part="/groups", status=503)
    ):
        first = execute_job(job.pk)
        done = settle(first)

    assert (first.status, first.attempts) == (JobStatus.PENDING, 1)
    assert "503" in first.last_error
    assert (done.status, done.attempts) == (JobStatus.SUCCEEDED, 2)
    assert (
        sum(g.name == "release-managers" for g in simulator.state.groups.values()) == 1
    )
    assert (
        AuditEvent.objects.filter(
            action="job.retry_scheduled", target_id=str(job.pk)
        ).count()
        == 1
    )


def test_transient_errors_give_up_after_the_attempt_cap(
    catalog, admin, simulator, settings
):
    settings.PROVISIONING_MAX_ATTEMPTS = 2
    job = request_operation("groups.create", {"name": "release-managers"}, by=admin)

    with use_transport(
        failing(simulator, method="POST", path_part="/groups", status=503, times=99)
    ):
        done = settle(job)

    assert (done.status, done.attempts) == (JobStatus.FAILED, 2)
    assert done.last_error.startswith("Gave up after 2 attempts")


def test_a_permanent_error_fails_with_atlassians_message(catalog, admin, simulator):
    job = request_operation(
        "issues.create", {"project": "WEB", "summary": "x"}, by=admin
    )
    refusal = "You do not have permission to create issues in this project."

    with use_transport(
        failing(
            simulator,
            method="POST",
            path_part="/rest/api/3/issue",
            status=403,
            message=refusal,
        )
    ):
        done = settle(job)

    assert (done.status, done.attempts) == (JobStatus.FAILED, 1)
    assert refusal in done.last_error
    assert AuditEvent.objects.filter(
        action="job.failed", target_id=str(job.pk)
    ).exists()


def test_running_a_finished_operation_again_changes_nothing(catalog, admin, simulator):
    job = settle(
        request_operation("groups.create", {"name": "release-managers"}, by=admin)
    )

    again = execute_job(job.pk)

    assert again.status == JobStatus.SUCCEEDED
    assert again.attempts == 1
    assert AuditEvent.objects.filter(action="operation.groups.create").count() == 1


def test_unknown_operations_and_bad_input_are_refused(catalog, admin):
    with pytest.raises(NotFound):
        request_operation("groups.explode", {}, by=admin)
    with pytest.raises(NotFound):
        request_operation("tickets.sync", {}, by=admin)  # the portal's own
    with pytest.raises(InvalidRequest) as refused:
        request_operation("groups.create", {"name": ""}, by=admin)

    assert refused.value.field_errors == {"name": ["This field is required."]}
    assert not OperationJob.objects.exists()


def test_every_operation_is_listed_with_a_form_and_an_area():
    names = {operation.name for operation in all_operations()}

    assert len(names) == 28
    assert "tickets.sync" not in names
