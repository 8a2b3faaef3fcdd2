"""Issue 9 operations through AtlassianConnector against the simulator."""

from __future__ import annotations

import pytest

from connectors.base import Invalid, ManagedExternally
from tests.connectors.atlassian.conftest import account_id

ALICE = "alice.requester@acme.example"


# -- groups ------------------------------------------------------------------------------------


def test_create_group_and_create_it_again(connector, sim):
    first = connector.create_group("release-managers", "People who ship")
    second = connector.create_group("release-managers")

    assert first.created is True
    assert second.created is False
    assert second.group_id == first.group_id
    assert sim.state.group_by_name("release-managers").description == "People who ship"


def test_delete_group_twice(connector, sim):
    group_id = connector.create_group("temporary").group_id

    first = connector.delete_group(group_id)
    second = connector.delete_group(group_id)

    assert (first.already_done, second.already_done) == (False, True)
    assert sim.state.group_by_name("temporary") is None


def test_deleting_an_idp_managed_group_is_refused(connector, sim):
    engineering = sim.state.group_by_name("engineering").group_id

    with pytest.raises(ManagedExternally, match="identity provider"):
        connector.delete_group(engineering)

    assert sim.state.group_by_name("engineering") is not None


def test_rename_and_description_edits_are_refused_clearly(connector, sim):
    group_id = sim.state.group_by_name("design").group_id

    with pytest.raises(Invalid, match="copy its members"):
        connector.rename_group(group_id, "designers")
    with pytest.raises(Invalid, match=r"admin\.atlassian\.com"):
        connector.update_group_description(group_id, "new")


def test_group_members_are_listed(connector, sim):
    group_id = sim.state.group_by_name("design").group_id

    members = set(connector.iter_group_member_ids(group_id))

    assert {
        u.account_id
        for u in sim.state.users.values()
        if sim.state.is_group_member("design", u.account_id)
    } == members


# -- projects and issues ----------------------------------------------------------------------


def test_project_create_update_roles_and_delete(connector, sim):
    lead = account_id(sim, ALICE)

    created = connector.create_project(
        "NEWP", "New Project", lead_account_id=lead, description="d"
    )
    updated = connector.update_project("NEWP", name="Renamed Project")
    roles = connector.list_project_roles("NEWP")
    deleted = connector.delete_project("NEWP")

    assert created.key == "NEWP"
    assert updated.name == "Renamed Project"
    assert {r.name for r in roles} >= {"Administrators", "Member"}
    assert deleted.already_done is False


def test_issue_lifecycle_with_a_transition(connector, sim):
    issue = connector.create_issue(
        "WEB", "Grant access to ENG", description="Line one\n\nLine two"
    )

    connector.update_issue(issue.key, summary="Grant access to ENG space")
    options = connector.list_transitions(issue.key)
    moved = connector.transition_issue(issue.key, options[-1].to_status)
    after = connector.get_issue(issue.key)
    again = connector.transition_issue(issue.key, options[-1].to_status)
    deleted = connector.delete_issue(issue.key)
    gone = connector.delete_issue(issue.key)

    assert after.summary == "Grant access to ENG space"
    assert after.status == options[-1].to_status
    assert moved.already_done is False
    assert again.already_done is True
    assert (deleted.already_done, gone.already_done) == (False, True)


def test_an_unavailable_transition_lists_the_options(connector):
    issue = connector.create_issue("WEB", "x")

    with pytest.raises(Invalid, match="available:"):
        connector.transition_issue(issue.key, "No Such Status")


# -- Confluence content -----------------------------------------------------------------------


def test_page_create_update_comment_and_delete(connector):
    page = connector.create_page("ENG", "Runbook", "<p>v1</p>")

    updated = connector.update_page(page.content_id, "Runbook", "<p>v2</p>")
    comment = connector.create_comment("<p>nice</p>", page_id=page.content_id)
    removed_comment = connector.delete_comment(comment.content_id)
    deleted = connector.delete_page(page.content_id)
    again = connector.delete_page(page.content_id)

    assert updated.version == (page.version or 1) + 1
    assert connector.get_page(page.content_id).status in (
        "trashed",
        "deleted",
        "current",
    )
    assert removed_comment.already_done is False
    assert (deleted.already_done, again.already_done) == (False, True)


