"""The exact requests the portal's own compositions send, pinned to ../shared/atlassian-api.md.

Single calls are pinned in tests/connectors/atlassian; these are the sequences that
the operations layer adds: the group rename workaround (§2.2 "Rename", §3.4, §4.4), the
account update through the attribute mapping (§2.1 PATCH), the space export's long
task (§5.4) and the ticket trail (§4.5).
"""

from __future__ import annotations

import json

import httpx
import pytest
from django.conf import settings

from approvals import workflow
from approvals.models import JobStatus, OperationJob
from connectors.registry import use_transport
from tests.factories import PolicyFactory
from tests.operations.conftest import group, run, settle


class Recorder:
    """The simulator's transport, keeping (method, path, query, JSON body) of each call."""

    def __init__(self, simulator):
        self.inner = simulator.transport()
        self.calls: list[tuple[str, str, dict, object]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        body = (
            json.loads(request.content)
            if request.content
            and request.headers.get("content-type", "").startswith("application/")
            else None
        )
        self.calls.append(
            (request.method, request.url.path, dict(request.url.params), body)
        )
        return self.inner.handle_request(request)

    def writes(self):
        return [c for c in self.calls if c[0] != "GET"]


@pytest.fixture
def recorder(simulator):
    recording = Recorder(simulator)
    with use_transport(httpx.MockTransport(recording)):
        yield recording


def test_group_rename_creates_copies_and_deletes(catalog, admin, simulator, recorder):
    old = group("design")
    members = sorted(
        u.account_id
        for u in simulator.state.users.values()
        if simulator.state.is_group_member("design", u.account_id)
    )

    run(
        "groups.rename",
        {"group": "design", "new_name": "designers", "description": "Design team"},
        by=admin,
    )

    new_id = simulator.state.group_by_name("designers").group_id
    writes = recorder.writes()
    method, path, _, body = writes[0]
    assert (method, body) == (
        "POST",
        {"name": "designers", "description": "Design team"},
    )
    assert path.startswith(f"/admin/v2/orgs/{settings.ATLASSIAN_ORG_ID}/directories/")
    assert path.endswith("/groups")
    added = sorted(body["accountId"] for method, path, query, body in writes[1:-1])
    assert added == members
    assert all(
        path.endswith(("/group/user", f"/groups/{new_id}/memberships"))
        for _, path, _, _ in writes[1:-1]
    )
    assert writes[-1][:3] == (
        "DELETE",
        "/rest/api/3/group",
        {"groupId": old.external_id},
    )


def test_account_update_is_one_scim_patch_of_the_mapped_attributes(
    catalog, admin, alice, simulator, recorder
):
    alice.job_title = "Staff Engineer"
    alice.save()
    scim_id = simulator.state.user_by_email(alice.email).scim.scim_id

    run("accounts.update", {"identity": alice.pk, "attributes": ["jobTitle"]}, by=admin)

    method, path, _, body = recorder.writes()[0]
    assert (method, path) == (
        "PATCH",
        f"/scim/directory/{settings.ATLASSIAN_DIRECTORY_ID}/Users/{scim_id}",
    )
    assert body == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "title", "value": "Staff Engineer"}],
    }


def test_space_export_starts_once_and_polls_the_long_task(catalog, admin, recorder):
    job = run("spaces.export", {"space": "ENG", "format": "xml"}, by=admin)

    starts = [c for c in recorder.calls if c[0] == "POST"]
    polls = [
        c
        for c in recorder.calls
        if c[1] == f"/wiki/rest/api/longtask/{job.result['task_id']}"
    ]
    assert starts == [
        ("POST", "/wiki/rest/api/space/ENG/export", {}, {"format": "xml"})
    ]
    assert len(polls) >= 1


def test_ticket_trail_opens_then_edits_and_transitions(
    catalog, settings, requester, manager, recorder
):
    settings.TICKET_TRAIL_PROJECT_KEY = "WEB"
    PolicyFactory(name="Manager approves", is_default=True)
    access_request = workflow.submit_requests(
        requester=requester, entitlements=[group("design")], justification="Reviews"
    )[0]
    settle(OperationJob.objects.named("tickets.sync").get())
    (create,) = recorder.writes()
    workflow.deny(access_request.pk, approver=manager, comment="No")

    settle(OperationJob.objects.named("tickets.sync").get(status=JobStatus.PENDING))

    access_request.refresh_from_db()
    key = access_request.ticket_key
    edit, transition = recorder.writes()[1:]
    assert create[:2] == ("POST", "/rest/api/3/issue")
    fields = create[3]["fields"]
    assert fields["project"] == {"key": "WEB"}
    assert fields["issuetype"] == {"name": "Task"}
    assert (fields["description"]["type"], fields["description"]["version"]) == (
        "doc",
        1,
    )
    assert edit[:3] == (
        "PUT",
        f"/rest/api/3/issue/{key}",
        {"notifyUsers": "true", "returnIssue": "false"},
    )
    assert set(edit[3]["fields"]) == {"summary", "description"}
    assert transition[:2] == ("POST", f"/rest/api/3/issue/{key}/transitions")
    assert transition[3] == {
        "transition": {"id": "31"}
    }  # Done, in the simulator's workflow
