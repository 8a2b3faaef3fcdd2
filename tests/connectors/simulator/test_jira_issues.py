"""Jira issues: create with ADF, get, edit, delete and the three-status workflow."""

from __future__ import annotations

import httpx
import pytest

ADF = {
    "type": "doc",
    "version": 1,
    "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Hi"}]}],
}


def create(jira: httpx.Client, **fields: object) -> httpx.Response:
    """Create a Task in WEB."""
    body = {
        "project": {"key": "WEB"},
        "issuetype": {"name": "Task"},
        "summary": "Grant access",
        **fields,
    }
    return jira.post("/issue", json={"fields": body})


def test_create_returns_id_key_self(jira: httpx.Client) -> None:
    response = create(jira, description=ADF)

    assert response.status_code == 201
    assert set(response.json()) == {"id", "key", "self"}
    assert response.json()["key"] == "WEB-3"


@pytest.mark.parametrize(
    "description",
    [
        "plain text",
        {"type": "doc", "content": []},
        {"type": "doc", "version": 1, "content": [{"type": "blink"}]},
        {"type": "doc", "version": 1, "content": [{"type": "text"}]},
    ],
)
def test_description_must_be_adf(jira: httpx.Client, description: object) -> None:
    response = create(jira, description=description)

    assert response.status_code == 400
    assert "Atlassian Document" in response.json()["errors"]["description"]


def test_unknown_field_and_project_are_field_errors(jira: httpx.Client) -> None:
    assert "colour" in create(jira, colour="red").json()["errors"]
    bad_project = jira.post(
        "/issue",
        json={
            "fields": {
                "project": {"key": "NOPE"},
                "issuetype": {"name": "Task"},
                "summary": "x",
            }
        },
    )
    assert "project" in bad_project.json()["errors"]


def test_get_edit_delete(jira: httpx.Client) -> None:
    key = create(jira).json()["key"]

    edited = jira.put(f"/issue/{key}", json={"fields": {"summary": "Changed"}})
    returned = jira.put(
        f"/issue/{key}",
        params={"returnIssue": "true"},
        json={"fields": {"labels": ["x"]}},
    )
    fetched = jira.get(f"/issue/{key}").json()
    deleted = jira.delete(f"/issue/{key}")

    assert edited.status_code == 204
    assert returned.status_code == 200
    assert fetched["fields"]["summary"] == "Changed"
    assert fetched["fields"]["status"]["name"] == "To Do"
    assert deleted.status_code == 204
    assert jira.get(f"/issue/{key}").status_code == 404


def test_workflow_to_do_in_progress_done(jira: httpx.Client) -> None:
    key = create(jira).json()["key"]

    offered = {
        t["id"] for t in jira.get(f"/issue/{key}/transitions").json()["transitions"]
    }
    started = jira.post(f"/issue/{key}/transitions", json={"transition": {"id": "21"}})
    done = jira.post(f"/issue/{key}/transitions", json={"transition": {"id": "31"}})
    again = jira.post(f"/issue/{key}/transitions", json={"transition": {"id": "31"}})

    assert offered == {"21", "31"}
    assert (started.status_code, done.status_code, again.status_code) == (204, 204, 400)
    assert jira.get(f"/issue/{key}").json()["fields"]["status"]["name"] == "Done"
