"""The building blocks of the state machine, shared by workflow and lifecycle.

Errors for people, row locks, and the small state changes every transition uses.
Only `approvals.workflow` and `approvals.lifecycle` call these.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, TypeVar

from django.utils import timezone

from approvals import audit, notifications, outbox
from approvals.models import (
    AccessRequest,
    ApprovalDecision,
    ApprovalStep,
    Grant,
    GrantState,
    JobKind,
    RequestState,
    StepState,
)
from connectors.models import Account

if TYPE_CHECKING:
    from datetime import datetime

    from django.db.models import Model, QuerySet

    from accessportal.models import User
    from connectors.models import Application

RowT = TypeVar("RowT", bound="Model")


class WorkflowError(Exception):
    """A refused operation; `message` is written for people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAllowed(WorkflowError):
    """Outside the actor's scope (their own request, not their report): HTTP 403."""


class AlreadyDecided(WorkflowError):
    """The request, grant or job is past the state the operation needs: HTTP 409."""


class InvalidRequest(WorkflowError):
    """Bad input; `field_errors` maps field names to messages: HTTP 400."""

    def __init__(
        self, message: str, field_errors: dict[str, list[str]] | None = None
    ) -> None:
        super().__init__(message)
        self.field_errors = field_errors or {}


class NotFound(WorkflowError):
    """No request, grant or job with that id: HTTP 404."""


# --- state changes -----------------------------------------------------------------


def close_request(
    access_request: AccessRequest,
    state: RequestState,
    actor: User | None,
    reason: str,
) -> None:
    """End a request that never got access: denied, cancelled, expired."""
    before = access_request.state
    access_request.state = state
    access_request.state_reason = reason
    access_request.decided_at = timezone.now()
    access_request.save(
        update_fields=["state", "state_reason", "decided_at", "updated_at"]
    )
    access_request.steps.filter(state__in=[StepState.OPEN, StepState.WAITING]).update(
        state=StepState.SKIPPED
    )
    audit.record(
        f"request.{state}",
        target=access_request,
        actor=actor,
        request=access_request,
        before={"state": before},
        after={"state": state},
        message=reason,
    )
    notifications.on_commit(notifications.request_decided, access_request.pk)


def planned_end(access_request: AccessRequest) -> datetime | None:
    """When the access asked for ends, counted from now for a duration."""
    if access_request.ends_at:
        return access_request.ends_at
    if access_request.duration_days:
        return timezone.now() + timedelta(days=access_request.duration_days)
    return None


def account_of(user: User, application: Application | int) -> Account | None:
    """The person's Atlassian account in an application (or its id), if known."""
    return (
        Account.objects.present()
        .filter(application=application, identity=user)
        .order_by("-last_seen")
        .first()
    )


def set_request_state(
    access_request: AccessRequest, state: RequestState, actor: User | None, reason: str
) -> None:
    before = access_request.state
    if before == state:
        return
    access_request.state = state
    access_request.state_reason = reason
    access_request.save(update_fields=["state", "state_reason", "updated_at"])
    audit.record(
        f"request.{state}",
        target=access_request,
        actor=actor,
        request=access_request,
        before={"state": before},
        after={"state": state},
        message=reason,
    )


# --- approval outcomes -------------------------------------------------------------


def open_step(step: ApprovalStep, *, note: str = "") -> None:
    """Open an approval step and ask its approvers."""
    step.state = StepState.OPEN
    step.opened_at = timezone.now()
    step.save(update_fields=["state", "opened_at"])
    names = ", ".join(p.label for p in step.approvers.all()) or "administrators"
    audit.record(
        "step.opened",
        target=step,
        request=step.request,
        after={"order": step.order, "rule": step.rule, "approvers": names},
        message=f"Waiting for {names}" + (f" ({note})" if note else ""),
    )
    notifications.on_commit(notifications.decision_needed, step.pk)


def approve_finally(
    access_request: AccessRequest, *, actor: User | None, message: str
) -> None:
    """The request is approved: create the grant and its job, or extend a grant."""
    access_request.state = RequestState.APPROVED
    access_request.decided_at = timezone.now()
    access_request.save(update_fields=["state", "decided_at", "updated_at"])
    audit.record(
        "request.approved",
        target=access_request,
        actor=actor,
        request=access_request,
        before={"state": RequestState.PENDING},
        after={"state": RequestState.APPROVED},
        message=message,
    )
    notifications.on_commit(notifications.request_decided, access_request.pk)
    if access_request.is_extension:
        _apply_extension(access_request, actor)
        return
    grant = _create_grant(access_request)
    outbox.create_job(
        JobKind.GRANT,
        application=grant.entitlement.application,
        grant=grant,
        identity=grant.beneficiary,
        entitlement=grant.entitlement,
        account=grant.account,
        reason=f"Request #{access_request.pk} approved",
        created_by=actor,
        request=access_request,
    )


