"""Policy resolution, approvers, summaries and duration limits."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from approvals import policies
from approvals.models import ApprovalRule
from tests.factories import PolicyFactory, ProjectRoleFactory, UserFactory


def test_built_in_default_applies_when_nothing_is_configured(group):
    policy = policies.resolve_policy(group)

    assert policy.pk is None
    assert (policy.rule, policy.justification_required) == (ApprovalRule.MANAGER, True)


def test_configured_default_beats_the_built_in_one(group):
    default = PolicyFactory(is_default=True, rule=ApprovalRule.ADMINS)

    assert policies.resolve_policy(group) == default


def test_kind_policy_beats_the_default(group):
    PolicyFactory(is_default=True)
    by_kind = PolicyFactory(kind="group", rule=ApprovalRule.OWNER)

    assert policies.resolve_policy(group) == by_kind


def test_resource_policy_beats_the_kind_policy(offline_application):
    role = ProjectRoleFactory(application=offline_application)
    PolicyFactory(kind="project_role")
    by_project = PolicyFactory(resource=role.resource)

    assert policies.resolve_policy(role) == by_project


def test_entitlement_policy_beats_everything(offline_application):
    role = ProjectRoleFactory(application=offline_application)
    PolicyFactory(is_default=True)
    PolicyFactory(kind="project_role")
    PolicyFactory(resource=role.resource)
    own = PolicyFactory(entitlement=role)

    assert policies.resolve_policy(role) == own


def test_many_entitlements_resolve_in_one_query(
    offline_application, django_assert_num_queries
):
    roles = ProjectRoleFactory.create_batch(5, application=offline_application)
    PolicyFactory(resource=roles[0].resource)

    with django_assert_num_queries(1):
        found = policies.resolve_policies(roles)

    assert len(found) == 5


def test_summary_names_the_manager_then_the_owner(group, requester):
    policy = PolicyFactory(rule=ApprovalRule.MANAGER_THEN_OWNER)

    summary = policies.approvers_summary(
        policy, beneficiary=requester, entitlement=group
    )

    assert summary == "Manager (manager), then Owner (owner)"


def test_summary_without_people_speaks_of_roles(db):
    policy = PolicyFactory(rule=ApprovalRule.MANAGER_THEN_OWNER)

    assert policies.approvers_summary(policy) == "the manager, then the owner"


def test_summary_of_other_rules(db):
    people = [
        UserFactory(display_name="Ann Lee"),
        UserFactory(display_name="Raj Patel"),
    ]
    n_of_m = PolicyFactory(
        rule=ApprovalRule.N_OF_M, required_approvals=2, approvers=people
    )

    assert policies.approvers_summary(n_of_m) == "2 of Ann Lee, Raj Patel"
    assert (
        policies.approvers_summary(PolicyFactory(rule=ApprovalRule.AUTO))
        == "Approved automatically"
    )
    assert (
        policies.approvers_summary(PolicyFactory(rule=ApprovalRule.ADMINS))
        == "A portal administrator"
    )


def test_missing_manager_falls_to_the_fallback_approver(group, make_person):
    fallback = make_person("fallback")
    loner = make_person("loner")
    policy = PolicyFactory(rule=ApprovalRule.MANAGER, fallback_approver=fallback)

    steps = policies.plan_steps(
        policy, entitlement=group, beneficiary=loner, requester=loner
    )

    assert list(steps[0].approvers) == [fallback]
    assert "fallback" in steps[0].note


def test_requester_is_never_one_of_the_approvers(group, requester, admin):
    others = UserFactory.create_batch(2)
    policy = PolicyFactory(
        rule=ApprovalRule.N_OF_M, required_approvals=2, approvers=[requester, *others]
    )

    steps = policies.plan_steps(
        policy, entitlement=group, beneficiary=requester, requester=requester
    )

    assert set(steps[0].approvers) == set(others)
    assert steps[0].required_approvals == 2


def test_quorum_short_of_people_is_filled_from_the_administrators(
    group, requester, admin
):
    only = UserFactory()
    policy = PolicyFactory(
        rule=ApprovalRule.N_OF_M, required_approvals=2, approvers=[requester, only]
    )

    steps = policies.plan_steps(
        policy, entitlement=group, beneficiary=requester, requester=requester
    )

    assert list(steps[0].approvers) == [only, admin]


def test_inactive_approvers_are_skipped(group, requester, manager, admin):
    manager.is_active = False
    manager.save()

    steps = policies.plan_steps(
        policies.default_policy(),
        entitlement=group,
        beneficiary=requester,
        requester=requester,
    )

    assert list(steps[0].approvers) == [admin]


def test_auto_policy_has_no_steps(group, requester):
    policy = PolicyFactory(rule=ApprovalRule.AUTO)

    assert (
        policies.plan_steps(
            policy, entitlement=group, beneficiary=requester, requester=requester
        )
        == []
    )


def test_access_end_uses_the_default_duration():
    policy = PolicyFactory.build(default_duration_days=10, max_duration_days=30)
    now = timezone.now()

    end, errors = policies.access_end(policy, now=now, duration_days=None, ends_at=None)

    assert (end, errors) == (now + timedelta(days=10), {})


def test_access_end_without_limits_is_open_ended():
    policy = PolicyFactory.build()

    end, errors = policies.access_end(
        policy, now=timezone.now(), duration_days=None, ends_at=None
    )

    assert (end, errors) == (None, {})


def test_zero_day_duration_is_refused():
    policy = PolicyFactory.build()

    _, errors = policies.access_end(
        policy, now=timezone.now(), duration_days=0, ends_at=None
    )

    assert errors == {"duration_days": ["The duration must be at least one day."]}
