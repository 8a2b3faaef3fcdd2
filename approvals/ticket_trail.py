"""The optional ticket trail: every access request mirrored as a Jira issue.

With `TICKET_TRAIL_PROJECT_KEY` set (a Jira or service project key), each access
request opens an issue in that project, and every later change of the request —
decision, provisioning, expiry, revocation — updates it: the description is rendered
again from the request and its audit trail, and the issue moves to the status that
matches the request's state (To Do, In Progress, Done).

How it hooks in: workflow writes an AuditEvent for every request transition, in the
transaction of the transition. A receiver of those events queues a `tickets.sync`
operation job in the same transaction (nothing is lost; the worker retries like any
job). Syncing renders the whole ticket from the portal's rows, so it is idempotent
and order does not matter; only opening the issue must happen once, so a sync job
waits while another sync of the same request runs and no issue key is stored yet.
The key Jira answers is stored on the request at once, so a later attempt (after a
failed transition, or a dead worker) edits that issue. Jira takes no client-supplied
key for an issue, though: when the answer to the create itself is lost, the next
attempt opens the issue again and its outcome says a duplicate may exist.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone

from approvals.models import (
    AccessRequest,
    AuditEvent,
    JobStatus,
    OperationJob,
    RequestState,
)
from approvals.operations import (
    Operation,
    OperationForm,
    Outcome,
    queue_operation,
    register,
)
from approvals.operations_idempotency import Created, create_once
from approvals.provisioning import WaitForOtherJob
from connectors.atlassian.administration import IssueResult
from connectors.base import Invalid

if TYPE_CHECKING:
    from approvals.operations import OperationContext

logger = logging.getLogger(__name__)
OPERATION = "tickets.sync"
TRAIL_LINES = 50

# The Jira status a request's state shows as.
STATUS_FOR = {
    RequestState.PENDING: "To Do",
    RequestState.APPROVED: "In Progress",
    RequestState.PROVISIONING: "In Progress",
    RequestState.FAILED: "In Progress",
    RequestState.ACTIVE: "Done",
    RequestState.DENIED: "Done",
    RequestState.CANCELLED: "Done",
    RequestState.EXPIRED: "Done",
    RequestState.REVOKED: "Done",
    RequestState.ENDED: "Done",
}


def is_enabled() -> bool:
    """True when a project key for the trail is configured."""
    return bool(settings.TICKET_TRAIL_PROJECT_KEY)


@receiver(post_save, sender=AuditEvent, dispatch_uid="approvals.ticket_trail")
def on_audit_event(
    sender: Any, *, instance: AuditEvent, created: bool, **kwargs: Any
) -> None:
    """A request changed state: queue a sync of its ticket (in the same transaction)."""
    if not (
        created
        and is_enabled()
        and instance.request_id
        and instance.action.startswith("request.")
    ):
        return
    try:
        # A savepoint: a failure here never undoes the transition.
        with transaction.atomic():
            request_trail(instance.request_id)
    except Exception:
        logger.exception(
            "Could not queue the ticket trail of request %s", instance.request_id
        )


def request_trail(request_id: int) -> OperationJob | None:
    """Queue a sync of the request's ticket unless one is already waiting to run."""
    waiting = OperationJob.objects.named(OPERATION).filter(
        status=JobStatus.PENDING, attempts=0, payload__arguments__request=request_id
    )
    if waiting.exists():
        return None  # that job renders the request as it is when it runs
    access_request = AccessRequest.objects.select_related(
        "entitlement__application"
    ).get(pk=request_id)
    return queue_operation(
        OPERATION,
        {"request": request_id},
        application=access_request.entitlement.application,
        by=None,
        identity=access_request.beneficiary,
        entitlement=access_request.entitlement,
    )