def _create_grant(access_request: AccessRequest) -> Grant:
    entitlement = access_request.entitlement
    open_grant = (
        Grant.objects.standing()
        .filter(beneficiary=access_request.beneficiary_id, entitlement=entitlement)
        .first()
    )
    if open_grant is not None:
        raise InvalidRequest(
            f"{access_request.beneficiary.label} already has {entitlement.display_name} "
            f"(grant #{open_grant.pk}, {open_grant.get_state_display().lower()})."
        )
    grant = Grant.objects.create(
        request=access_request,
        beneficiary=access_request.beneficiary,
        entitlement=entitlement,
        account=account_of(access_request.beneficiary, entitlement.application_id),
        ends_at=planned_end(access_request),
    )
    audit.record(
        "grant.created",
        target=grant,
        request=access_request,
        after={"state": grant.state, "ends_at": iso(grant.ends_at)},
    )
    return grant


def _apply_extension(access_request: AccessRequest, actor: User | None) -> None:
    """Move the grant to the extension request, with its new end."""
    grant = Grant.objects.select_for_update().get(pk=access_request.extends_grant_id)
    if grant.state not in (GrantState.PENDING, GrantState.ACTIVE):
        close_request(
            access_request,
            RequestState.CANCELLED,
            None,
            f"The access it extends has ended ({grant.get_state_display().lower()}).",
        )
        return
    previous = grant.request
    before = {"ends_at": iso(grant.ends_at), "request": grant.request_id}
    grant.request = None
    grant.save(update_fields=["request"])
    grant.request = access_request
    grant.ends_at = planned_end(access_request)
    grant.expiry_reminded_at = None
    grant.save(update_fields=["request", "ends_at", "expiry_reminded_at"])
    mirrored = (
        RequestState.ACTIVE
        if grant.state == GrantState.ACTIVE
        else RequestState.APPROVED
    )
    set_request_state(access_request, mirrored, actor, "Extension applied")
    if previous is not None:
        set_request_state(
            previous,
            RequestState.ENDED,
            actor,
            f"Extended by request #{access_request.pk}",
        )
    audit.record(
        "grant.extended",
        target=grant,
        actor=actor,
        request=access_request,
        before=before,
        after={"ends_at": iso(grant.ends_at), "request": access_request.pk},
    )


# --- locking and messages ----------------------------------------------------------


def lock_row(queryset: QuerySet[RowT], pk: object, *, noun: str) -> RowT:
    """Lock one row (not the rows joined to it) until the transaction ends.

    Raises NotFound ("There is no <noun> #<pk>.") for a missing or malformed id.
    """
    try:
        return queryset.select_for_update(of=("self",)).get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise NotFound(f"There is no {noun} #{pk}.") from None


def lock_request(request_id: int) -> AccessRequest:
    """Lock a request, with its entitlement, application and people loaded."""
    return lock_row(
        AccessRequest.objects.select_related(
            "entitlement__application", "beneficiary", "requester"
        ),
        request_id,
        noun="request",
    )


def lock_grant(grant_id: int) -> Grant:
    """Lock a grant, with its entitlement, application, beneficiary and request."""
    return lock_row(
        Grant.objects.select_related(
            "entitlement__application", "beneficiary", "request"
        ),
        grant_id,
        noun="grant",
    )


def already_decided_message(access_request: AccessRequest) -> str:
    """ "Request #12 was already approved by Bob on 2026-11-23 14:02." """
    number, state = access_request.pk, access_request.state
    when = access_request.decided_at or access_request.updated_at
    stamp = f"{when:%Y-%m-%d %H:%M}" if when else "earlier"
    if state in (RequestState.CANCELLED, RequestState.EXPIRED):
        reason = access_request.state_reason or access_request.get_state_display()
        return (
            f"Request #{number} is no longer pending: {reason.rstrip('.')} ({stamp})."
        )
    last = (
        ApprovalDecision.objects.filter(step__request=access_request)
        .select_related("decided_by")
        .order_by("-created_at", "-pk")
        .first()
    )
    verb = "denied" if state == RequestState.DENIED else "approved"
    by = f" by {last.decided_by.label}" if last else " automatically"
    return f"Request #{number} was already {verb}{by} on {stamp}."


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
