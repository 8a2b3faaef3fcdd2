"""Concurrent decisions and claims: the row locks let exactly one win."""

from __future__ import annotations

import threading

from django.db import connection

from approvals import workflow
from approvals.models import Grant, JobStatus, ProvisioningJob
from approvals.provisioning import claim


def race(*actions):
    """Run the actions at the same moment in threads; return what each returned or raised."""
    barrier = threading.Barrier(len(actions))
    outcomes: list[object] = [None] * len(actions)

    def run(index, action):
        barrier.wait()
        try:
            outcomes[index] = action()
        except Exception as error:  # the race's loser: kept for the assertions
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_concurrent_decisions_let_exactly_one_win(
    transactional_db, group, requester, manager, admin
):
    access_request = workflow.submit_requests(
        requester=requester, entitlements=[group], justification="x"
    )[0]

    outcomes = race(
        lambda: workflow.approve(access_request.pk, approver=manager),
        lambda: workflow.deny(
            access_request.pk, approver=admin, comment="Overlapping access"
        ),
    )

    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert len(errors) == 1
    assert isinstance(errors[0], workflow.AlreadyDecided)
    assert errors[0].message.startswith(f"Request #{access_request.pk} was already ")
    assert Grant.objects.count() == ProvisioningJob.objects.count() <= 1


def test_concurrent_claims_give_the_job_to_one_worker(
    transactional_db, group, requester, manager
):
    access_request = workflow.submit_requests(
        requester=requester, entitlements=[group], justification="x"
    )[0]
    workflow.approve(access_request.pk, approver=manager)
    job = ProvisioningJob.objects.get()

    tokens = race(*(lambda: claim(job.pk) for _ in range(4)))

    assert len([t for t in tokens if isinstance(t, str)]) == 1
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.RUNNING, 1)
