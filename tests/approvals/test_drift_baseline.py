"""The drift baseline: an Application's first check adopts what Atlassian already held."""

from __future__ import annotations

import pytest

from approvals.models import (
    AuditEvent,
    DriftFinding,
    DriftKind,
    DriftStatus,
    Grant,
    GrantOrigin,
    ProvisioningJob,
)
from connectors.models import DriftPolicy
from connectors.reconcile import execute_run, start_run
from tests.approvals.conftest import simulator_shows


def _reconcile(application):
    """A complete reconciliation; its drift check runs when it finishes."""
    execute_run(start_run(application).pk)
    application.refresh_from_db()


def _open_unmanaged():
    return DriftFinding.objects.filter(
        kind=DriftKind.UNMANAGED, status=DriftStatus.OPEN
    )


def _left_by_the_baseline():
    """What no adoption can take: the demo's accounts without a portal identity
    (three external contractors, two suspended accounts)."""
    return _open_unmanaged().filter(account__identity__isnull=True)


def _add_behind_the_portals_back(simulator, email, group_name):
    with simulator.lock:
        state = simulator.state
        state.add_member(state.group_by_name(group_name), state.user_by_email(email))


@pytest.fixture
def adopting(application):
    """The demo organization, connected with "adopt existing access" on."""
    application.adopts_existing_access = True
    application.save()
    return application


def test_first_check_adopts_the_existing_access_without_provisioning(adopting):
    _reconcile(adopting)

    adopted = Grant.objects.filter(origin=GrantOrigin.ADOPTED)
    assert adopted.count() > 50
    assert adopting.baseline_taken_at is not None
    assert adopting.baseline_adopted == (
        DriftFinding.objects.filter(status=DriftStatus.ADOPTED).count()
    )
    assert set(_open_unmanaged()) == set(_left_by_the_baseline())
    assert _left_by_the_baseline().count() == 5
    assert not ProvisioningJob.objects.exists()


def test_the_baseline_is_audited_once_by_the_system_with_its_count(adopting):
    _reconcile(adopting)
    _reconcile(adopting)

    event = AuditEvent.objects.get(action="drift.baseline_adopted")
    assert event.actor is None
    assert event.actor_label == "Access Portal"
    assert event.after["adopted"] == adopting.baseline_adopted
    assert not Grant.objects.filter(adopted_by__isnull=False).exists()


def test_access_added_in_atlassian_after_the_baseline_is_flagged(
    adopting, simulator, alice
):
    _reconcile(adopting)
    taken_at, grants = adopting.baseline_taken_at, Grant.objects.count()
    left = set(_left_by_the_baseline())

    _add_behind_the_portals_back(simulator, alice.email, "design")
    _reconcile(adopting)

    (finding,) = set(_open_unmanaged().select_related("entitlement", "account")) - left
    assert (finding.entitlement.name, finding.account.email) == ("design", alice.email)
    assert Grant.objects.count() == grants
    assert adopting.baseline_taken_at == taken_at


def test_with_the_option_off_nothing_is_adopted(application):
    _reconcile(application)

    assert _open_unmanaged().count() > 50
    assert not Grant.objects.filter(origin=GrantOrigin.ADOPTED).exists()
    assert application.baseline_taken_at is None
    assert not AuditEvent.objects.filter(action="drift.baseline_adopted").exists()


def test_switched_on_later_it_applies_once_to_the_next_check(
    application, simulator, alice
):
    _reconcile(application)
    flagged = _open_unmanaged().count()

    application.adopts_existing_access = True
    application.save()
    _reconcile(application)
    left = set(_left_by_the_baseline())
    _add_behind_the_portals_back(simulator, alice.email, "design")
    _reconcile(application)

    assert application.baseline_adopted == flagged - len(left)
    (finding,) = set(_open_unmanaged()) - left
    assert finding.entitlement.name == "design"
    assert AuditEvent.objects.filter(action="drift.baseline_adopted").count() == 1


def test_policy_correct_revokes_nothing_at_the_baseline_check(
    adopting, simulator, alice, settings
):
    # Under the limit: "correct" would revoke every open finding at once.
    settings.DRIFT_AUTO_CORRECT_LIMIT = 100_000
    adopting.drift_policy = DriftPolicy.CORRECT
    adopting.save()

    _reconcile(adopting)

    assert not ProvisioningJob.objects.exists()
    assert not AuditEvent.objects.filter(action="drift.correcting").exists()
    left = _left_by_the_baseline().select_related("entitlement", "account")
    assert left.exists()  # pre-existing too: kept for an admin's review
    for finding in [*left, *DriftFinding.objects.filter(status=DriftStatus.ADOPTED)]:
        assert simulator_shows(simulator, finding.entitlement, finding.account.email)
