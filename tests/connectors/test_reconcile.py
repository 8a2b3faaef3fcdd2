"""Full, limited and incremental reconciliation, and mark and sweep, against the simulator."""

from __future__ import annotations

import pytest

from connectors.models import (
    Account,
    Assignment,
    Entitlement,
    ReconciliationRun,
    Resource,
    RunStatus,
)
from tests.connectors.reconcile_support import (
    account,
    entitlement,
    group_holds,
    holds,
    reconcile,
    sim_group,
    sim_role_id,
    sim_user,
)

pytestmark = pytest.mark.django_db

ALICE = "alice.requester@acme.example"
SAM = "samuel.adeyemi@acme.example"


# -- full runs ------------------------------------------------------------------------------


def test_full_run_catalogs_accounts_groups_projects_and_spaces(application, simulator):
    run = reconcile(application)

    assert run.status == RunStatus.SUCCEEDED, run.error
    assert Account.objects.present().count() == len(simulator.state.users)
    assert set(Resource.objects.filter(kind="project").values_list("key", flat=True)) == {
        "WEB", "MOB", "API", "OPS", "DATA", "HR", "FIN", "MKT"
    }  # fmt: skip
    assert entitlement("engineering").kind == "group"
    assert entitlement("WEB · Member").resource.key == "WEB"
    assert (
        Entitlement.objects.filter(kind="space_permission", resource__key="ENG").count()
        == 14
    )


def test_full_run_records_direct_group_and_derived_assignments(application):
    reconcile(application)

    assert holds(ALICE, "engineering")  # a group member
    assert holds(ALICE, "API · Member")  # a user actor of a project role
    assert holds(ALICE, "ENG · Add pages")  # a user's space permission
    assert group_holds("engineering", "MOB · Member")  # a group actor of a role
    assert holds(ALICE, "MOB · Member", via="engineering")  # held through the group
    assert not holds(ALICE, "MOB · Member")


def test_project_lead_owns_the_project_and_its_roles(application):
    reconcile(application)

    web = Resource.objects.get(kind="project", key="WEB")
    assert web.owner.email == "bob.manager@acme.example"
    assert entitlement("WEB · Member").owner == web.owner


def test_second_full_run_writes_nothing_new(application):
    reconcile(application)
    assignments = Assignment.objects.count()

    run = reconcile(application)

    assert run.status == RunStatus.SUCCEEDED
    assert Assignment.objects.count() == assignments
    for kind, outcome in run.counts.items():
        assert outcome["created"] == outcome["updated"] == outcome["removed"] == 0, kind


def test_run_reports_progress_counts_and_api_calls_per_family(application, simulator):
    run = reconcile(application)

    assert run.progress["accounts"]["done"] == run.progress["accounts"]["total"] > 0
    assert run.counts["accounts"]["created"] == len(simulator.state.users)
    assert set(run.api_calls) == {"scim", "admin", "jira", "confluence"}
    assert all(calls > 0 for calls in run.api_calls.values())
    assert run.finished_at >= run.started_at


# -- mark and sweep --------------------------------------------------------------------------


def test_membership_removed_in_atlassian_ends_the_assignment_and_its_derived_access(
    application, simulator
):
    reconcile(application)
    simulator.state.remove_member(
        sim_group(simulator, "engineering"), sim_user(simulator, ALICE)
    )

    run = reconcile(application)

    assert not holds(ALICE, "engineering")
    assert not holds(ALICE, "MOB · Member", via="engineering")
    ended = Assignment.objects.get(
        account=account(ALICE), entitlement=entitlement("engineering")
    )
    assert ended.ended_at is not None  # kept for history
    assert run.counts["group_assignments"]["removed"] == 1


def test_deleted_group_is_marked_removed_never_deleted(application, simulator):
    reconcile(application)
    simulator.state.delete_group(sim_group(simulator, "contractors"))

    run = reconcile(application)

    contractors = Entitlement.objects.get(name="contractors")
    assert contractors.removed_at is not None
    assert not contractors.assignments.current().exists()
    assert not contractors.held_assignments.current().exists()
    assert run.counts["groups"]["removed"] == 1
    assert contractors not in Entitlement.objects.requestable()


def test_role_actor_removed_in_jira_is_ended(application, simulator):
    reconcile(application)
    project = simulator.state.project_by_key["API"]
    project.users[sim_role_id(simulator, "Member")].discard(
        sim_user(simulator, ALICE).seq
    )

    reconcile(application)

    assert not holds(ALICE, "API · Member")
    assert holds(SAM, "API · Member")


def test_new_assignment_in_atlassian_is_found(application, simulator):
    reconcile(application)
    project = simulator.state.project_by_key["WEB"]
    project.users[sim_role_id(simulator, "Viewer")].add(sim_user(simulator, ALICE).seq)

    run = reconcile(application)

    assert holds(ALICE, "WEB · Viewer")
    assert run.counts["project_role_assignments"]["created"] == 1


def test_account_gone_from_atlassian_is_marked_removed_and_its_access_ends(
    application, simulator
):
    reconcile(application)
    guest = next(
        u
        for u in simulator.state.users.values()
        if not u.managed and u.account_type == "atlassian"
    )
    assert account(guest.email).assignments.current().exists()
    simulator.state.forget_user_grants(guest)
    simulator.state.set_in_directory(guest, member=False)
    simulator.state.set_site_access(guest, granted=False)

    run = reconcile(application)

    gone = account(guest.email)
    assert gone.removed_at is not None
    assert not gone.assignments.current().exists()
    assert run.counts["accounts"]["removed"] == 1


