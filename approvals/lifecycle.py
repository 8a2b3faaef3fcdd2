"""The grant half of the state machine: removal, expiry, leavers and job outcomes.

Part of `approvals.workflow`'s interface (it re-exports the public functions here);
the same rules hold: one transaction per transition, rows locked, one AuditEvent per
transition, jobs enqueued on commit.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from accessportal.models import User
from approvals import audit, notifications, outbox, policies
from approvals.models import (
    AccessRequest,
    ApprovalStep,
    Grant,
    GrantState,
    JobKind,
    JobStatus,
    ProvisioningJob,
    RequestState,
    StepState,
)
from approvals.transitions import (
    AlreadyDecided,
    NotAllowed,
    close_request,
    lock_grant,
    set_request_state,
)
from connectors.base import AccountStatus
from connectors.models import Account, Entitlement

if TYPE_CHECKING:
    from datetime import datetime

logger = logging.getLogger(__name__)

ENDED_GRANT_STATES = (GrantState.REVOKING, GrantState.REVOKED, GrantState.EXPIRED)


# --- taking access away -------------------------------------------------------------


def revoke_grant(grant_id: int, *, by: User, reason: str = "") -> Grant:
    """The holder or an admin ends a grant; Atlassian is changed by a job."""
    with transaction.atomic():
        grant = lock_grant(grant_id)
        if by.pk != grant.beneficiary_id and not by.is_admin:
            raise NotAllowed(
                f"Only {grant.beneficiary.label} or an administrator may revoke grant #{grant.pk}."
            )
        if grant.state in ENDED_GRANT_STATES:
            raise AlreadyDecided(ended_message(grant))
        reason = (reason or "").strip() or f"Revoked by {by.label}"
        end_grant(
            grant,
            final=GrantState.REVOKED,
            request_state=RequestState.REVOKED,
            actor=by,
            reason=reason,
        )
    return grant


def expire_grant(grant_id: int) -> bool:
    """End a time-bound grant whose end has come; False when there was nothing to do."""
    with transaction.atomic():
        grant = lock_grant(grant_id)
        due = grant.ends_at is not None and grant.ends_at <= timezone.now()
        if not due or grant.state in ENDED_GRANT_STATES:
            return False
        end_grant(
            grant,
            final=GrantState.EXPIRED,
            request_state=RequestState.ENDED,
            actor=None,
            reason=f"Access ended on its end date ({grant.ends_at:%Y-%m-%d %H:%M} UTC)",
        )
    return True


def end_grant(
    grant: Grant,
    *,
    final: GrantState,
    request_state: RequestState,
    actor: User | None,
    reason: str,
) -> None:
    """Mark a locked grant as being removed and queue the removal in Atlassian."""
    before = grant.state
    never_started = _cancel_unstarted_grant_jobs(grant)
    grant.state = GrantState.REVOKING
    grant.ended_by = actor
    grant.end_reason = reason
    grant.save(update_fields=["state", "ended_by", "end_reason"])
    request = grant.request
    audit.record(
        "grant.removal_requested",
        target=grant,
        actor=actor,
        request=request,
        before={"state": before},
        after={"state": grant.state, "final_state": final},
        message=reason,
    )
    if request is not None:
        set_request_state(request, request_state, actor, reason)
    if never_started:
        # Nothing ever reached Atlassian: there is nothing to remove.
        finish_removal(grant, final, "Provisioning had not started: nothing to remove")
        return
    outbox.create_job(
        JobKind.REVOKE,
        application=grant.entitlement.application,
        grant=grant,
        identity=grant.beneficiary,
        entitlement=grant.entitlement,
        account=grant.account,
        payload={"final_state": str(final)},
        reason=reason,
        created_by=actor,
        request=request,
    )


def _cancel_unstarted_grant_jobs(grant: Grant) -> bool:
    """Cancel grant jobs not yet begun; True when no grant job ever started."""
    # Lock the job rows first: a worker's claim then waits for us and finds them
    # cancelled, instead of granting after we decided nothing had started.
    jobs = list(grant.jobs.select_for_update().filter(kind=JobKind.GRANT))
    started = any(j.status != JobStatus.PENDING or j.attempts > 0 for j in jobs)
    ProvisioningJob.objects.filter(
        pk__in=[j.pk for j in jobs if j.status == JobStatus.PENDING]
    ).update(
        status=JobStatus.CANCELLED,
        finished_at=timezone.now(),
        lease_expires_at=None,
    )
    return grant.state == GrantState.PENDING and not started


def finish_removal(grant: Grant, final: GrantState | str, message: str) -> None:
    """The access is gone: the grant ends in its final state (locked by the caller)."""
    before = grant.state
    grant.state = final
    grant.ended_at = timezone.now()
    grant.save(update_fields=["state", "ended_at"])
    audit.record(
        f"grant.{final}",
        target=grant,
        request=grant.request,
        before={"state": before},
        after={"state": final},
        message=message,
    )
    notifications.on_commit(notifications.access_removed, grant.pk)


def ended_message(grant: Grant) -> str:
    """ "Grant #4 is already revoked by Bob." """
    state = grant.get_state_display().lower()
    by = f" by {grant.ended_by.label}" if grant.ended_by_id else ""
    return f"Grant #{grant.pk} is already {state}{by}."


# --- leavers ------------------------------------------------------------------------


def deactivate_identity(user: User, *, by: User | None) -> None:
    """A leaver: revoke every grant, close pending requests, disable the accounts.

    Idempotent: running it again only queues what is still missing. `by=None` means
    the system (a trusted source reported the person gone).
    """
    if by is not None and not by.is_admin:
        raise NotAllowed("Only an administrator may deactivate an identity.")
    reason = f"{user.label} left: identity deactivated"
    with transaction.atomic():
        person = User.objects.select_for_update().get(pk=user.pk)
        for grant in (
            Grant.objects.endable().select_for_update().filter(beneficiary=person)
        ):
            end_grant(
                grant,
                final=GrantState.REVOKED,
                request_state=RequestState.REVOKED,
                actor=by,
                reason=reason,
            )
        for access_request in AccessRequest.objects.select_for_update().filter(
            beneficiary=person, state=RequestState.PENDING
        ):
            close_request(access_request, RequestState.CANCELLED, by, reason)
        _disable_accounts(person, by, reason)
        if person.is_active or person.deactivated_at is None:
            person.is_active = False
            person.deactivated_at = timezone.now()
            person.save(update_fields=["is_active", "deactivated_at"])
            audit.record(
                "identity.deactivated",
                target=person,
                actor=by,
                before={"is_active": True},
                after={"is_active": False},
                message=reason,
            )
    user.refresh_from_db()


def _disable_accounts(person: User, by: User | None, reason: str) -> None:
    accounts = Account.objects.filter(
        identity=person, removed_at__isnull=True, status=AccountStatus.ACTIVE
    ).select_related("application")
    for account in accounts:
        queued = ProvisioningJob.objects.filter(
            account=account,
            kind=JobKind.DISABLE_ACCOUNT,
            status__in=[JobStatus.PENDING, JobStatus.RUNNING],
        ).exists()
        if not queued:
            outbox.create_job(
                JobKind.DISABLE_ACCOUNT,
                application=account.application,
                account=account,
                identity=person,
                reason=reason,
                created_by=by,
            )


# --- periodic transitions -----------------------------------------------------------


def expire_pending_request(request_id: int, *, cutoff: datetime) -> bool:
    """Close a request still pending since before `cutoff`; False when decided since."""
    with transaction.atomic():
        access_request = (
            AccessRequest.objects.select_for_update().filter(pk=request_id).first()
        )
        if access_request is None or access_request.state != RequestState.PENDING:
            return False
        if access_request.created_at > cutoff:
            return False
        close_request(
            access_request,
            RequestState.EXPIRED,
            None,
            f"No decision since {access_request.created_at:%Y-%m-%d}: the request expired",
        )
    return True


def escalate_step(step_id: int) -> bool:
    """Add the fallback approver (else the admins) to an overdue open step, once."""
    with transaction.atomic():
        step = (
            ApprovalStep.objects.select_for_update(of=("self",))
            .select_related("request__policy")
            .filter(pk=step_id, state=StepState.OPEN, escalated_at__isnull=True)
            .first()
        )
        if step is None or step.request.state != RequestState.PENDING:
            return False
        access_request = step.request
        excluded = {access_request.requester_id, access_request.beneficiary_id}
        excluded |= set(step.approvers.values_list("pk", flat=True))
        added = policies.fallback_approvers(access_request.policy, excluded=excluded)
        step.approvers.add(*added)
        step.escalated_at = timezone.now()
        step.save(update_fields=["escalated_at"])
        names = ", ".join(p.label for p in added) or "nobody (no fallback approver)"
        audit.record(
            "step.escalated",
            target=step,
            request=access_request,
            after={"added": [p.pk for p in added]},
            message=f"No decision in time: escalated to {names}",
        )
        if added:
            recipients = [p.pk for p in added]
            notifications.on_commit(notifications.decision_needed, step.pk, recipients)
    return True


def close_requests_for_vanished_entitlements() -> int:
    """Close requests and grants whose entitlement was removed from Atlassian."""
    vanished = Entitlement.objects.filter(removed_at__isnull=False)
    closed = 0
    pending = AccessRequest.objects.filter(
        entitlement__in=vanished, state=RequestState.PENDING
    )
    for request_id in pending.values_list("pk", flat=True):
        closed += _close_vanished_request(request_id)
    grants = Grant.objects.endable().filter(entitlement__in=vanished)
    for grant_id in grants.values_list("pk", flat=True):
        closed += _close_vanished_grant(grant_id)
    return closed


def _close_vanished_request(request_id: int) -> int:
    with transaction.atomic():
        access_request = AccessRequest.objects.select_for_update().get(pk=request_id)
        if access_request.state != RequestState.PENDING:
            return 0
        close_request(
            access_request,
            RequestState.CANCELLED,
            None,
            f"{access_request.entitlement.display_name} no longer exists in Atlassian",
        )
    return 1


def _close_vanished_grant(grant_id: int) -> int:
    with transaction.atomic():
        grant = lock_grant(grant_id)
        if grant.state in ENDED_GRANT_STATES:
            return 0
        reason = f"{grant.entitlement.display_name} no longer exists in Atlassian"
        _cancel_unstarted_grant_jobs(grant)
        grant.end_reason = reason
        grant.save(update_fields=["end_reason"])
        if grant.request is not None:
            set_request_state(grant.request, RequestState.ENDED, None, reason)
        finish_removal(grant, GrantState.REVOKED, reason)
    return 1
