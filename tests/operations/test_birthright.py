"""Birthright access: joiners and movers get what their department's rules give."""

from __future__ import annotations

import pytest

from approvals.birthright import apply_birthright, apply_rule
from approvals.models import (
    AuditEvent,
    BirthrightRule,
    Grant,
    GrantOrigin,
    GrantState,
    JobKind,
    JobStatus,
    ProvisioningJob,
)
from connectors.reconcile import execute_run, start_run
from tests.factories import GrantFactory
from tests.operations.conftest import ALICE, group, settle


def rule(application, value, *groups, attribute="department"):
    made = BirthrightRule.objects.create(
        name=f"{value} birthright",
        application=application,
        attribute=attribute,
        value=value,
    )
    made.entitlements.set([group(name) for name in groups])
    return made


@pytest.fixture
def rules(catalog):
    """Engineering → design; Sales → sales and product."""
    return [
        rule(catalog, "Engineering", "design"),
        rule(catalog, "Sales", "sales", "product"),
    ]


def grants_of(person):
    return {
        g.entitlement.name: g.state
        for g in Grant.objects.filter(beneficiary=person).select_related("entitlement")
    }


def test_a_joiner_gets_the_groups_of_their_department(rules, catalog, alice, simulator):
    result = apply_birthright(alice, catalog)

    job = ProvisioningJob.objects.get(kind=JobKind.GRANT, identity=alice)
    done = settle(job)
    assert result.granted == [group("design").pk]
    assert done.status == JobStatus.SUCCEEDED, done.last_error
    assert grants_of(alice) == {"design": GrantState.ACTIVE}
    assert simulator.state.is_group_member(
        "design", simulator.state.user_by_email(ALICE).account_id
    )
    assert AuditEvent.objects.filter(
        action="grant.birthright",
        target_id=str(Grant.objects.get(beneficiary=alice).pk),
    ).exists()


def test_applying_the_rules_twice_grants_once(rules, catalog, alice):
    apply_birthright(alice, catalog)

    again = apply_birthright(alice, catalog)

    assert again.granted == []
    assert Grant.objects.filter(beneficiary=alice).count() == 1


def test_rules_match_without_regard_to_case(catalog, alice):
    rule(catalog, "  engineering ", "design")

    assert apply_birthright(alice, catalog).granted == [group("design").pk]


def test_a_mover_changes_birthright_groups_and_keeps_what_they_asked_for(
    rules, catalog, alice
):
    apply_birthright(alice, catalog)
    settle(ProvisioningJob.objects.get(kind=JobKind.GRANT, identity=alice))
    asked = GrantFactory(
        beneficiary=alice, entitlement=group("product")
    )  # through a request
    alice.department = "Sales"
    alice.save()

    result = apply_birthright(alice, catalog, previous={"department": "Engineering"})

    assert result.removed == [group("design").pk]
    assert result.granted == [group("sales").pk]  # product is held already
    assert grants_of(alice) == {
        "design": GrantState.REVOKING,
        "sales": GrantState.PENDING,
        "product": GrantState.ACTIVE,
    }
    assert asked.pk in Grant.objects.filter(state=GrantState.ACTIVE).values_list(
        "pk", flat=True
    )
    assert ProvisioningJob.objects.filter(
        kind=JobKind.REVOKE, entitlement=group("design")
    ).exists()


def test_a_birthright_grant_not_yet_provisioned_ends_at_once_on_a_move(
    rules, catalog, alice
):
    apply_birthright(alice, catalog)
    alice.department = "Finance"
    alice.save()

    apply_birthright(alice, catalog, previous={"department": "Engineering"})

    assert grants_of(alice) == {"design": GrantState.REVOKED}
    assert (
        ProvisioningJob.objects.get(kind=JobKind.GRANT, identity=alice).status
        == JobStatus.CANCELLED
    )


def test_leavers_get_no_birthright(rules, catalog, alice):
    alice.is_active = False
    alice.save()

    assert apply_birthright(alice, catalog).granted == []


def test_reconciliation_applies_the_rules_to_joiners_and_movers(
    rules, catalog, make_person, simulator
):
    alice = make_person(
        "alice", email=ALICE, department="Sales"
    )  # Atlassian says Engineering
    GrantFactory(  # her old birthright
        beneficiary=alice,
        entitlement=group("sales"),
        request=None,
        origin=GrantOrigin.BIRTHRIGHT,
    )

    run = execute_run(start_run(catalog).pk)

    alice.refresh_from_db()
    bob = type(alice).objects.get(
        email="bob.manager@acme.example"
    )  # created by this run
    assert run.status == "succeeded"
    assert alice.department == "Engineering"
    assert grants_of(alice) == {
        "sales": GrantState.REVOKING,
        "design": GrantState.PENDING,
    }
    assert grants_of(bob) == {"design": GrantState.PENDING}


def test_reconciliation_reports_a_leaver_to_the_workflow(
    catalog, make_person, simulator
):
    alice = make_person("alice", email=ALICE)
    GrantFactory(
        beneficiary=alice,
        entitlement=group("design"),
        request=None,
        origin=GrantOrigin.BIRTHRIGHT,
    )
    execute_run(start_run(catalog).pk)
    simulator.state.user_by_email(ALICE).suspended = True

    execute_run(start_run(catalog).pk)

    alice.refresh_from_db()
    assert alice.is_active is False
    assert grants_of(alice) == {"design": GrantState.REVOKING}
    assert ProvisioningJob.objects.filter(kind=JobKind.REVOKE, identity=alice).exists()


def test_a_new_rule_is_applied_to_the_people_it_matches_now(
    catalog, alice, make_person, admin
):
    make_person("sam", department="Sales")
    engineering = rule(catalog, "engineering", "design")

    given = apply_rule(engineering, by=admin)

    assert given == 1
    assert grants_of(alice) == {"design": GrantState.PENDING}
