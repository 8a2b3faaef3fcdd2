"""Confluence content operations against the simulated organization."""

from __future__ import annotations

import base64
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from approvals.models import JobStatus
from approvals.operations_attachments import page_detail
from approvals.transitions import InvalidRequest
from connectors.registry import connector_for
from tests.operations.conftest import ALICE, audited, group, run, settle


def content(simulator, content_id):
    return simulator.state.content[int(str(content_id).removeprefix("att"))]


@pytest.fixture
def page(catalog, admin):
    """A page in the ENG space, added through the operation."""
    job = run(
        "pages.create",
        {"space": "ENG", "title": "Runbook", "body": "<p>v1</p>"},
        by=admin,
    )
    assert job.status == JobStatus.SUCCEEDED, job.last_error
    return job


def test_add_page(page, simulator):
    added = content(simulator, page.result["page_id"])

    assert (added.title, added.body, added.status) == (
        "Runbook",
        "<p>v1</p>",
        "current",
    )
    assert simulator.state.spaces[added.space_id].key == "ENG"
    assert audited(page).after["title"] == "Runbook"


def test_edit_page_makes_the_next_version(page, admin, simulator):
    job = run(
        "pages.update",
        {"page_id": page.result["page_id"], "title": "Runbook", "body": "<p>v2</p>"},
        by=admin,
    )

    edited = content(simulator, page.result["page_id"])
    assert (edited.body, edited.version) == ("<p>v2</p>", 2)
    assert audited(job).before["version"] == 1


def test_view_page_with_its_attachments_and_restrictions(page, application):
    detail = page_detail(connector_for(application), page.result["page_id"])

    assert detail.page.title == "Runbook"
    assert detail.attachments == []


def test_delete_page_twice(page, admin, simulator):
    first = run("pages.delete", {"page_id": page.result["page_id"]}, by=admin)
    second = run("pages.delete", {"page_id": page.result["page_id"]}, by=admin)

    assert content(simulator, page.result["page_id"]).status == "trashed"
    assert (first.result["already_done"], second.result["already_done"]) == (
        False,
        True,
    )
    assert audited(first).after["deleted"] is True


def test_archive_pages_polls_the_long_task_to_the_end(page, admin, simulator):
    job = run("pages.archive", {"page_ids": page.result["page_id"]}, by=admin)

    assert job.status == JobStatus.SUCCEEDED, job.last_error
    assert content(simulator, page.result["page_id"]).status == "archived"
    assert audited(job).after["status"] == "archived"


def test_archive_pages_checks_the_ids(catalog, admin):
    with pytest.raises(InvalidRequest) as refused:
        run("pages.archive", {"page_ids": ["12", "abc"]}, by=admin)

    assert "number" in refused.value.field_errors["page_ids"][0]


def test_blog_post_add_and_delete(catalog, admin, simulator):
    added = run(
        "blogposts.create",
        {"space": "ENG", "title": "News", "body": "<p>hi</p>"},
        by=admin,
    )
    post = content(simulator, added.result["blog_post_id"])
    kind, status = post.type, post.status

    deleted = run(
        "blogposts.delete", {"blog_post_id": added.result["blog_post_id"]}, by=admin
    )

    assert (kind, status) == ("blogpost", "current")
    assert deleted.status == JobStatus.SUCCEEDED
    assert content(simulator, added.result["blog_post_id"]).status == "trashed"
    assert audited(added).after["title"] == "News"


def test_comment_add_and_delete(page, admin, simulator):
    added = run(
        "comments.create",
        {"page_id": page.result["page_id"], "body": "<p>nice</p>"},
        by=admin,
    )
    comment_id = added.result["comment_id"]
    parent = content(simulator, comment_id).parent_id

    deleted = run("comments.delete", {"comment_id": comment_id}, by=admin)

    assert parent == int(page.result["page_id"])
    assert deleted.status == JobStatus.SUCCEEDED
    assert (
        int(comment_id) not in simulator.state.content
        or content(simulator, comment_id).status != "current"
    )
    assert audited(deleted).target_id == comment_id


def test_a_comment_needs_exactly_one_target(catalog, admin):
    with pytest.raises(InvalidRequest) as refused:
        run(
            "comments.create",
            {"page_id": "1", "blog_post_id": "2", "body": "x"},
            by=admin,
        )

    assert "not both" in refused.value.message


def test_attachment_upload_through_the_api_shape_and_delete(page, admin, simulator):
    data = {
        "page_id": page.result["page_id"],
        "filename": "notes.txt",
        "media_type": "text/plain",
        "content_base64": base64.b64encode(b"hello").decode(),
    }
    uploaded = run("attachments.upload", data, by=admin)
    attachment = content(simulator, uploaded.result["attachment_id"])
    stored = (attachment.title, attachment.data)

    deleted = run(
        "attachments.delete",
        {"attachment_id": uploaded.result["attachment_id"]},
        by=admin,
    )

    assert stored == ("notes.txt", b"hello")
    assert (
        "content_base64" not in uploaded.payload["arguments"]
    )  # the bytes do not stay on the job
    assert deleted.status == JobStatus.SUCCEEDED
    assert audited(uploaded).after["size"] == 5


