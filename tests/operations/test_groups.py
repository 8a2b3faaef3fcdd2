"""Group operations against the simulated organization."""

from __future__ import annotations

import pytest

from approvals.group_members import group_members
from approvals.models import GrantState, JobStatus
from approvals.transitions import InvalidRequest
from connectors.registry import connector_for
from tests.factories import GrantFactory
from tests.operations.conftest import ALICE, audited, group, run


def test_create_group_makes_it_in_atlassian_and_in_the_catalog(
    catalog, admin, simulator
):
    job = run(
        "groups.create",
        {"name": "release-managers", "description": "People who ship"},
        by=admin,
    )

    made = simulator.state.group_by_name("release-managers")
    assert job.status == JobStatus.SUCCEEDED
    assert made.description == "People who ship"
    assert group("release-managers").external_id == made.group_id
    assert audited(job).after["group_id"] == made.group_id


def test_creating_a_group_the_catalog_knows_is_refused(catalog, admin, simulator):
    run("groups.create", {"name": "release-managers"}, by=admin)

    with pytest.raises(InvalidRequest) as refused:
        run("groups.create", {"name": "Release-Managers"}, by=admin)

    assert refused.value.field_errors == {
        "name": ["A group named Release-Managers already exists."]
    }
    assert (
        sum(g.name == "release-managers" for g in simulator.state.groups.values()) == 1
    )


def test_rename_copies_the_members_and_moves_the_grants(
    catalog, admin, simulator, alice
):
    design = group("design")
    members = {
        u.account_id
        for u in simulator.state.users.values()
        if simulator.state.is_group_member("design", u.account_id)
    }
    grant = GrantFactory(beneficiary=alice, entitlement=design)

    job = run("groups.rename", {"group": "design", "new_name": "designers"}, by=admin)

    grant.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.last_error
    assert simulator.state.group_by_name("design") is None
    assert {
        a for a in members if simulator.state.is_group_member("designers", a)
    } == members
    assert grant.entitlement.name == "designers"
    assert audited(job).before["name"] == "design"


def test_rename_refuses_a_group_managed_by_the_identity_provider(catalog, admin):
    with pytest.raises(InvalidRequest) as refused:
        run("groups.rename", {"group": "engineering", "new_name": "eng"}, by=admin)

    assert "identity provider" in refused.value.field_errors["group"][0]


def test_delete_group_removes_it_and_marks_the_catalog(catalog, admin, simulator):
    job = run("groups.delete", {"group": "contractors"}, by=admin)

    assert job.status == JobStatus.SUCCEEDED
    assert simulator.state.group_by_name("contractors") is None
    assert group("design")  # others stay
    assert audited(job).before["name"] == "contractors"


def test_deleting_an_idp_managed_group_is_refused_with_a_clear_message(
    catalog, admin, simulator
):
    with pytest.raises(InvalidRequest) as refused:
        run("groups.delete", {"group": "engineering"}, by=admin)

    assert "managed by your identity provider" in refused.value.message
    assert simulator.state.group_by_name("engineering") is not None


def test_atlassian_refusing_an_idp_group_fails_the_job_with_its_message(
    catalog, admin, simulator
):
    group("engineering").__class__.objects.filter(name="engineering").update(
        is_managed_externally=False
    )

    job = run("groups.delete", {"group": "engineering"}, by=admin)

    assert job.status == JobStatus.FAILED
    assert "identity provider" in job.last_error
    assert simulator.state.group_by_name("engineering") is not None


def test_members_view_lists_who_atlassian_shows(catalog, alice, simulator, application):
    connector = connector_for(application)

    members, cut = group_members(connector, group("engineering"))

    mine = next(m for m in members if m.email == ALICE)
    assert cut is False
    assert mine.identity == "Alice Carter"
    assert len(members) == sum(
        simulator.state.is_group_member("engineering", u.account_id)
        for u in simulator.state.users.values()
    )


def test_group_grants_held_before_a_rename_stay_active(catalog, admin, alice):
    grant = GrantFactory(beneficiary=alice, entitlement=group("design"))

    run("groups.rename", {"group": "design", "new_name": "designers"}, by=admin)

    grant.refresh_from_db()
    assert grant.state == GrantState.ACTIVE
