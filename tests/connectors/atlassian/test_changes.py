"""The change feed: what the org audit log (`events-stream`) says changed, and when it cannot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from connectors.atlassian.connector import AtlassianConnector
from connectors.atlassian.http import RetryPolicy
from connectors.base import EntitlementKind, EntitlementRef
from tests.connectors.atlassian.conftest import account_id, settings_for

ALICE = "alice.requester@acme.example"
BOB = "bob.manager@acme.example"
STREAM = "/admin/v1/orgs/{org}/events-stream"


def window() -> tuple[datetime, datetime]:
    now = datetime.now(UTC)
    return now - timedelta(minutes=10), now + timedelta(minutes=10)


def stream_calls(sim):
    return [c for c in sim.calls if c.path.endswith("/events-stream")]


def test_feed_names_changed_accounts_and_groups(sim, connector):
    since, until = window()
    group = sim.state.group_by_name("design")
    connector.grant(
        account_id(sim, ALICE), EntitlementRef(EntitlementKind.GROUP, group.group_id)
    )
    connector.update_account(account_id(sim, BOB), {"title": "Director"})
    created = connector.families.jira.create_group("auditors")

    changes = connector.iter_changes(since, until)

    assert changes is not None and changes.is_complete
    assert changes.group_ids == {created.group_id}  # the group itself changed
    # A membership names the group and the member: the member's groups cover it.
    assert changes.account_ids == {account_id(sim, ALICE), account_id(sim, BOB)}


def test_feed_request_shape_is_pinned(sim, connector):
    since, until = window()

    connector.iter_changes(since, until)

    (call,) = stream_calls(sim)
    assert call.method == "GET"
    assert call.path == STREAM.format(org=sim.config.org_id)
    assert call.query == {
        "from": [str(int(since.timestamp() * 1000))],
        "to": [str(int(until.timestamp() * 1000))],
        "limit": ["100"],
        "sortOrder": ["asc"],
    }


def test_feed_follows_the_cursor_across_pages(sim, connector):
    since, until = window()
    user = sim.state.user_by_email(ALICE)
    for _ in range(250):
        sim.record_event("user_updated", ("user", user.account_id))

    changes = connector.iter_changes(since, until)

    assert changes is not None and changes.events == 250
    assert len(stream_calls(sim)) == 3
    assert all("cursor" in c.query for c in stream_calls(sim)[1:])


def test_events_outside_the_window_are_ignored(sim, connector):
    sim.record_event("user_updated", ("user", account_id(sim, ALICE)))
    since = datetime.now(UTC) + timedelta(seconds=1)

    changes = connector.iter_changes(since, since + timedelta(minutes=5))

    assert changes is not None
    assert changes.account_ids == frozenset() and changes.events == 0


def test_project_and_space_events_name_those_not_their_members(sim, connector):
    since, until = window()
    project = sim.state.project_by_key["WEB"]
    alice = account_id(sim, ALICE)
    sim.record_event(
        "project_role_actor_added", ("project", str(project.id)), ("user", alice)
    )

    changes = connector.iter_changes(since, until)

    assert changes is not None
    assert changes.project_ids == {str(project.id)}
    assert changes.account_ids == frozenset()


def test_no_feed_without_an_organizations_api_key(sim):
    connector = AtlassianConnector(
        settings_for(sim, org_api_key=""), transport=sim.transport()
    )

    assert connector.iter_changes(*window()) is None
    assert stream_calls(sim) == []


def test_no_feed_when_atlassian_refuses_it(sim):
    inner = sim.transport()

    def refuse_audit_log(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/events-stream"):
            return httpx.Response(
                403, json={"errors": [{"status": "403", "title": "Forbidden"}]}
            )
        return inner.handle_request(request)

    connector = AtlassianConnector(
        settings_for(sim),
        transport=httpx.MockTransport(refuse_audit_log),
        policy=RetryPolicy(sleep=lambda _: None),
    )

    assert connector.iter_changes(*window()) is None
