"""A request's story, told from its audit events: what happened, when, by whom, why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from approvals.models import AuditEvent

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from approvals.models import AccessRequest


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a request's timeline."""

    at: datetime
    kind: (
        str  # submitted, waiting, decision, approved, denied, provisioning, active, ...
    )
    actor_label: str
    text: str


def _with_reason(text: str, reason: str) -> str:
    reason = reason.strip()
    return f"{text}: {reason}" if reason else text


def _decision(event: AuditEvent) -> str:
    verb = "Approved" if event.after.get("decision") == "approve" else "Denied"
    step = event.after.get("step")
    text = f"{verb} step {step}" if step else verb
    if event.action == "request.override":
        text = f"{verb} as administrator (override)"
    return _with_reason(text, event.message)


def _job_created(event: AuditEvent) -> str:
    kind = event.after.get("kind")
    return {
        "grant": "Queued: grant the access in Atlassian",
        "revoke": "Queued: remove the access in Atlassian",
    }.get(kind, f"Queued: {kind} in Atlassian")


# action → (kind, text). Actions not listed here are not shown on the timeline.
RENDERERS: dict[str, tuple[str, Callable[[AuditEvent], str]]] = {
    "request.submitted": (
        "submitted",
        lambda e: _with_reason("Requested", e.message),
    ),
    "step.opened": ("waiting", lambda e: e.message or "Waiting for a decision"),
    "step.escalated": ("escalated", lambda e: e.message),
    "request.decision": ("decision", _decision),
    "request.override": ("decision", _decision),
    "request.approved": (
        "approved",
        lambda e: (
            "Approved automatically by policy"
            if e.actor_id is None
            else "Approved: every approval step is complete"
        ),
    ),
    "request.denied": ("denied", lambda e: _with_reason("Denied", e.message)),
    "request.cancelled": ("cancelled", lambda e: _with_reason("Closed", e.message)),
    "request.expired": ("expired", lambda e: e.message or "Expired without a decision"),
    "job.created": ("provisioning", _job_created),
    "request.provisioning": ("provisioning", lambda e: "Provisioning in Atlassian"),
    "account.created": ("provisioning", lambda e: e.message),
    "account.linked": ("provisioning", lambda e: e.message),
    "job.retry_scheduled": ("retry", lambda e: e.message),
    "job.retried": ("retry", lambda e: e.message or "Provisioning retried"),
    "job.failed": ("failed", lambda e: _with_reason("Atlassian refused", e.message)),
    "grant.activated": (
        "active",
        lambda e: "Active: granted in Atlassian and verified",
    ),
    "grant.extended": ("extended", lambda e: _extended(e)),
    "grant.missing": ("drift", lambda e: e.message),
    "grant.restored": ("active", lambda e: e.message),
    "grant.removal_requested": (
        "removing",
        lambda e: _with_reason("Removal requested", e.message),
    ),
    "grant.revoked": ("revoked", lambda e: _with_reason("Revoked", e.message)),
    "grant.expired": ("ended", lambda e: _with_reason("Expired", e.message)),
    "request.ended": ("ended", lambda e: e.message),
}


def _extended(event: AuditEvent) -> str:
    until = event.after.get("ends_at")
    return (
        f"Extended until {until[:16].replace('T', ' ')} UTC"
        if until
        else "Extended without an end date"
    )


def timeline_for(access_request: AccessRequest) -> list[TimelineEntry]:
    """Every step of the request, oldest first, with reasons (one query)."""
    events = AuditEvent.objects.filter(request=access_request).order_by("at", "id")
    entries, previous_message = [], None
    for event in events:
        renderer = RENDERERS.get(event.action)
        repeated = event.action == "request.ended" and event.message == previous_message
        previous_message = event.message
        if renderer is None or repeated:
            continue
        kind, render = renderer
        entries.append(
            TimelineEntry(
                at=event.at,
                kind=kind,
                actor_label=event.actor_label,
                text=render(event),
            )
        )
    return entries
