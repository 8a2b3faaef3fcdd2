"""Against the simulator's fault knobs the operations end correctly in a bounded number of calls.

The simulator's clock and our retry policy share one fake clock, so waiting for a
Retry-After refills the simulated rate-limit bucket without slowing the test down.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import pytest

from connectors.atlassian.connector import AtlassianConnector
from connectors.atlassian.http import RetryPolicy
from connectors.base import EntitlementKind, EntitlementRef, RateLimited, Unavailable
from tests.connectors.atlassian.conftest import account_id, settings_for

HANA = "hana.yilmaz@acme.example"


@dataclass
class SharedClock:
    """A fake clock for the simulator and the client together; sleeping moves it."""

    seconds: float = 1000.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    slept: float = 0.0

    def clock(self) -> float:
        with self.lock:
            return self.seconds

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.seconds += max(0.0, seconds)
            self.slept += max(0.0, seconds)


@pytest.fixture
def shared_clock(sim) -> SharedClock:
    clock = SharedClock()
    sim.knobs.clock = clock.clock
    sim.knobs.sleep = clock.sleep
    return clock


def resilient_connector(sim, clock: SharedClock, **overrides) -> AtlassianConnector:
    policy = RetryPolicy(
        max_attempts=overrides.pop("max_attempts", 8),
        max_retry_seconds=overrides.pop("max_retry_seconds", 600.0),
        base_delay=0.5,
        sleep=clock.sleep,
        clock=clock.clock,
    )
    settings = settings_for(sim, **overrides)
    return AtlassianConnector(settings, transport=sim.transport(), policy=policy)


def total_calls(sim) -> int:
    return sum(sim.call_counts().values())


def statuses(sim) -> list[int]:
    return [call.status for call in sim.calls]


def baseline(sim, clock, operation):
    """Run an operation without faults; return its result and its call count."""
    sim.reset_calls()
    result = operation(resilient_connector(sim, clock))
    count = total_calls(sim)
    sim.reset_calls()
    return result, count


def project_role_assignments(connector):
    return sorted(
        (a.entitlement.external_id, a.holder_type.value, a.holder_id)
        for a in connector.iter_assignments([EntitlementKind.PROJECT_ROLE])
    )


def test_429_storm_during_fan_out_ends_with_every_assignment(sim, shared_clock):
    expected, calls_without_limit = baseline(
        sim, shared_clock, project_role_assignments
    )
    sim.knobs.rate_limits = {"jira": 3.0}

    found = project_role_assignments(resilient_connector(sim, shared_clock))

    limited = statuses(sim).count(429)
    assert found == expected
    assert limited > 0
    assert total_calls(sim) - limited == calls_without_limit
    assert limited <= 2 * calls_without_limit


def test_503s_are_retried_and_the_grant_applies_once(sim, shared_clock):
    sim.knobs.fault_rate = 0.4
    connector = resilient_connector(sim, shared_clock)
    hana = account_id(sim, HANA)
    ref = EntitlementRef(
        EntitlementKind.GROUP, sim.state.group_by_name("design").group_id
    )

    result = connector.grant(hana, ref)

    assert sim.state.is_group_member("design", hana)
    assert result.already_done in (
        False,
        True,
    )  # a repeated add may answer "already a member"
    assert total_calls(sim) <= 4 * 8


def test_503s_during_reading_still_list_every_group(sim, shared_clock):
    expected, calls = baseline(
        sim,
        shared_clock,
        lambda c: sorted(e.name for e in c.iter_entitlements([EntitlementKind.GROUP])),
    )
    sim.knobs.fault_rate = 0.3

    found = sorted(
        e.name
        for e in resilient_connector(sim, shared_clock).iter_entitlements(
            [EntitlementKind.GROUP]
        )
    )

    assert found == expected
    assert total_calls(sim) <= calls * 8


def test_timeouts_are_retried_until_the_read_succeeds(sim, shared_clock):
    expected, calls = baseline(
        sim, shared_clock, lambda c: sorted(a.account_id for a in c.iter_accounts())
    )
    sim.knobs.slow_rate = 0.3
    sim.knobs.slow_seconds = 60.0

    connector = resilient_connector(sim, shared_clock, read_timeout=5.0)
    found = sorted(a.account_id for a in connector.iter_accounts())

    assert found == expected
    assert total_calls(sim) <= calls * 8


def test_dropped_connections_are_retried_and_the_space_permission_lands(
    sim, shared_clock
):
    sim.knobs.drop_rate = 0.3
    connector = resilient_connector(sim, shared_clock)
    hana = account_id(sim, HANA)
    space = sim.state.space_by_key["DES"]
    ref = EntitlementRef(
        EntitlementKind.SPACE_PERMISSION, f"{space.id}:create:page", "DES"
    )

    connector.grant(hana, ref)

    held = {
        (k, t) for _, pid, k, t in sim.state.space_permissions("DES") if pid == hana
    }
    assert held == {("read", "space"), ("create", "page")}


def test_a_permanent_outage_gives_up_within_the_attempt_cap(sim, shared_clock):
    sim.knobs.fault_rate = 1.0
    connector = resilient_connector(sim, shared_clock, max_attempts=4)

    with pytest.raises(Unavailable):
        connector.get_account(account_id(sim, HANA))

    assert total_calls(sim) == 4


def test_a_wait_longer_than_the_time_cap_is_not_attempted(sim, shared_clock):
    sim.knobs.rate_limits = {"jira": 0.001}  # one token, then one per 1000 s
    connector = resilient_connector(sim, shared_clock, max_retry_seconds=150.0)
    connector.families.jira.list_roles()

    with pytest.raises(RateLimited) as caught:
        connector.families.jira.list_roles()

    assert caught.value.retry_after == 1000
    assert total_calls(sim) == 2
    assert shared_clock.slept == 0
