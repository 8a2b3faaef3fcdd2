"""Nothing lost: provisioning through a REAL Celery worker against the simulator over HTTP,
with faults injected through the simulator's knobs.

Each test counts the jobs, the faults the simulator injected and the retries, and
prints them (run with -s). Outcomes are polled with a generous deadline; no test
asserts a duration. The test process plays celery beat: it calls the sweeper
(`requeue_stale_jobs`) every few seconds while it waits.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

import pytest
from django.db.models import Sum
from django.utils import timezone

from approvals import tasks, workflow
from approvals.models import (
    AccessRequest,
    AuditEvent,
    Grant,
    GrantState,
    JobKind,
    JobStatus,
    ProvisioningJob,
    RequestState,
)
from tests.approvals.conftest import load_entitlement, purge_broker, simulator_shows

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.timeout(900)]

DEADLINE = 420.0  # generous: the machine is shared and faults are random
SWEEP_EVERY = 3.0


# --- helpers ------------------------------------------------------------------------


@dataclass
class FaultReport:
    """What one test exercised, printed for the final note."""

    name: str
    jobs: int
    faults: Counter
    job_retries: int
    takeovers: int
    http_calls: int

    def print(self) -> None:
        faults = ", ".join(f"{k}={v}" for k, v in sorted(self.faults.items())) or "none"
        print(  # noqa: T201 - the figures the issue asks to report
            f"\nFAULT REPORT {self.name}: jobs={self.jobs} faults[{faults}] "
            f"total_faults={sum(self.faults.values())} job_retries={self.job_retries} "
            f"takeovers={self.takeovers} http_calls={self.http_calls}"
        )


def report(name, simulator, *, extra_faults=None):
    faults = Counter()
    for call in list(simulator.calls):
        if call.status in (429, 500, 503):
            faults[str(call.status)] += 1
        elif call.status == 0:
            faults["dropped"] += 1
    faults.update(extra_faults or {})
    retry_events = AuditEvent.objects.filter(action="job.retry_scheduled").count()
    attempts = ProvisioningJob.objects.aggregate(total=Sum("attempts"))["total"] or 0
    jobs = ProvisioningJob.objects.count()
    result = FaultReport(
        name=name,
        jobs=jobs,
        faults=faults,
        job_retries=retry_events,
        takeovers=max(0, attempts - jobs - retry_events),
        http_calls=len(simulator.calls),
    )
    result.print()
    return result


def wait_for(predicate, *, deadline=DEADLINE, what="the outcome"):
    """Poll `predicate`, running the sweeper like beat would, until it holds."""
    end = time.monotonic() + deadline
    next_sweep = 0.0
    while time.monotonic() < end:
        if predicate():
            return
        if time.monotonic() >= next_sweep:
            tasks.requeue_stale_jobs()
            next_sweep = time.monotonic() + SWEEP_EVERY
        time.sleep(0.5)
    states = Counter(AccessRequest.objects.values_list("state", flat=True))
    jobs = Counter(ProvisioningJob.objects.values_list("status", flat=True))
    pytest.fail(
        f"Timed out waiting for {what}; requests {dict(states)}, jobs {dict(jobs)}"
    )


def all_requests_in(*states):
    return lambda: not AccessRequest.objects.exclude(state__in=states).exists()


def seeded_people(simulator, make_person, manager, count):
    """Identities for people who already have accounts in the simulated organization."""
    with simulator.lock:
        users = [
            u
            for u in simulator.state.users.values()
            if u.email
            and u.email.endswith("@acme.example")
            and u.active
            and u.email != simulator.config.admin_email
        ]
    return [
        make_person(
            f"seeded{n}", email=u.email, display_name=u.display_name, manager=manager
        )
        for n, u in enumerate(sorted(users, key=lambda u: u.email)[:count])
    ]


def new_people(make_person, manager, count):
    """Identities without an Atlassian account: provisioning creates one through SCIM."""
    return [make_person(f"newcomer{n}", manager=manager) for n in range(count)]


def request_and_approve(simulator, people, entitlements, manager):
    """Each person asks for every entitlement they lack; the manager approves all."""
    approved = []
    for person in people:
        wanted = [
            e for e in entitlements if not simulator_shows(simulator, e, person.email)
        ]
        if not wanted:
            continue
        for access_request in workflow.submit_requests(
            requester=person, entitlements=wanted, justification="Fault-injection test"
        ):
            approved.append(workflow.approve(access_request.pk, approver=manager))
    return approved


def assert_each_grant_active_exactly_once(simulator, approved):
    for access_request in approved:
        access_request.refresh_from_db()
        grant = Grant.objects.get(request=access_request)
        assert access_request.state == RequestState.ACTIVE, access_request.state_reason
        assert grant.state == GrantState.ACTIVE
        assert simulator_shows(simulator, grant.entitlement, grant.beneficiary.email)
        activations = AuditEvent.objects.filter(
            action="grant.activated", target_id=str(grant.pk)
        )
        assert activations.count() == 1
        open_grants = Grant.objects.filter(
            beneficiary=grant.beneficiary,
            entitlement=grant.entitlement,
            state=GrantState.ACTIVE,
        )
        assert open_grants.count() == 1


@pytest.fixture
def catalog(served_application, simulator):
    """Three kinds of entitlement from the simulated organization, in the catalog."""
    return [
        load_entitlement(served_application, "group", "design"),
        load_entitlement(served_application, "project_role", "API · Viewer"),
        load_entitlement(served_application, "space_permission", "ENG · Add pages"),
    ]


# --- the tests ----------------------------------------------------------------------


def test_429_storm_and_503s_every_grant_ends_active_once(
    catalog, simulator, make_person, manager, provisioning_worker
):
    people = seeded_people(simulator, make_person, manager, 4) + new_people(
        make_person, manager, 3
    )
    simulator.reset_calls()
    simulator.knobs.rate_limits.update(
        {"jira": 2.0, "scim": 2.0, "admin": 2.0, "confluence": 2.0}
    )
    simulator.knobs.fault_rate = 0.45
    simulator.knobs.drop_rate = 0.05

    approved = request_and_approve(simulator, people, catalog, manager)
    wait_for(
        all_requests_in(RequestState.ACTIVE, RequestState.FAILED), what="provisioning"
    )

    simulator.knobs.rate_limits.clear()
    simulator.knobs.fault_rate = simulator.knobs.drop_rate = 0.0
    figures = report("429-storm+503s+drops", simulator)
    assert_each_grant_active_exactly_once(simulator, approved)
    assert figures.faults["429"] > 0
    assert figures.faults["500"] + figures.faults["503"] > 0


def test_timeouts_and_dropped_connections_lose_nothing(
    catalog, simulator, make_person, manager, provisioning_worker
):
    people = seeded_people(simulator, make_person, manager, 3) + new_people(
        make_person, manager, 2
    )
    simulator.reset_calls()
    # A window in which every answer comes after the client's 30 s read timeout: the
    # change may be made in Atlassian while the worker sees a timeout.
    simulator.knobs.slow_seconds = 35.0
    simulator.knobs.slow_rate = 1.0
    simulator.knobs.drop_rate = 0.15

    approved = request_and_approve(simulator, people, catalog, manager)
    wait_for(lambda: len(simulator.calls) >= 3, what="calls inside the slow window")
    slow_calls = len(simulator.calls)
    simulator.knobs.slow_rate = 0.0
    wait_for(
        all_requests_in(RequestState.ACTIVE, RequestState.FAILED), what="provisioning"
    )

    simulator.knobs.drop_rate = 0.0
    report("timeouts+drops", simulator, extra_faults={"timeout": slow_calls})
    assert_each_grant_active_exactly_once(simulator, approved)


def test_worker_killed_mid_job_is_taken_over_after_the_lease(
    catalog, simulator, make_person, manager, provisioning_worker
):
    people = seeded_people(simulator, make_person, manager, 5)
    simulator.reset_calls()
    simulator.knobs.latency_ms = (
        700.0  # jobs take a few seconds: the kill lands mid-job
    )

    approved = request_and_approve(simulator, people, catalog, manager)
    wait_for(
        lambda: ProvisioningJob.objects.filter(status=JobStatus.RUNNING).exists(),
        what="a running job",
    )
    provisioning_worker.kill()
    orphaned = list(
        ProvisioningJob.objects.filter(status=JobStatus.RUNNING).values_list(
            "pk", flat=True
        )
    )
    provisioning_worker.start()
    wait_for(
        all_requests_in(RequestState.ACTIVE, RequestState.FAILED), what="provisioning"
    )

    simulator.knobs.latency_ms = 0.0
    figures = report("worker-killed", simulator, extra_faults={"worker_kills": 1})
    assert orphaned
    assert_each_grant_active_exactly_once(simulator, approved)
    assert ProvisioningJob.objects.filter(
        pk__in=orphaned, attempts__gte=2
    ).count() == len(orphaned)
    assert figures.takeovers >= len(orphaned)


def test_lost_broker_messages_are_recovered_by_the_sweeper(
    catalog, simulator, make_person, manager, worker_supervisor
):
    people = seeded_people(simulator, make_person, manager, 3) + new_people(
        make_person, manager, 1
    )
    simulator.reset_calls()

    approved = request_and_approve(simulator, people, catalog, manager)
    purged = purge_broker()  # the broker lost every message; only the rows remain
    worker_supervisor.start()
    wait_for(
        all_requests_in(RequestState.ACTIVE, RequestState.FAILED), what="the sweeper"
    )

    report(
        "broker-messages-lost", simulator, extra_faults={"lost_messages": purged or 0}
    )
    assert purged == len(approved)
    assert_each_grant_active_exactly_once(simulator, approved)


def test_expiry_and_revocation_reach_atlassian_through_the_worker(
    catalog, simulator, make_person, manager, provisioning_worker
):
    alice, sam = seeded_people(simulator, make_person, manager, 2)
    design = catalog[0]
    approved = request_and_approve(simulator, [alice, sam], [design], manager)
    wait_for(
        all_requests_in(RequestState.ACTIVE, RequestState.FAILED), what="provisioning"
    )
    alice_grant, sam_grant = (Grant.objects.get(request=r) for r in approved)

    workflow.revoke_grant(alice_grant.pk, by=alice, reason="Finished")
    Grant.objects.filter(pk=sam_grant.pk).update(ends_at=timezone.now())
    tasks.expire_grants()
    wait_for(
        lambda: not Grant.objects.filter(state=GrantState.REVOKING).exists(),
        what="removal",
    )

    alice_grant.refresh_from_db()
    sam_grant.refresh_from_db()
    assert (alice_grant.state, sam_grant.state) == (
        GrantState.REVOKED,
        GrantState.EXPIRED,
    )
    assert not simulator_shows(simulator, design, alice.email)
    assert not simulator_shows(simulator, design, sam.email)
    assert (
        ProvisioningJob.objects.filter(
            kind=JobKind.REVOKE, status=JobStatus.SUCCEEDED
        ).count()
        == 2
    )
    report("expiry+revocation", simulator)
