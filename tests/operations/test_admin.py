"""The admin's "Run an operation" pages, the operations list and the birthright rules."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from approvals.models import BirthrightRule, JobStatus, OperationJob
from approvals.operations import all_operations
from tests.operations.conftest import audited, group, run, settle

RUN = "admin:approvals_operationjob_run_one"


@pytest.fixture
def browser(client, admin):
    client.force_login(admin)
    return client


def test_the_run_page_lists_every_operation_by_area(browser, catalog):
    page = browser.get(reverse("admin:approvals_operationjob_run"))

    text = page.content.decode()
    assert page.status_code == 200
    for operation in all_operations():
        assert escape(operation.label) in text
        assert f"/api/v1/ops/{operation.path}/" in text
    for area in (
        "Accounts",
        "Groups",
        "Jira projects",
        "Jira issues",
        "Confluence content",
    ):
        assert area in text


@pytest.mark.parametrize("name", [o.name for o in all_operations()])
def test_every_operation_has_a_form(browser, catalog, name):
    page = browser.get(reverse(RUN, args=[name]))

    assert page.status_code == 200
    assert b"<form" in page.content


def test_running_an_operation_from_the_admin(browser, catalog, simulator):
    response = browser.post(
        reverse(RUN, args=["groups.create"]),
        {"name": "release-managers", "description": "Ship"},
    )

    job = OperationJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "admin:approvals_operationjob_change", args=[job.pk]
    )
    done = settle(job)
    assert done.status == JobStatus.SUCCEEDED
    assert simulator.state.group_by_name("release-managers") is not None
    assert audited(done).actor.username == "admin"


def test_the_job_page_shows_the_result(browser, catalog, admin):
    job = run("spaces.export", {"space": "ENG"}, by=admin)

    page = browser.get(reverse("admin:approvals_operationjob_change", args=[job.pk]))

    assert page.status_code == 200
    assert job.result["download_link"] in page.content.decode()


def test_bad_input_shows_the_form_again_with_the_errors(browser, catalog):
    page = browser.post(reverse(RUN, args=["groups.delete"]), {"group": "engineering"})

    assert page.status_code == 200
    assert "managed by your identity provider" in page.content.decode()
    assert not OperationJob.objects.exists()


def test_a_file_is_attached_from_the_admin(browser, catalog, admin, simulator):
    page_id = run(
        "pages.create", {"space": "ENG", "title": "Files", "body": "<p>x</p>"}, by=admin
    ).result["page_id"]
    upload = SimpleUploadedFile("plan.txt", b"the plan", content_type="text/plain")

    browser.post(
        reverse(RUN, args=["attachments.upload"]), {"page_id": page_id, "file": upload}
    )

    job = settle(OperationJob.objects.named("attachments.upload").get())
    assert job.status == JobStatus.SUCCEEDED, job.last_error
    assert (
        simulator.state.content[
            int(job.result["attachment_id"].removeprefix("att"))
        ].data
        == b"the plan"
    )


def test_the_operations_list_filters_by_operation(browser, catalog, admin):
    run("groups.create", {"name": "release-managers"}, by=admin)
    run("issues.create", {"project": "WEB", "summary": "Listed"}, by=admin)

    page = browser.get(
        reverse("admin:approvals_operationjob_changelist"),
        {"operation": "issues.create"},
    )

    text = page.content.decode()
    assert "Create an issue in WEB: Listed" in text
    assert "Create the group release-managers" not in text
    assert "Run an operation" in text


@pytest.mark.parametrize(
    ("what", "value", "expected"),
    [
        ("members", "design", "accountId"),
        ("roles", "WEB", "Administrators"),
        ("page", None, "Runbook"),
    ],
)
def test_reads_from_the_admin(browser, catalog, admin, what, value, expected):
    if value is None:
        value = run(
            "pages.create",
            {"space": "ENG", "title": "Runbook", "body": "<p>x</p>"},
            by=admin,
        ).result["page_id"]

    page = browser.get(
        reverse("admin:approvals_operationjob_read", args=[what]), {"q": value}
    )

    assert page.status_code == 200
    assert expected in page.content.decode()


def test_an_issues_transitions_link_to_the_transition_form(browser, catalog, admin):
    key = run("issues.create", {"project": "WEB", "summary": "x"}, by=admin).result[
        "key"
    ]

    page = browser.get(
        reverse("admin:approvals_operationjob_read", args=["transitions"]), {"q": key}
    )

    text = page.content.decode()
    assert "In Progress" in text
    assert f"{reverse(RUN, args=['issues.transition'])}?issue={key}" in text


def test_a_spaces_pages_from_the_admin(browser, catalog, admin):
    run(
        "pages.create",
        {"space": "ENG", "title": "Listed page", "body": "<p>x</p>"},
        by=admin,
    )

    page = browser.get(
        reverse("admin:approvals_operationjob_read", args=["pages"]), {"q": "ENG"}
    )

    assert "Listed page" in page.content.decode()


def test_a_read_of_something_unknown_says_so(browser, catalog):
    page = browser.get(
        reverse("admin:approvals_operationjob_read", args=["members"]),
        {"q": "no-such-group"},
    )

    assert page.status_code == 200
    assert "No group" in page.content.decode()


def test_birthright_rules_are_edited_in_the_admin(browser, catalog):
    response = browser.post(
        reverse("admin:approvals_birthrightrule_add"),
        {
            "name": "Designers",
            "application": catalog.pk,
            "attribute": "department",
            "value": "Design",
            "entitlements": [group("design").pk],
            "is_enabled": "on",
        },
    )

    rule = BirthrightRule.objects.get()
    assert response.status_code == 302
    assert [e.name for e in rule.entitlements.all()] == ["design"]


def test_people_who_are_not_staff_cannot_run_operations(client, requester, catalog):
    client.force_login(requester)

    page = client.get(reverse(RUN, args=["groups.create"]))

    assert page.status_code == 302
    assert "/login/" in page["Location"]


def test_applying_a_disabled_birthright_rule_says_it_was_left(browser, catalog):
    rule = BirthrightRule.objects.create(
        name="Designers",
        application=catalog,
        attribute="department",
        value="Design",
        is_enabled=False,
    )

    page = browser.post(
        reverse("admin:approvals_birthrightrule_changelist"),
        {"action": "apply_now", "_selected_action": [rule.pk]},
        follow=True,
    )

    assert "1 selected rule(s) are disabled; left as they are." in page.content.decode()
