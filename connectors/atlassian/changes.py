"""What changed since a moment, from the organization's audit log (`events-stream`).

The Organizations API's events-stream pages the org audit log oldest first between
`from` and `to` (epoch milliseconds). Each event names what it acted on in
`attributes.context`: users, groups and, on plans that record them, projects or
spaces. We do not rely on the action keys (Atlassian lists them only through its
`event-actions` call and does not document them): an event that names a project or
a space changes that; else one that names a group and users (a membership) changes
those accounts' memberships; else one that names a group changes the group (created,
renamed, deleted); else one that names users changes those accounts.

The feed is rate limited (10 requests a minute per path), so pages are as large as
the API allows and reading stops after `MAX_PAGES`: the change set then says it is
incomplete and the caller lists everything instead.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

import pydantic

from connectors.atlassian.paging import iter_admin_cursor
from connectors.atlassian.responses import Model
from connectors.base import AuthenticationFailed, Forbidden, NotFound, TransientError
from connectors.records import ChangeSet

if TYPE_CHECKING:
    from collections.abc import Iterator

    from connectors.atlassian.admin import AdminClient
    from connectors.atlassian.families import Families

logger = logging.getLogger(__name__)

PAGE_SIZE = 100  # no maximum is documented; 100 is the Admin API's usual page cap
MAX_PAGES = 50  # 5,000 events: five minutes of the feed's rate limit
# Context item types as we expect them; singular and plural spellings are accepted
# because the audit log's type names are not documented.
USER_TYPES = frozenset({"user", "users", "account", "accounts"})
GROUP_TYPES = frozenset({"group", "groups"})
PROJECT_TYPES = frozenset({"project", "projects", "jira_project"})
SPACE_TYPES = frozenset({"space", "spaces", "confluence_space"})


class EventObject(Model):
    """One thing an event acted on (`context`) or happened in (`container`)."""

    id: str
    type: str | None = None


class EventAttributes(Model):
    """What happened, when, and to what."""

    time: datetime
    processed_at: datetime | None = pydantic.Field(None, alias="processedAt")
    action: str = ""
    context: list[EventObject] = []


class AuditEvent(Model):
    """One org audit-log event (`type` is "events")."""

    id: str
    attributes: EventAttributes


# https://developer.atlassian.com/cloud/admin/organization/rest/api-group-events/#api-v1-orgs-orgid-events-stream-get
def stream_events(
    admin: AdminClient, since: datetime, until: datetime
) -> Iterator[AuditEvent]:
    """Audit events from `since` to `until`, oldest first, page by page."""
    params = {
        "from": str(_epoch_ms(since)),
        "to": str(_epoch_ms(until)),
        "limit": PAGE_SIZE,
        "sortOrder": "asc",
    }
    path = f"/admin/v1/orgs/{admin.org_id}/events-stream"
    return iter_admin_cursor(admin.api, "GET", path, AuditEvent, params=params)


def read_changes(
    families: Families, since: datetime, until: datetime
) -> ChangeSet | None:
    """The change set between two moments; None when the feed cannot be read.

    None without an Organizations API key, when Atlassian refuses the feed (401, 403:
    the key lacks `read:events:admin` or the plan has no audit log; 404), and when it
    stays unavailable after the retries: the caller then lists everything.
    """
    admin = families.admin
    if admin is None:
        return None
    collector = _Collector(since, until)
    try:
        for event in stream_events(admin, since, until):
            if collector.is_past_window(event):
                break  # oldest first: everything further is later still
            if collector.read >= MAX_PAGES * PAGE_SIZE:
                return collector.result(is_complete=False)
            collector.add(event)
    except (AuthenticationFailed, Forbidden, NotFound, TransientError) as error:
        logger.warning("org audit log unavailable: %s", error)
        return None
    return collector.result(is_complete=True)


class _Collector:
    """Ids named by the events inside the window."""

    def __init__(self, since: datetime, until: datetime) -> None:
        self.since, self.until = since, until
        self.ids: dict[str, set[str]] = {
            "account": set(),
            "group": set(),
            "project": set(),
            "space": set(),
        }
        self.events = 0  # inside the window
        self.read = 0

    def is_past_window(self, event: AuditEvent) -> bool:
        """True for an event processed after the window (the stream's sort order)."""
        attributes = event.attributes
        return (attributes.processed_at or attributes.time) > self.until

    def add(self, event: AuditEvent) -> None:
        """Note what one event names; events outside the window are ignored."""
        self.read += 1
        when = event.attributes.time
        if when < self.since or when > self.until:
            return
        self.events += 1
        named: dict[str, list[str]] = {k: [] for k in self.ids}
        for item in event.attributes.context:
            kind = _kind(item.type)
            if kind is not None:
                named[kind].append(_plain_id(item.id))
        if named["project"] or named["space"]:
            self.ids["project"].update(named["project"])
            self.ids["space"].update(named["space"])
        elif named["group"] and named["account"]:
            # A membership event names the group and the user: reading that user's
            # groups covers the pair, so the whole group need not be listed.
            self.ids["account"].update(named["account"])
        elif named["group"]:
            self.ids["group"].update(named["group"])
        else:
            self.ids["account"].update(named["account"])

    def result(self, *, is_complete: bool) -> ChangeSet:
        """The change set collected so far."""
        return ChangeSet(
            since=self.since,
            until=self.until,
            account_ids=frozenset(self.ids["account"]),
            group_ids=frozenset(self.ids["group"]),
            project_ids=frozenset(self.ids["project"]),
            space_ids=frozenset(self.ids["space"]),
            events=self.events,
            is_complete=is_complete,
        )


def _kind(item_type: str | None) -> str | None:
    value = (item_type or "").lower()
    for kind, types in (
        ("account", USER_TYPES),
        ("group", GROUP_TYPES),
        ("project", PROJECT_TYPES),
        ("space", SPACE_TYPES),
    ):
        if value in types:
            return kind
    return None


def _plain_id(value: str) -> str:
    """An id as the other APIs spell it; an ARI (`ari:cloud:…/<id>`) keeps its last part."""
    return value.rsplit("/", 1)[-1] if value.startswith("ari:") else value


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