def test_attachment_upload_from_the_admin_form(page, admin, simulator):
    upload = SimpleUploadedFile("plan.csv", b"a,b\n1,2\n", content_type="text/csv")

    job = run(
        "attachments.upload",
        {"page_id": page.result["page_id"]},
        by=admin,
        files={"file": upload},
    )

    assert job.status == JobStatus.SUCCEEDED, job.last_error
    assert content(simulator, job.result["attachment_id"]).data == b"a,b\n1,2\n"


def test_uploading_a_file_name_the_page_has_fails_and_leaves_the_file(
    page, admin, simulator
):
    data = {
        "page_id": page.result["page_id"],
        "filename": "notes.txt",
        "content_base64": base64.b64encode(b"x").decode(),
    }
    first = run("attachments.upload", data, by=admin)

    second = run(
        "attachments.upload",
        data | {"content_base64": base64.b64encode(b"other").decode()},
        by=admin,
    )

    assert (second.status, second.attempts) == (JobStatus.FAILED, 1)
    assert "same file name as an existing attachment" in second.last_error
    assert content(simulator, first.result["attachment_id"]).data == b"x"


def test_bad_base64_is_a_field_error(page, admin):
    with pytest.raises(InvalidRequest) as refused:
        run(
            "attachments.upload",
            {
                "page_id": page.result["page_id"],
                "filename": "x",
                "content_base64": "***",
            },
            by=admin,
        )

    assert refused.value.field_errors == {
        "content_base64": ["This is not valid base64."]
    }


def test_restriction_add_twice_and_delete_for_a_person(page, admin, alice, simulator):
    page_id = page.result["page_id"]
    account_id = simulator.state.user_by_email(ALICE).account_id

    added = run(
        "restrictions.add",
        {"content_id": page_id, "operation": "read", "identity": alice.pk},
        by=admin,
    )
    again = run(
        "restrictions.add",
        {"content_id": page_id, "operation": "read", "identity": alice.pk},
        by=admin,
    )
    held = account_id in content(simulator, page_id).restrictions["read"][0]
    removed = run(
        "restrictions.delete",
        {"content_id": page_id, "operation": "read", "identity": alice.pk},
        by=admin,
    )

    assert held
    assert again.result["already_done"] is True
    assert (
        account_id
        not in content(simulator, page_id).restrictions.get("read", (set(), set()))[0]
    )
    assert audited(added).after["read"]["users"] == [account_id]
    assert audited(removed).before["read"]["users"] == [account_id]


def test_restriction_for_a_group(page, admin, simulator):
    page_id = page.result["page_id"]

    job = run(
        "restrictions.add",
        {"content_id": page_id, "operation": "update", "group": "design"},
        by=admin,
    )

    assert job.status == JobStatus.SUCCEEDED, job.last_error
    assert (
        group("design").external_id
        in content(simulator, page_id).restrictions["update"][1]
    )


def test_a_restriction_needs_a_person_or_a_group(page, admin):
    with pytest.raises(InvalidRequest) as refused:
        run(
            "restrictions.add",
            {"content_id": page.result["page_id"], "operation": "read"},
            by=admin,
        )

    assert "person or a group" in refused.value.message


def test_space_export_gives_a_download_link(catalog, admin, simulator, application):
    job = run("spaces.export", {"space": "ENG", "format": "html"}, by=admin)

    link = job.result["download_link"]
    task_id = job.result["task_id"]
    assert job.status == JobStatus.SUCCEEDED, job.last_error
    assert link.startswith(application.site_url + "/wiki/download/")
    assert zipfile.ZipFile(io.BytesIO(simulator.state.exports[task_id])).namelist()
    assert audited(job).after["download_link"] == link


def test_a_long_export_is_put_back_and_polled_later(
    catalog, admin, simulator, settings
):
    settings.OPERATION_TASK_INLINE_SECONDS = 0
    from approvals.operations import request_operation
    from approvals.provisioning import execute_job

    job = request_operation("spaces.export", {"space": "ENG"}, by=admin)
    first = execute_job(job.pk)
    started = len(simulator.state.tasks)

    done = settle(first)

    assert first.status == JobStatus.PENDING and first.attempts == 0
    assert "Waiting for Confluence" in first.last_error
    assert done.status == JobStatus.SUCCEEDED
    assert len(simulator.state.tasks) == started  # polled again, never started twice
