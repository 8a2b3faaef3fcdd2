"""Account lifecycle operations for an identity, against the simulated organization."""

from __future__ import annotations

import pytest

from approvals.models import JobStatus
from approvals.transitions import InvalidRequest, NotAllowed
from connectors.models import Account, AttributeMapping, SyncDirection
from tests.operations.conftest import ALICE, audited, run


def test_create_account_makes_it_through_scim_with_the_default_groups(
    application, admin, make_person, simulator
):
    newbie = make_person("newbie", first_name="New", last_name="Person")

    job = run("accounts.create", {"identity": "newbie@acme.example"}, by=admin)

    user = simulator.state.user_by_email("newbie@acme.example")
    assert job.status == JobStatus.SUCCEEDED, job.last_error
    assert user is not None and user.scim is not None
    assert simulator.state.is_group_member("jira-software-users", user.account_id)
    assert Account.objects.get(identity=newbie).account_id == user.account_id
    assert audited(job).after["account_id"] == user.account_id


def test_create_account_links_the_account_that_exists(
    application, admin, make_person, simulator
):
    person = make_person("alice", email=ALICE)
    before = len(simulator.state.users)

    job = run("accounts.create", {"identity": person.pk}, by=admin)

    assert job.status == JobStatus.SUCCEEDED
    assert len(simulator.state.users) == before
    assert (
        Account.objects.get(identity=person).account_id
        == simulator.state.user_by_email(ALICE).account_id
    )


def test_no_account_is_created_for_a_leaver(application, admin, make_person):
    make_person("gone", is_active=False)

    with pytest.raises(InvalidRequest) as refused:
        run("accounts.create", {"identity": "gone"}, by=admin)

    assert "deactivated" in refused.value.field_errors["identity"][0]


def test_update_writes_the_identitys_mapped_attributes(
    application, admin, alice, simulator
):
    alice.job_title = "Staff Engineer"
    alice.department = "Platform"
    alice.save()

    job = run(
        "accounts.update",
        {"identity": alice.pk, "attributes": ["jobTitle", "department"]},
        by=admin,
    )

    user = simulator.state.user_by_email(ALICE)
    event = audited(job)
    assert job.status == JobStatus.SUCCEEDED, job.last_error
    assert (user.title, user.department) == ("Staff Engineer", "Platform")
    assert event.after == {"title": "Staff Engineer", "department": "Platform"}
    assert event.before["department"] == "Engineering"


def test_update_refuses_attributes_the_mapping_keeps_atlassian_to_portal(
    application, admin, alice
):
    AttributeMapping.objects.filter(
        application=application, portal_attribute="jobTitle"
    ).update(direction=SyncDirection.TO_PORTAL)

    with pytest.raises(InvalidRequest) as refused:
        run(
            "accounts.update",
            {"identity": alice.pk, "attributes": ["jobTitle"]},
            by=admin,
        )

    assert (
        "does not flow portal → Atlassian"
        in refused.value.field_errors["attributes"][0]
    )


def test_update_without_an_account_says_so(application, admin, make_person):
    make_person("nobody")

    with pytest.raises(InvalidRequest) as refused:
        run("accounts.update", {"identity": "nobody"}, by=admin)

    assert "has no Atlassian account" in refused.value.field_errors["identity"][0]


def test_disable_then_enable(application, admin, alice, simulator):
    disabled = run("accounts.disable", {"identity": alice.pk}, by=admin)
    suspended = simulator.state.user_by_email(ALICE).suspended

    enabled = run("accounts.enable", {"identity": alice.pk}, by=admin)

    assert (disabled.status, enabled.status) == (
        JobStatus.SUCCEEDED,
        JobStatus.SUCCEEDED,
    )
    assert suspended is True
    assert simulator.state.user_by_email(ALICE).suspended is False
    assert audited(disabled).after["status"] == "suspended"
    assert Account.objects.get(identity=alice).status == "active"


def test_disabling_twice_is_already_done(application, admin, alice):
    run("accounts.disable", {"identity": alice.pk}, by=admin)

    again = run("accounts.disable", {"identity": alice.pk}, by=admin)

    assert again.status == JobStatus.SUCCEEDED
    assert again.result["already_done"] is True


def test_delete_removes_the_account_from_the_organization(
    application, admin, alice, simulator
):
    job = run("accounts.delete", {"identity": alice.pk}, by=admin)

    user = simulator.state.user_by_email(ALICE)
    assert job.status == JobStatus.SUCCEEDED, job.last_error
    assert user is None or user.closed or not user.in_directory
    assert Account.objects.get(identity=alice).status == "closed"
    assert audited(job).before == {"status": "active"}


def test_only_admins_run_operations(application, alice, requester):
    with pytest.raises(NotAllowed):
        run("accounts.disable", {"identity": alice.pk}, by=requester)
