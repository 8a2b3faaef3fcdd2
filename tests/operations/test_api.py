"""The operations API: every operation through POST /api/v1/ops/..., reads, errors."""

from __future__ import annotations

import base64

import pytest
from rest_framework.test import APIClient

from approvals.models import AuditEvent, JobStatus, OperationJob
from approvals.operations import all_operations
from tests.operations.conftest import audited, run, settle


@pytest.fixture
def api(admin):
    client = APIClient()
    client.force_authenticate(admin)
    return client


@pytest.fixture
def content(catalog, admin, alice):
    """A page with a comment and an attachment, a blog post and an issue to act on."""
    page = run(
        "pages.create",
        {"space": "ENG", "title": "Runbook", "body": "<p>x</p>"},
        by=admin,
    ).result["page_id"]
    attachment = {
        "page_id": page,
        "filename": "a.txt",
        "content_base64": base64.b64encode(b"a").decode(),
    }
    return {
        "page": page,
        "post": run(
            "blogposts.create",
            {"space": "ENG", "title": "News", "body": "<p>x</p>"},
            by=admin,
        ).result["blog_post_id"],
        "comment": run(
            "comments.create", {"page_id": page, "body": "<p>c</p>"}, by=admin
        ).result["comment_id"],
        "attachment": run("attachments.upload", attachment, by=admin).result[
            "attachment_id"
        ],
        "issue": run(
            "issues.create", {"project": "WEB", "summary": "x"}, by=admin
        ).result["key"],
        "alice": alice.pk,
    }


def body_for(name, c):
    """A valid request body for each operation."""
    return {
        "accounts.create": {"identity": "alice.requester@acme.example"},
        "accounts.update": {"identity": c["alice"], "attributes": ["department"]},
        "accounts.disable": {"identity": c["alice"]},
        "accounts.enable": {"identity": c["alice"]},
        "accounts.delete": {"identity": "alice"},
        "groups.create": {"name": "release-managers", "description": "Ship it"},
        "groups.rename": {"group": "design", "new_name": "designers"},
        "groups.delete": {"group": "contractors"},
        "projects.create": {
            "key": "NEWP",
            "name": "New",
            "project_type": "business",
            "lead": c["alice"],
        },
        "projects.update": {"project": "WEB", "description": "The web site"},
        "projects.delete": {"project": "WEB"},
        "issues.create": {
            "project": "WEB",
            "summary": "From the API",
            "issue_type": "Bug",
        },
        "issues.update": {"issue": c["issue"], "description": "More"},
        "issues.delete": {"issue": c["issue"], "delete_subtasks": True},
        "issues.transition": {"issue": c["issue"], "transition": "In Progress"},
        "pages.create": {
            "space": "ENG",
            "title": "API page",
            "body": "<p>y</p>",
            "parent_id": c["page"],
        },
        "pages.update": {"page_id": c["page"], "title": "Runbook", "body": "<p>z</p>"},
        "pages.delete": {"page_id": c["page"]},
        "pages.archive": {"page_ids": [c["page"]]},
        "blogposts.create": {"space": "ENG", "title": "More news", "body": "<p>y</p>"},
        "blogposts.delete": {"blog_post_id": c["post"]},
        "comments.create": {"blog_post_id": c["post"], "body": "<p>c</p>"},
        "comments.delete": {"comment_id": c["comment"]},
        "attachments.upload": {
            "page_id": c["page"],
            "filename": "b.txt",
            "content_base64": base64.b64encode(b"b").decode(),
        },
        "attachments.delete": {"attachment_id": c["attachment"]},
        "restrictions.add": {
            "content_id": c["page"],
            "operation": "read",
            "group": "design",
        },
        "restrictions.delete": {
            "content_id": c["page"],
            "operation": "read",
            "identity": c["alice"],
        },
        "spaces.export": {"space": "ENG", "format": "xml"},
    }[name]


