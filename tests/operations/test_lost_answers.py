"""Creates whose answer was lost: Atlassian applied them, the worker never heard.

The simulator's LostAnswer knob applies the next matching call and then drops the
connection. The connector does not repeat a POST, the job retries, and the retry must
find what the first attempt made instead of making it again (or failing on its name).
"""

from __future__ import annotations

import base64

import pytest

from approvals.accounts import CREATE_SENT
from approvals.models import AuditEvent, JobStatus, ProvisioningJob
from approvals.operations import request_operation
from connectors.atlassian.mapping import user_payload
from connectors.base import AccountDraft, EntitlementKind
from connectors.models import Account, Entitlement, Resource
from connectors.registry import connector_for, use_transport
from connectors.simulator import LostAnswer
from tests.operations.conftest import audited, failing, run, settle


def lose_answer(simulator, method, path):
    """Atlassian applies the next `method` call on `path` (a regex), its answer is lost."""
    simulator.knobs.lost_answers.append(LostAnswer(method, path))


def contents(simulator, kind, title):
    return [
        c
        for c in simulator.state.content.values()
        if c.type == kind and c.title == title and c.status == "current"
    ]


def operation_events(job):
    return AuditEvent.objects.filter(action=f"operation.{job.payload['operation']}")


def test_a_project_whose_answer_was_lost_is_adopted_not_refused(
    catalog, admin, alice, simulator
):
    lose_answer(simulator, "POST", r"/rest/api/3/project")
    data = {
        "key": "NEWP",
        "name": "New Project",
        "project_type": "software",
        "lead": alice.pk,
    }

    job = run("projects.create", data, by=admin)

    project = simulator.state.project_by_key["NEWP"]
    assert (job.status, job.attempts) == (JobStatus.SUCCEEDED, 2), job.last_error
    assert job.result["how"] == "adopted"
    assert job.result["project_id"] == str(project.id)
    assert Resource.objects.get(key="NEWP").external_id == str(project.id)
    assert operation_events(job).count() == 1


def test_a_page_whose_answer_was_lost_is_made_once(catalog, admin, simulator):
    lose_answer(simulator, "POST", r"/wiki/api/v2/pages")
    data = {"space": "ENG", "title": "Runbook", "body": "<p>v1</p>"}

    job = run("pages.create", data, by=admin)

    made = contents(simulator, "page", "Runbook")
    assert (job.status, job.attempts) == (JobStatus.SUCCEEDED, 2), job.last_error
    assert [str(c.id) for c in made] == [job.result["page_id"]]
    assert job.result["how"] == "adopted"
    assert "its answer was lost" in audited(job).message


def test_a_blog_post_whose_answer_was_lost_is_made_once(catalog, admin, simulator):
    lose_answer(simulator, "POST", r"/wiki/api/v2/blogposts")
    data = {"space": "ENG", "title": "News", "body": "<p>hi</p>"}

    job = run("blogposts.create", data, by=admin)

    made = contents(simulator, "blogpost", "News")
    assert (job.status, job.attempts) == (JobStatus.SUCCEEDED, 2), job.last_error
    assert [str(c.id) for c in made] == [job.result["blog_post_id"]]


def test_an_attachment_whose_answer_was_lost_is_attached_once(
    catalog, admin, simulator
):
    page = run(
        "pages.create", {"space": "ENG", "title": "Files", "body": "<p>x</p>"}, by=admin
    )
    lose_answer(simulator, "POST", r"/wiki/rest/api/content/\d+/child/attachment")
    data = {
        "page_id": page.result["page_id"],
        "filename": "notes.txt",
        "content_base64": base64.b64encode(b"hello").decode(),
    }

    job = run("attachments.upload", data, by=admin)

    files = contents(simulator, "attachment", "notes.txt")
    assert (job.status, job.attempts) == (JobStatus.SUCCEEDED, 2), job.last_error
    assert [f.data for f in files] == [b"hello"]
    assert job.result["how"] == "adopted"
    assert "content_base64" not in job.payload["arguments"]


def test_a_group_whose_answer_was_lost_is_adopted_not_refused(
    catalog, admin, simulator
):
    lose_answer(simulator, "POST", r".*/groups?")

    job = run("groups.create", {"name": "release-managers"}, by=admin)

    made = [g for g in simulator.state.groups.values() if g.name == "release-managers"]
    assert (job.status, job.attempts) == (JobStatus.SUCCEEDED, 2), job.last_error
    assert [g.group_id for g in made] == [job.result["group_id"]]
    assert Entitlement.objects.get(
        kind=EntitlementKind.GROUP, name="release-managers"
    ).external_id == (made[0].group_id)


