"""The ticket trail: each access request mirrored as a Jira issue, kept up to date."""

from __future__ import annotations

import pytest

from approvals import workflow
from approvals.models import (
    AccessRequest,
    AuditEvent,
    JobKind,
    JobStatus,
    OperationJob,
    ProvisioningJob,
)
from connectors.registry import use_transport
from tests.factories import PolicyFactory
from tests.operations.conftest import failing, group, settle


@pytest.fixture
def trail(settings, catalog):
    settings.TICKET_TRAIL_PROJECT_KEY = "WEB"
    PolicyFactory(name="Manager approves", is_default=True)
    return catalog


@pytest.fixture
def ask(requester):
    def submit():
        return workflow.submit_requests(
            requester=requester,
            entitlements=[group("design")],
            justification="Design reviews",
        )[0]

    return submit


def sync_all():
    """Run every waiting ticket job."""
    return [
        settle(job)
        for job in OperationJob.objects.named("tickets.sync").filter(
            status=JobStatus.PENDING
        )
    ]


def issue_of(simulator, access_request):
    access_request.refresh_from_db()
    return simulator.state.issue_by_key[access_request.ticket_key]


def description_text(issue):
    return " ".join(
        node.get("text", "")
        for paragraph in issue.fields["description"]["content"]
        for node in paragraph.get("content", [])
    )


def test_a_request_opens_an_issue(trail, ask, simulator):
    access_request = ask()

    jobs = sync_all()

    issue = issue_of(simulator, access_request)
    assert [j.status for j in jobs] == [JobStatus.SUCCEEDED]
    assert (
        issue.fields["summary"]
        == f"Access request #{access_request.pk}: design for Requester"
    )
    assert issue.status == "To Do"
    assert "Design reviews" in description_text(issue)
    assert AuditEvent.objects.filter(
        action="operation.tickets.sync", target_id=access_request.ticket_key
    ).exists()


def test_the_decision_and_provisioning_update_the_same_issue(
    trail, ask, manager, simulator
):
    access_request = ask()
    sync_all()
    issues_before = len(simulator.state.issue_by_key)

    workflow.approve(access_request.pk, approver=manager, comment="Fine")
    sync_all()
    approved_status = issue_of(simulator, access_request).status
    settle(
        ProvisioningJob.objects.get(kind=JobKind.GRANT, grant__request=access_request)
    )
    sync_all()

    issue = issue_of(simulator, access_request)
    assert (
        len(simulator.state.issue_by_key) == issues_before
    )  # updated, never opened twice
    assert approved_status == "In Progress"
    assert issue.status == "Done"
    assert "request.approved" in description_text(issue)
    assert "request.active" in description_text(issue)


def test_a_denial_closes_the_issue(trail, ask, manager, simulator):
    access_request = ask()
    workflow.deny(access_request.pk, approver=manager, comment="Not needed")

    sync_all()

    assert issue_of(simulator, access_request).status == "Done"
    assert "Not needed" in description_text(issue_of(simulator, access_request))


def test_changes_while_a_sync_waits_share_that_job(trail, ask):
    access_request = ask()
    workflow.cancel(access_request.pk, by=access_request.requester)

    waiting = OperationJob.objects.named("tickets.sync").filter(
        status=JobStatus.PENDING
    )

    assert waiting.count() == 1


def test_no_trail_without_a_project_key(catalog, ask, settings):
    settings.TICKET_TRAIL_PROJECT_KEY = ""
    PolicyFactory(name="Manager approves", is_default=True)

    ask()

    assert not OperationJob.objects.named("tickets.sync").exists()
    assert AccessRequest.objects.get().ticket_key == ""


def test_a_failure_after_opening_the_issue_does_not_open_another(trail, ask, simulator):
    access_request = ask()
    job = OperationJob.objects.named("tickets.sync").get(status=JobStatus.PENDING)

    with use_transport(
        failing(simulator, method="GET", path_part="/rest/api/3/issue/", status=503)
    ):
        done = settle(job)

    mirrored = [
        issue.key
        for issue in simulator.state.issue_by_key.values()
        if issue.fields["summary"].startswith(f"Access request #{access_request.pk}:")
    ]
    assert (done.status, done.attempts) == (JobStatus.SUCCEEDED, 2), done.last_error
    assert mirrored == [done.result["key"]]