@pytest.mark.parametrize("name", [o.name for o in all_operations()])
def test_every_operation_works_through_the_api(name, api, content):
    response = api.post(
        f"/api/v1/ops/{name.replace('.', '/')}/", body_for(name, content), format="json"
    )

    assert response.status_code == 202, response.json()
    job = settle(OperationJob.objects.get(pk=response.json()["id"]))
    assert job.status == JobStatus.SUCCEEDED, job.last_error
    assert response.json()["operation"] == name
    assert response["Location"].endswith(f"/api/v1/ops/jobs/{job.pk}/")
    assert audited(job).actor.username == "admin"


def test_bad_input_is_a_400_with_field_errors(api, catalog):
    response = api.post(
        "/api/v1/ops/projects/create/",
        {"key": "x", "name": "", "project_type": "kanban"},
        format="json",
    )

    errors = response.json()
    assert response.status_code == 400
    assert set(errors) >= {"name", "project_type", "lead"}


def test_operation_rules_are_a_400_with_field_errors(api, catalog):
    response = api.post(
        "/api/v1/ops/groups/delete/", {"group": "engineering"}, format="json"
    )

    assert response.status_code == 400
    assert "identity provider" in response.json()["group"][0]


def test_wrong_json_types_are_a_400(api, catalog):
    response = api.post(
        "/api/v1/ops/issues/delete/",
        {"issue": 12.5, "delete_subtasks": "yes"},
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()) == {"issue", "delete_subtasks"}


def test_only_administrators_may_call_it(catalog, requester):
    client = APIClient()
    anonymous = client.post("/api/v1/ops/groups/create/", {"name": "x"}, format="json")
    client.force_authenticate(requester)

    refused = client.post("/api/v1/ops/groups/create/", {"name": "x"}, format="json")

    assert anonymous.status_code == 401
    assert refused.status_code == 403
    assert not OperationJob.objects.exists()


def test_jobs_are_listed_with_their_results(api, catalog, admin):
    job = run("groups.create", {"name": "release-managers"}, by=admin)

    listed = api.get("/api/v1/ops/jobs/", {"operation": "groups.create"}).json()
    detail = api.get(f"/api/v1/ops/jobs/{job.pk}/").json()

    assert [j["id"] for j in listed["results"]] == [job.pk]
    assert detail["result"]["group_id"] == job.result["group_id"]
    assert detail["arguments"] == {"name": "release-managers"}


def test_the_index_lists_every_operation_with_its_endpoint(api, catalog):
    index = api.get("/api/v1/ops/").json()

    assert {i["endpoint"] for i in index} == {
        f"/api/v1/ops/{o.path}/" for o in all_operations()
    }


def test_reads_show_what_atlassian_holds(api, content):
    members = api.get("/api/v1/ops/groups/design/members/").json()
    roles = api.get("/api/v1/ops/projects/WEB/roles/").json()
    transitions = api.get(f"/api/v1/ops/issues/{content['issue']}/transitions/").json()
    page = api.get(f"/api/v1/ops/pages/{content['page']}/").json()

    assert members and all("account_id" in m for m in members)
    assert {r["name"] for r in roles} >= {"Administrators", "Member"}
    assert {t["to_status"] for t in transitions} >= {"Done"}
    assert page["page"]["title"] == "Runbook"
    assert [a["title"] for a in page["attachments"]] == ["a.txt"]


def test_a_spaces_pages_are_listed(api, content):
    pages = api.get("/api/v1/ops/spaces/ENG/pages/").json()

    assert content["page"] in {p["content_id"] for p in pages}


def test_reads_of_unknown_things_are_404_or_400(api, catalog):
    assert api.get("/api/v1/ops/pages/999999/").status_code == 404
    assert api.get("/api/v1/ops/issues/WEB-99999/transitions/").status_code == 404
    assert api.get("/api/v1/ops/groups/no-such-group/members/").status_code == 400
    assert (
        api.get("/api/v1/ops/projects/WEB/roles/", {"application": "x"}).status_code
        == 400
    )


def test_reads_leave_no_trace(api, content):
    before = AuditEvent.objects.count()

    api.get("/api/v1/ops/groups/design/members/")

    assert AuditEvent.objects.count() == before