def test_a_rename_whose_new_group_answer_was_lost_still_completes(
    catalog, admin, simulator
):
    lose_answer(simulator, "POST", r".*/groups?")
    design = Entitlement.objects.get(kind=EntitlementKind.GROUP, name="design")

    job = run("groups.rename", {"group": design.pk, "new_name": "designers"}, by=admin)

    assert (job.status, job.attempts) == (JobStatus.SUCCEEDED, 2), job.last_error
    assert simulator.state.group_by_name("design") is None
    assert simulator.state.group_by_name("designers") is not None


def test_an_account_whose_scim_answer_was_lost_is_linked_with_its_groups(
    application, admin, make_person, simulator
):
    newbie = make_person("newbie", first_name="New", last_name="Person")
    lose_answer(simulator, "POST", r"/scim/directory/[^/]+/Users")

    job = run("accounts.create", {"identity": newbie.pk}, by=admin)

    # The connector repeats a SCIM create itself: Atlassian answers 409 for the user
    # it made, and the connector links that user.
    users = [u for u in simulator.state.users.values() if u.email == newbie.email]
    assert job.status == JobStatus.SUCCEEDED, job.last_error
    assert len(users) == 1
    assert simulator.state.is_group_member("jira-software-users", users[0].account_id)
    assert Account.objects.get(identity=newbie).account_id == users[0].account_id


def test_an_account_create_an_earlier_attempt_left_unanswered_is_finished(
    application, admin, make_person, simulator
):
    newbie = make_person("newbie", first_name="New", last_name="Person")
    job = request_operation("accounts.create", {"identity": newbie.pk}, by=admin)
    # What an attempt leaves when its worker died after the SCIM create reached
    # Atlassian: the user exists (without its default groups), the job noted the send.
    draft = AccountDraft(email=newbie.email, given_name="New", family_name="Person")
    connector_for(application).families.scim.create_user(user_payload(draft))
    ProvisioningJob.objects.filter(pk=job.pk).update(
        attempts=1, result={CREATE_SENT: True}
    )

    done = settle(job)

    users = [u for u in simulator.state.users.values() if u.email == newbie.email]
    assert done.status == JobStatus.SUCCEEDED, done.last_error
    assert len(users) == 1
    assert simulator.state.is_group_member("jira-software-users", users[0].account_id)
    assert Account.objects.get(identity=newbie).account_id == users[0].account_id


def test_an_issue_read_back_failing_after_the_create_reuses_the_saved_key(
    catalog, admin, simulator
):
    job = request_operation(
        "issues.create", {"project": "WEB", "summary": "Only once"}, by=admin
    )

    with use_transport(
        failing(simulator, method="GET", path_part="/rest/api/3/issue/", status=503)
    ):
        done = settle(job)

    made = [
        i
        for i in simulator.state.issue_by_key.values()
        if i.fields["summary"] == "Only once"
    ]
    assert (done.status, done.attempts) == (JobStatus.SUCCEEDED, 2), done.last_error
    assert [i.key for i in made] == [done.result["key"]]
    assert (done.result["how"], done.result["status"]) == ("resumed", "To Do")


@pytest.mark.parametrize(
    ("name", "path", "data"),
    [
        ("issues.create", r"/rest/api/3/issue", {"project": "WEB", "summary": "Twice"}),
        ("comments.create", r"/wiki/api/v2/footer-comments", {"body": "<p>Twice</p>"}),
    ],
)
def test_a_create_without_a_natural_key_says_it_may_be_duplicated(
    catalog, admin, simulator, name, path, data
):
    if name == "comments.create":
        page = run(
            "pages.create", {"space": "ENG", "title": "P", "body": "<p>x</p>"}, by=admin
        )
        data = data | {"page_id": page.result["page_id"]}
    lose_answer(simulator, "POST", path)

    job = run(name, data, by=admin)

    # Documented limitation: nothing to look the first one up by, so there are two.
    assert (job.status, job.attempts) == (JobStatus.SUCCEEDED, 2), job.last_error
    assert (job.result["how"], job.result["maybe_duplicate"]) == ("repeated", True)
    assert "may hold a duplicate" in audited(job).message
