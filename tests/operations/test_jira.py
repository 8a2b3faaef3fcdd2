"""Jira project and issue operations against the simulated organization."""

from __future__ import annotations

import pytest

from approvals.models import JobStatus
from approvals.operations_projects import project_roles
from approvals.transitions import InvalidRequest
from connectors.models import Resource
from connectors.registry import connector_for
from tests.operations.conftest import audited, run


@pytest.fixture
def new_project(catalog, admin, alice):
    """NEWP, created through the operation and led by Alice."""
    return run(
        "projects.create",
        {
            "key": "NEWP",
            "name": "New Project",
            "project_type": "software",
            "lead": alice.pk,
            "description": "d",
        },
        by=admin,
    )


def test_create_project(new_project, simulator, alice):
    project = simulator.state.project_by_key["NEWP"]

    assert new_project.status == JobStatus.SUCCEEDED, new_project.last_error
    assert project.name == "New Project"
    assert simulator.state.users[project.lead].email == alice.email
    assert Resource.objects.get(key="NEWP").owner == alice
    assert audited(new_project).after["key"] == "NEWP"


def test_create_project_checks_the_key(catalog, admin, alice):
    with pytest.raises(InvalidRequest) as refused:
        run(
            "projects.create",
            {"key": "web-1", "name": "x", "project_type": "software", "lead": alice.pk},
            by=admin,
        )

    assert "capital letters" in refused.value.field_errors["key"][0]


def test_create_project_refuses_a_key_in_use(catalog, admin, alice):
    with pytest.raises(InvalidRequest) as refused:
        run(
            "projects.create",
            {"key": "WEB", "name": "x", "project_type": "software", "lead": alice.pk},
            by=admin,
        )

    assert "already exists" in refused.value.field_errors["key"][0]


def test_update_project(new_project, admin, simulator):
    job = run(
        "projects.update", {"project": "NEWP", "name": "Renamed Project"}, by=admin
    )

    assert job.status == JobStatus.SUCCEEDED, job.last_error
    assert simulator.state.project_by_key["NEWP"].name == "Renamed Project"
    assert audited(job).before["name"] == "New Project"
    assert audited(job).after["name"] == "Renamed Project"


def test_update_project_needs_a_change(catalog, admin):
    with pytest.raises(InvalidRequest) as refused:
        run("projects.update", {"project": "WEB"}, by=admin)

    assert "at least one" in refused.value.message


def test_delete_project_moves_it_to_the_recycle_bin(new_project, admin, simulator):
    job = run("projects.delete", {"project": "NEWP"}, by=admin)
    again = run("projects.delete", {"project": "WEB"}, by=admin)

    assert job.status == JobStatus.SUCCEEDED
    assert simulator.state.project_by_key["NEWP"].deleted is True
    assert Resource.objects.get(key="NEWP").removed_at is not None
    assert again.status == JobStatus.SUCCEEDED


def test_project_roles_list_their_actors(catalog, application, simulator):
    web = Resource.objects.get(key="WEB")

    roles = project_roles(connector_for(application), web)

    assert {r.name for r in roles} >= {"Administrators", "Member"}
    assert any(r.users or r.groups for r in roles)


def test_issue_create_update_transition_delete(catalog, admin, simulator):
    created = run(
        "issues.create",
        {"project": "WEB", "summary": "Grant access", "description": "One\n\nTwo"},
        by=admin,
    )
    key = created.result["key"]
    updated = run(
        "issues.update", {"issue": key, "summary": "Grant access to ENG"}, by=admin
    )
    moved = run("issues.transition", {"issue": key, "transition": "Done"}, by=admin)
    issue = simulator.state.issue_by_key[key]
    summary, status = issue.fields["summary"], issue.status

    deleted = run("issues.delete", {"issue": key}, by=admin)

    assert [j.status for j in (created, updated, moved, deleted)] == [
        JobStatus.SUCCEEDED
    ] * 4
    assert (summary, status) == ("Grant access to ENG", "Done")
    assert key not in simulator.state.issue_by_key
    assert audited(moved).before["status"] == "To Do"
    assert audited(moved).after["status"] == "Done"
    assert audited(updated).after["summary"] == "Grant access to ENG"


def test_a_transition_not_available_fails_with_the_options(catalog, admin):
    created = run("issues.create", {"project": "WEB", "summary": "x"}, by=admin)

    job = run(
        "issues.transition",
        {"issue": created.result["key"], "transition": "Shipped"},
        by=admin,
    )

    assert job.status == JobStatus.FAILED
    assert "available:" in job.last_error


def test_moving_to_the_status_it_has_succeeds(catalog, admin, simulator):
    created = run("issues.create", {"project": "WEB", "summary": "x"}, by=admin)

    job = run(
        "issues.transition",
        {"issue": created.result["key"], "transition": "To Do"},
        by=admin,
    )

    assert job.status == JobStatus.SUCCEEDED
    assert simulator.state.issue_by_key[created.result["key"]].status == "To Do"


def test_deleting_a_deleted_issue_succeeds(catalog, admin):
    job = run("issues.delete", {"issue": "WEB-9999"}, by=admin)

    assert job.status == JobStatus.SUCCEEDED
    assert job.result["already_done"] is True


def test_issue_keys_are_checked(catalog, admin):
    with pytest.raises(InvalidRequest) as refused:
        run("issues.update", {"issue": "not a key", "summary": "x"}, by=admin)

    assert "key" in refused.value.field_errors["issue"][0]