def test_blog_post_create_and_delete(connector):
    post = connector.create_blog_post("ENG", "News", "<p>hi</p>")

    assert connector.delete_blog_post(post.content_id).already_done is False


def test_attachments_upload_list_delete(connector):
    page = connector.create_page("ENG", "With files", "<p>x</p>")

    uploaded = connector.upload_attachment(
        page.content_id, "notes.txt", b"hello", "text/plain"
    )
    listed = list(connector.list_attachments(page.content_id))
    deleted = connector.delete_attachment(uploaded.attachment_id)

    assert [a.title for a in listed] == ["notes.txt"]
    assert deleted.already_done is False
    assert list(connector.list_attachments(page.content_id)) == []


def test_restrictions_add_twice_read_and_delete(connector, sim):
    page = connector.create_page("ENG", "Secret", "<p>x</p>")
    alice = account_id(sim, ALICE)

    first = connector.add_restriction(page.content_id, "read", account_id=alice)
    second = connector.add_restriction(page.content_id, "read", account_id=alice)
    views = connector.get_restrictions(page.content_id)
    removed = connector.delete_restriction(page.content_id, "read", account_id=alice)

    assert (first.already_done, second.already_done) == (False, True)
    assert alice in next(v for v in views if v.operation == "read").account_ids
    assert removed.already_done is False


def test_archive_pages_runs_as_a_long_task(connector):
    page = connector.create_page("ENG", "Old", "<p>x</p>")

    task = connector.archive_pages([page.content_id])
    status = connector.get_task(task.task_id)
    for _ in range(10):
        if status.finished:
            break
        status = connector.get_task(task.task_id)

    assert status.successful


def test_space_export_finishes_with_a_download_link(connector):
    task = connector.start_space_export("ENG")

    status = connector.get_task(task.task_id)
    for _ in range(10):
        if status.finished:
            break
        status = connector.get_task(task.task_id)

    assert status.download_link


# -- lookups by natural key (what a job whose create went unanswered finds) ---------------


def test_find_project_by_key_with_its_lead(connector, sim):
    lead = account_id(sim, ALICE)
    connector.create_project("NEWP", "New Project", lead_account_id=lead)

    found = connector.find_project("NEWP")
    missing = connector.find_project("NOPE")

    assert (found.key, found.name, found.lead_account_id) == (
        "NEWP",
        "New Project",
        lead,
    )
    assert found.is_deleted is False
    assert missing is None


def test_find_group_by_name(connector, sim):
    made = connector.create_group("release-managers")

    found = connector.find_group("release-managers")

    assert (found.group_id, found.created) == (made.group_id, False)
    assert connector.find_group("nobody-here") is None


def test_find_page_and_blog_post_by_title_in_the_space(connector):
    page = connector.create_page("ENG", "Runbook", "<p>x</p>")
    post = connector.create_blog_post("ENG", "Runbook", "<p>x</p>")

    assert connector.find_page("ENG", "Runbook").content_id == page.content_id
    assert connector.find_blog_post("ENG", "Runbook").content_id == post.content_id
    assert connector.find_page("ENG", "Runbook 2") is None
    assert connector.find_blog_post("DES", "Runbook") is None


def test_find_attachment_by_file_name_with_its_size(connector):
    page = connector.create_page("ENG", "With files", "<p>x</p>")
    connector.upload_attachment(page.content_id, "notes.txt", b"hello", "text/plain")

    found = connector.find_attachment(page.content_id, "notes.txt")

    assert (found.title, found.size) == ("notes.txt", 5)
    assert connector.find_attachment(page.content_id, "other.txt") is None
