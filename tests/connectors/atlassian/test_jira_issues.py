"""Jira issue requests pinned to the reference (§4.5), ADF bodies included."""

from __future__ import annotations

from connectors.atlassian.jira_issues import JiraIssueClient, adf_from_text
from connectors.base import ApiFamily
from tests.connectors.atlassian.conftest import Recorder, make_api, query, reply, script

API = "/rest/api/3"


def client(*responses):
    recorder = Recorder(script(*responses))
    return JiraIssueClient(make_api(ApiFamily.JIRA, recorder)), recorder


def test_plain_text_becomes_an_adf_document():
    doc = adf_from_text("First line\nsecond line\n\nNew paragraph")

    assert doc == {
        "type": "doc",
        "version": 1,
        "content": [
            {
                "type": "paragraph",
                "content": [
                    {"type": "text", "text": "First line"},
                    {"type": "hardBreak"},
                    {"type": "text", "text": "second line"},
                ],
            },
            {
                "type": "paragraph",
                "content": [{"type": "text", "text": "New paragraph"}],
            },
        ],
    }


def test_create_issue_posts_fields():
    issues, recorder = client(reply(201, {"id": "10001", "key": "WEB-1", "self": "x"}))
    fields = {
        "project": {"key": "WEB"},
        "issuetype": {"name": "Task"},
        "summary": "Hi",
        "description": adf_from_text("x"),
    }

    created = issues.create_issue(fields)

    assert created.key == "WEB-1"
    assert (recorder.last.method, recorder.last.url.path) == ("POST", f"{API}/issue")
    assert recorder.body() == {"fields": fields}


def test_get_issue_asks_for_summary_and_status():
    issues, recorder = client(
        reply(
            200,
            {
                "id": "10001",
                "key": "WEB-1",
                "fields": {"summary": "Hi", "status": {"id": "1", "name": "To Do"}},
            },
        )
    )

    issue = issues.get_issue("WEB-1")

    assert issue.fields.status.name == "To Do"
    assert recorder.last.url.path == f"{API}/issue/WEB-1"
    assert query(recorder.last) == [("fields", "summary,status")]


def test_edit_issue_puts_fields_without_returning_the_issue():
    issues, recorder = client(reply(204))

    issues.edit_issue("WEB-1", {"summary": "New"})

    assert (recorder.last.method, recorder.last.url.path) == (
        "PUT",
        f"{API}/issue/WEB-1",
    )
    assert query(recorder.last) == [("notifyUsers", "true"), ("returnIssue", "false")]
    assert recorder.body() == {"fields": {"summary": "New"}}


def test_delete_issue_and_already_deleted():
    issues, recorder = client(
        reply(204), reply(404, {"errorMessages": ["Issue does not exist"]})
    )

    assert issues.delete_issue("WEB-1", delete_subtasks=True) is True
    assert issues.delete_issue("WEB-1") is False
    assert (recorder.requests[0].method, recorder.requests[0].url.path) == (
        "DELETE",
        f"{API}/issue/WEB-1",
    )
    assert query(recorder.requests[0]) == [("deleteSubtasks", "true")]


def test_transitions_are_listed_and_taken_by_id():
    transitions = {
        "transitions": [
            {
                "id": "31",
                "name": "Done",
                "to": {"id": "3", "name": "Done"},
                "isAvailable": True,
            }
        ]
    }
    issues, recorder = client(reply(200, transitions), reply(204))

    found = issues.get_transitions("WEB-1")
    issues.transition_issue("WEB-1", found[0].id)

    assert recorder.requests[0].url.path == f"{API}/issue/WEB-1/transitions"
    assert (recorder.last.method, recorder.last.url.path) == (
        "POST",
        f"{API}/issue/WEB-1/transitions",
    )
    assert recorder.body() == {"transition": {"id": "31"}}
