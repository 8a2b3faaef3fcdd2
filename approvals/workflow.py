"""The request and grant state machine: the only place their states change.

Every public function here runs in one transaction, locks the rows it changes with
`select_for_update`, writes an AuditEvent per transition and, where Atlassian must
change, writes a ProvisioningJob that is enqueued once the transaction commits.
Failures people can act on are raised as `WorkflowError` subclasses whose `message`
can be shown as is; the edge (view, API, task) translates them.

Request states: pending → approved → provisioning → active → revoked | ended, with the
side exits denied, cancelled, expired (no decision in time) and failed (provisioning
stopped; an admin may retry). Grant states: pending → active → revoking → revoked |
expired, with failed.

The functions live in a few modules by concern; this module is the interface:
submission (asking), this module (deciding, cancelling), lifecycle (removal, expiry,
leavers), job_outcomes (what provisioning reports back), transitions (the shared
building blocks and the errors).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from approvals import audit
from approvals.job_outcomes import job_finished, job_started, retry_job
from approvals.lifecycle import (
    close_requests_for_vanished_entitlements,
    deactivate_identity,
    escalate_step,
    expire_grant,
    expire_pending_request,
    revoke_grant,
)
from approvals.models import (
    AccessRequest,
    ApprovalDecision,
    ApprovalStep,
    Decision,
    RequestState,
    StepState,
)
from approvals.submission import request_extension, submit_requests
from approvals.transitions import (
    AlreadyDecided,
    InvalidRequest,
    NotAllowed,
    NotFound,
    WorkflowError,
    already_decided_message,
    approve_finally,
    close_request,
    lock_request,
    open_step,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from accessportal.models import User

__all__ = [
    "AlreadyDecided",
    "InvalidRequest",
    "NotAllowed",
    "NotFound",
    "WorkflowError",
    "approve",
    "can_decide",
    "cancel",
    "close_requests_for_vanished_entitlements",
    "deactivate_identity",
    "decide_many",
    "deny",
    "escalate_step",
    "expire_grant",
    "expire_pending_request",
    "job_finished",
    "job_started",
    "request_extension",
    "retry_job",
    "revoke_grant",
    "submit_requests",
]


# --- deciding -----------------------------------------------------------------------


def approve(request_id: int, *, approver: User, comment: str = "") -> AccessRequest:
    """Approve the open step (the whole request once every step is approved)."""
    return _decide(request_id, approver, Decision.APPROVE, comment)


def deny(request_id: int, *, approver: User, comment: str = "") -> AccessRequest:
    """Deny the request."""
    return _decide(request_id, approver, Decision.DENY, comment)


def decide_many(
    request_ids: Iterable[int], *, approver: User, decision: str, comment: str = ""
) -> list[tuple[int, AccessRequest | WorkflowError]]:
    """Decide several requests, each in its own transaction; errors are returned."""
    if decision not in Decision.values:
        raise InvalidRequest(
            "Decide with approve or deny.", {"decision": ["Use approve or deny."]}
        )
    outcomes: list[tuple[int, AccessRequest | WorkflowError]] = []
    for request_id in dict.fromkeys(request_ids):
        try:
            outcomes.append(
                (request_id, _decide(request_id, approver, decision, comment))
            )
        except WorkflowError as error:
            outcomes.append((request_id, error))
    return outcomes


def can_decide(user: User, access_request: AccessRequest) -> bool:
    """Whether `user` may approve or deny the request now (admins by override)."""
    if access_request.state != RequestState.PENDING or not user.is_active:
        return False
    if user.pk in (access_request.requester_id, access_request.beneficiary_id):
        return False
    if user.is_admin:
        return True
    step = access_request.current_step
    return bool(
        step
        and step.approvers.filter(pk=user.pk).exists()
        and not step.decisions.filter(decided_by=user).exists()
    )


def _decide(
    request_id: int, approver: User, decision: str, comment: str
) -> AccessRequest:
    comment = (comment or "").strip()
    with transaction.atomic():
        access_request = lock_request(request_id)
        if access_request.state != RequestState.PENDING:
            raise AlreadyDecided(already_decided_message(access_request))
        if approver.pk in (access_request.requester_id, access_request.beneficiary_id):
            raise NotAllowed(
                f"Request #{access_request.pk} is your own: someone else must decide it."
            )
        step = access_request.steps.select_for_update().get(state=StepState.OPEN)
        is_override = _check_approver(step, approver, comment)
        ApprovalDecision.objects.create(
            step=step,
            decided_by=approver,
            decision=decision,
            comment=comment,
            is_override=is_override,
        )
        audit.record(
            "request.override" if is_override else "request.decision",
            target=access_request,
            actor=approver,
            request=access_request,
            after={"step": step.order, "decision": decision, "override": is_override},
            message=comment,
        )
        _advance(access_request, step, approver, decision, is_override, comment)
    return access_request


def _check_approver(step: ApprovalStep, approver: User, comment: str) -> bool:
    """True for an admin override; raises when the approver may not decide."""
    number = step.request_id
    if step.approvers.filter(pk=approver.pk).exists():
        previous = step.decisions.filter(decided_by=approver).first()
        if previous is not None:
            raise AlreadyDecided(
                f"You already {previous.get_decision_display().lower()}d request "
                f"#{number} on {previous.created_at:%Y-%m-%d %H:%M}."
            )
        return False
    if not approver.is_admin or not approver.is_active:
        raise NotAllowed(f"You are not an approver of request #{number}.")
    if not comment:
        message = (
            "An administrator deciding in the approvers' place must give a reason."
        )
        raise InvalidRequest(message, {"comment": [message]})
    return True


def _advance(
    access_request: AccessRequest,
    step: ApprovalStep,
    approver: User,
    decision: str,
    is_override: bool,  # noqa: FBT001
    comment: str,
) -> None:
    now = timezone.now()
    later = access_request.steps.filter(order__gt=step.order)
    if decision == Decision.DENY:
        step.state, step.decided_at = StepState.DENIED, now
        step.save(update_fields=["state", "decided_at"])
        later.update(state=StepState.SKIPPED)
        close_request(access_request, RequestState.DENIED, approver, comment)
        return
    approvals = step.decisions.filter(decision=Decision.APPROVE).count()
    if not is_override and approvals < step.required_approvals:
        return  # N of M: more approvals needed on this step
    step.state, step.decided_at = StepState.APPROVED, now
    step.save(update_fields=["state", "decided_at"])
    next_step = later.order_by("order").first()
    if next_step is not None and not is_override:
        open_step(next_step)
        return
    later.update(state=StepState.SKIPPED)
    approve_finally(access_request, actor=approver, message=comment)


# --- cancelling -------------------------------------------------------


def cancel(request_id: int, *, by: User) -> AccessRequest:
    """The requester (or the beneficiary, or an admin) withdraws a pending request."""
    with transaction.atomic():
        access_request = lock_request(request_id)
        parties = (access_request.requester_id, access_request.beneficiary_id)
        if by.pk not in parties and not by.is_admin:
            raise NotAllowed(f"Only the requester may cancel request #{request_id}.")
        if access_request.state != RequestState.PENDING:
            raise AlreadyDecided(already_decided_message(access_request))
        close_request(
            access_request, RequestState.CANCELLED, by, f"Cancelled by {by.label}"
        )
    return access_request