# -- limited runs ----------------------------------------------------------------------------


def test_run_limited_to_a_project_changes_only_that_project(application, simulator):
    reconcile(application)
    member = sim_role_id(simulator, "Member")
    simulator.state.project_by_key["API"].users[member].discard(
        sim_user(simulator, ALICE).seq
    )
    simulator.state.project_by_key["WEB"].users[member].discard(
        sim_user(simulator, SAM).seq
    )
    simulator.reset_calls()

    run = reconcile(application, scope={"project": ["WEB"]})

    assert run.status == RunStatus.SUCCEEDED, run.error
    assert not holds(SAM, "WEB · Member")
    assert holds(ALICE, "API · Member")  # outside the filter: untouched
    assert "accounts" not in run.counts and "groups" not in run.counts
    assert not any("/group/member" in call.path for call in simulator.calls)


def test_run_limited_to_a_group_sweeps_only_that_group(application, simulator):
    reconcile(application)
    alice = sim_user(simulator, ALICE)
    simulator.state.remove_member(sim_group(simulator, "engineering"), alice)
    simulator.state.remove_member(sim_group(simulator, "confluence-users"), alice)

    reconcile(application, scope={"group": ["engineering"]})

    assert not holds(ALICE, "engineering")
    assert holds(ALICE, "confluence-users")


def test_run_limited_to_an_email_domain_reconciles_only_those_accounts(
    application, simulator
):
    reconcile(application)
    simulator.state.change_email(sim_user(simulator, SAM), "sam@elsewhere.example")
    external = next(
        a
        for a in Account.objects.all()
        if not a.email.endswith("@acme.example") and a.email
    )

    run = reconcile(application, only=["accounts"], scope={"domain": ["acme.example"]})

    assert run.status == RunStatus.SUCCEEDED, run.error
    assert (
        account("sam@elsewhere.example").removed_at is None
    )  # listed by id, not by domain
    external.refresh_from_db()
    assert external.removed_at is None  # outside the filter: never swept
    assert set(run.counts) <= {"accounts", "identities", "managers"}


# -- incremental runs ------------------------------------------------------------------------


def test_incremental_run_writes_only_what_changed(application, simulator):
    reconcile(application)
    before = {a.pk: a.last_seen for a in Account.objects.all()}
    simulator.state.users[sim_user(simulator, ALICE).seq].title = "Staff Engineer"

    run = reconcile(application, incremental=True)

    assert run.is_incremental and run.status == RunStatus.SUCCEEDED
    assert run.counts["accounts"]["updated"] == 1
    assert run.counts["accounts"]["unchanged"] == len(before) - 1
    assert account(ALICE).title == "Staff Engineer"
    untouched = Account.objects.exclude(email=ALICE)
    assert all(a.last_seen == before[a.pk] for a in untouched)


def test_incremental_run_still_sweeps_what_vanished(application, simulator):
    reconcile(application)
    design = sim_group(simulator, "design")
    simulator.state.remove_member(design, simulator.state.users[design.members[0]])

    run = reconcile(application, incremental=True)

    assert run.status == RunStatus.SUCCEEDED
    assert run.counts["group_assignments"]["removed"] == 1


def test_incremental_run_without_a_full_run_runs_full(application):
    run = reconcile(application, incremental=True)

    assert run.status == RunStatus.SUCCEEDED
    assert "No earlier full run" in " ".join(run.errors)
    assert ReconciliationRun.objects.count() == 1


# -- derived access --------------------------------------------------------------------------


def first_member(simulator, group_name):
    group = sim_group(simulator, group_name)
    return simulator.state.users[group.members[0]]


def test_member_added_to_a_group_gets_what_the_group_holds(application, simulator):
    reconcile(application)
    simulator.state.add_member(
        sim_group(simulator, "design"), sim_user(simulator, ALICE)
    )

    reconcile(application)

    assert holds(ALICE, "design")
    assert holds(ALICE, "WEB · Member", via="design")


@pytest.mark.parametrize("scope", [{}, {"project": ["API"]}])
def test_group_made_a_role_actor_gives_its_members_access(
    application, simulator, scope
):
    reconcile(application)
    seller = first_member(simulator, "sales")
    simulator.state.project_by_key["API"].groups[sim_role_id(simulator, "Viewer")].add(
        sim_group(simulator, "sales").seq
    )

    reconcile(application, scope=scope)

    assert group_holds("sales", "API · Viewer")
    assert holds(seller.email, "API · Viewer", via="sales")


def test_group_no_longer_a_role_actor_ends_its_members_derived_access(
    application, simulator
):
    reconcile(application)
    alice = ALICE
    assert holds(alice, "MOB · Member", via="engineering")
    simulator.state.project_by_key["MOB"].groups[
        sim_role_id(simulator, "Member")
    ].discard(sim_group(simulator, "engineering").seq)

    run = reconcile(application, scope={"project": ["MOB"]})

    assert not group_holds("engineering", "MOB · Member")
    assert not holds(alice, "MOB · Member", via="engineering")
    assert run.counts["project_role_assignments"]["removed"] == 1
    assert holds(alice, "engineering")  # still a member: only the holding ended