def sync_ticket(context: OperationContext) -> Outcome:
    """Open the request's issue if needed, then set its description and status."""
    access_request = AccessRequest.objects.select_related(
        "entitlement", "beneficiary", "requester"
    ).get(pk=context.arguments["request"])
    key, note = access_request.ticket_key, ""
    opened = not key
    if opened:
        _wait_for_other_sync(context, access_request.pk)
        created = _open(context, access_request)  # with the current description
        key, note = created.made.key, created.note
    else:
        context.connector.update_issue(
            key,
            summary=summary(access_request),
            description=description(access_request),
        )
    status = STATUS_FOR.get(RequestState(access_request.state), "In Progress")
    try:
        moved = context.connector.transition_issue(key, status)
        note += "" if not moved.detail else f" ({moved.detail})"
    except Invalid as error:  # no such status in the project's workflow: text only
        note += f" (status left as it is: {error.message})"
    context.record(
        target_type="atlassian.issue",
        target_id=key,
        target_label=summary(access_request),
        after={
            "request": access_request.pk,
            "state": access_request.state,
            "status": status,
            "opened": opened,
        },
        message=f"Ticket {key} synced with request #{access_request.pk}{note}",
    )
    return Outcome(
        f"Ticket {key} shows request #{access_request.pk} as {status}{note}",
        {"key": key, "opened": opened, "status": status},
    )


def _wait_for_other_sync(context: OperationContext, request_id: int) -> None:
    running = (
        OperationJob.objects.named(OPERATION)
        .filter(
            status=JobStatus.RUNNING,
            lease_expires_at__gte=timezone.now(),
            payload__arguments__request=request_id,
        )
        .exclude(pk=context.job.pk)
        .first()
    )
    if running is not None:
        raise WaitForOtherJob(f"Waiting for ticket job #{running.pk} to open the issue")


def _open(context: OperationContext, access_request: AccessRequest) -> Created:
    created = create_once(
        context,
        "ticket",
        IssueResult,
        lambda: context.connector.create_issue(
            settings.TICKET_TRAIL_PROJECT_KEY,
            summary(access_request),
            issue_type=settings.TICKET_TRAIL_ISSUE_TYPE,
            description=description(access_request),
        ),
    )
    key = created.made.key
    AccessRequest.objects.filter(pk=access_request.pk, ticket_key="").update(
        ticket_key=key
    )
    access_request.ticket_key = key
    return created


def summary(access_request: AccessRequest) -> str:
    """The issue's summary."""
    text = f"Access request #{access_request.pk}: {access_request.entitlement.display_name} for {access_request.beneficiary.label}"
    return text[:255]


def description(access_request: AccessRequest) -> str:
    """The issue's description: the request and its trail, as plain text."""
    link = settings.SITE_URL.rstrip("/") + reverse(
        "request_detail", args=[access_request.pk]
    )
    lines = [
        f"Requested by {access_request.requester.label} for {access_request.beneficiary.label} "
        f"on {access_request.created_at:%Y-%m-%d %H:%M} UTC.",
        f"Entitlement: {access_request.entitlement.display_name} ({access_request.entitlement.get_kind_display()}).",
        f"Justification: {access_request.justification or '—'}",
        f"State: {access_request.get_state_display()}. {access_request.state_reason}".strip(),
        f"In the portal: {link}",
        "",
        "Trail:",
    ]
    events = AuditEvent.objects.filter(request=access_request).order_by("at", "id")[
        :TRAIL_LINES
    ]
    for event in events:
        note = f" — {event.message}" if event.message else ""
        lines.append(
            f"{event.at:%Y-%m-%d %H:%M} UTC · {event.actor_label} · {event.action}{note}"
        )
    return "\n".join(lines)


class TicketForm(OperationForm):
    """Not offered to people: the portal queues ticket syncs itself."""


register(
    Operation(
        OPERATION,
        "issues",
        "Sync an access request's ticket",
        TicketForm,
        sync_ticket,
        lambda a: f"Ticket trail of request #{a.get('request')}",
        internal=True,
    )
)
