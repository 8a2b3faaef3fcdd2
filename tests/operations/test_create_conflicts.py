"""A create whose name is already taken in Atlassian, on its first attempt: a real conflict.

The catalog does not know the object yet (reconciliation has not run since someone made
it in Atlassian), so the form lets the job through; Atlassian's refusal must fail the
job at once with a message a person can act on, and nothing is adopted.
"""

from __future__ import annotations

import pytest

from approvals.models import JobStatus
from approvals.operations import connection
from connectors.base import EntitlementKind, ResourceKind
from connectors.models import Account, Entitlement, Resource
from tests.operations.conftest import run


def failed_at_once(job):
    return (job.status, job.attempts) == (JobStatus.FAILED, 1)


def test_a_project_key_taken_in_atlassian_fails_with_jiras_message(
    catalog, admin, alice, simulator
):
    Resource.objects.filter(kind=ResourceKind.PROJECT, key="WEB").delete()
    data = {"key": "WEB", "name": "Web 2", "project_type": "software", "lead": alice.pk}

    job = run("projects.create", data, by=admin)

    assert failed_at_once(job), job.last_error
    assert "uses this project key" in job.last_error
    assert simulator.state.project_by_key["WEB"].name != "Web 2"


@pytest.mark.parametrize(
    ("name", "kind"), [("pages.create", "page"), ("blogposts.create", "blogpost")]
)
def test_a_title_taken_in_the_space_fails_with_confluences_message(
    catalog, admin, application, name, kind
):
    with connection(application) as connector:
        if kind == "page":
            connector.create_page("ENG", "Runbook", "<p>theirs</p>")
        else:
            connector.create_blog_post("ENG", "Runbook", "<p>theirs</p>")

    job = run(name, {"space": "ENG", "title": "Runbook", "body": "<p>x</p>"}, by=admin)

    assert failed_at_once(job), job.last_error
    assert "already exists with the title Runbook" in job.last_error


def test_a_group_name_taken_in_atlassian_fails_the_job(catalog, admin, simulator):
    Entitlement.objects.filter(kind=EntitlementKind.GROUP, name="design").delete()
    taken = simulator.state.group_by_name("design").group_id

    job = run("groups.create", {"name": "design"}, by=admin)

    assert failed_at_once(job), job.last_error
    assert f"A group named design already exists in Atlassian (group id {taken})" in (
        job.last_error
    )
    assert not Entitlement.objects.filter(name="design").exists()


def test_an_account_linked_to_another_identity_is_not_taken_over(
    application, admin, alice, make_person
):
    address = alice.email
    alice.email = "alice.carter@acme.example"  # she changed hers; the address is reused
    alice.save()
    newcomer = make_person("alice2", email=address)

    job = run("accounts.create", {"identity": newcomer.pk}, by=admin)

    assert failed_at_once(job), job.last_error
    assert f"is linked to {alice.label} in the portal" in job.last_error
    assert Account.objects.get(email=address).identity == alice
