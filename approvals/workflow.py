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
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from accessportal.models import User
from approvals import audit, notifications, outbox, policies
from approvals.lifecycle import (
    close_requests_for_vanished_entitlements,
    deactivate_identity,
    escalate_step,
    expire_grant,
    expire_pending_request,
    job_finished,
    job_started,
    retry_job,
    revoke_grant,
)
from approvals.models import (
    AccessRequest,
    ApprovalDecision,
    ApprovalStep,
    Decision,
    Grant,
    GrantState,
    JobKind,
    RequestState,
    StepState,
)
from approvals.transitions import (
    AlreadyDecided,
    InvalidRequest,
    NotAllowed,
    NotFound,
    WorkflowError,
    account_of,
    already_decided_message,
    close_request,
    iso,
    lock_grant,
    lock_request,
    planned_end,
    set_request_state,
)
from connectors.models import Entitlement

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from approvals.models import Policy

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


# --- submitting ---------------------------------------------------------------------


def submit_requests(
    *,
    requester: User,
    entitlements: Iterable[Entitlement | int],
    justification: str,
    beneficiary: User | None = None,
    duration_days: int | None = None,
    ends_at: datetime | None = None,
) -> list[AccessRequest]:
    """Ask for one or several entitlements at once (a cart), all or nothing.

    Raises NotAllowed when the requester may not ask for the beneficiary, and
    InvalidRequest when anything in the cart is refused (held, pending, unknown,
    over the policy's limits, no justification). Auto-approved entitlements go
    straight to provisioning.
    """
    beneficiary = beneficiary or requester
    justification = (justification or "").strip()
    with transaction.atomic():
        # One submission at a time per beneficiary: no duplicate pending requests.
        beneficiary = User.objects.select_for_update().get(pk=beneficiary.pk)
        chosen = _load_entitlements(entitlements)
        found = policies.resolve_policies(chosen)
        for entitlement in chosen:
            _check_may_request(requester, beneficiary, found[entitlement.pk])
        ends = _validate_cart(
            chosen, found, beneficiary, justification, duration_days, ends_at
        )
        created = [
            _create_request(
                requester=requester,
                beneficiary=beneficiary,
                entitlement=entitlement,
                policy=found[entitlement.pk],
                justification=justification,
                duration_days=duration_days,
                ends_at=ends_at,
                planned_end=ends[entitlement.pk],
            )
            for entitlement in chosen
        ]
        batch = created[0].batch
        AccessRequest.objects.filter(pk__in=[r.pk for r in created]).update(batch=batch)
    return created


def _load_entitlements(items: Iterable[Entitlement | int]) -> list[Entitlement]:
    ids: list[int] = []
    for item in items:
        pk = item.pk if isinstance(item, Entitlement) else item
        if isinstance(pk, bool) or not isinstance(pk, int):
            raise InvalidRequest(
                "Entitlements are chosen by id.",
                {"entitlements": [f"{pk!r} is not an entitlement id."]},
            )
        if pk not in ids:
            ids.append(pk)
    if not ids:
        raise InvalidRequest(
            "Choose at least one entitlement.",
            {"entitlements": ["Choose at least one entitlement."]},
        )
    rows = Entitlement.objects.select_related("application", "resource").in_bulk(ids)
    missing = [str(pk) for pk in ids if pk not in rows]
    if missing:
        message = f"No entitlement with id {', '.join(missing)}."
        raise InvalidRequest(message, {"entitlements": [message]})
    return [rows[pk] for pk in ids]


def _check_may_request(requester: User, beneficiary: User, policy: Policy) -> None:
    if requester.pk == beneficiary.pk or requester.is_admin:
        return
    if beneficiary.manager_id == requester.pk:
        if policy.managers_may_request_for_reports:
            return
        raise NotAllowed(
            f"{policy.name} does not let managers request access for their reports."
        )
    raise NotAllowed(
        f"You may request access only for yourself or for your direct reports, "
        f"not for {beneficiary.label}."
    )


def _validate_cart(
    chosen: list[Entitlement],
    found: dict[int, Policy],
    beneficiary: User,
    justification: str,
    duration_days: int | None,
    ends_at: datetime | None,
) -> dict[int, datetime | None]:
    """Field errors for the whole cart at once; returns each entitlement's end."""
    errors: dict[str, list[str]] = defaultdict(list)
    if not beneficiary.is_active:
        errors["beneficiary"].append(f"{beneficiary.label} is no longer active.")
    now = timezone.now()
    ends: dict[int, datetime | None] = {}
    for entitlement in chosen:
        policy = found[entitlement.pk]
        problem = _entitlement_problem(entitlement, beneficiary)
        if problem:
            errors["entitlements"].append(problem)
        if policy.justification_required and not justification:
            errors["justification"].append(
                f"{entitlement.display_name} needs a justification."
            )
        ends[entitlement.pk], limits = policies.access_end(
            policy, now=now, duration_days=duration_days, ends_at=ends_at
        )
        for field, messages in limits.items():
            errors[field] += [m for m in messages if m not in errors[field]]
    if errors:
        raise InvalidRequest(_first_message(errors), dict(errors))
    return ends


def _entitlement_problem(entitlement: Entitlement, beneficiary: User) -> str:
    name, who = entitlement.display_name, beneficiary.label
    if entitlement.removed_at or not entitlement.is_requestable:
        return f"{name} can no longer be requested."
    if not entitlement.application.is_enabled:
        return f"{name} belongs to {entitlement.application}, which is disabled."
    open_grant = (
        Grant.objects.filter(beneficiary=beneficiary, entitlement=entitlement)
        .exclude(state__in=[GrantState.REVOKED, GrantState.EXPIRED, GrantState.FAILED])
        .first()
    )
    if open_grant and open_grant.state == GrantState.REVOKING:
        return (
            f"{name} is being removed from {who}; request it again once that is done."
        )
    if open_grant:
        return f"{who} already holds {name}."
    pending = AccessRequest.objects.filter(
        beneficiary=beneficiary, entitlement=entitlement, extends_grant__isnull=True
    ).open()
    if (first := pending.first()) is not None:
        return f"{name} is already requested for {who} (request #{first.pk}, {first.get_state_display().lower()})."
    direct = entitlement.assignments.current().filter(
        account__identity=beneficiary, via_group__isnull=True
    )
    if direct.exists():
        return f"Atlassian shows that {who} already holds {name}."
    return ""


def _first_message(errors: dict[str, list[str]]) -> str:
    return next(iter(errors.values()))[0]


def _create_request(
    *,
    requester: User,
    beneficiary: User,
    entitlement: Entitlement,
    policy: Policy,
    justification: str,
    duration_days: int | None,
    ends_at: datetime | None,
    planned_end: datetime | None,
    extends_grant: Grant | None = None,
) -> AccessRequest:
    if duration_days is None and ends_at is None and planned_end is not None:
        duration_days = policy.default_duration_days or policy.max_duration_days
    access_request = AccessRequest.objects.create(
        requester=requester,
        beneficiary=beneficiary,
        entitlement=entitlement,
        policy=policy if policy.pk else None,
        justification=justification,
        duration_days=duration_days,
        ends_at=ends_at,
        extends_grant=extends_grant,
    )
    audit.record(
        "request.submitted",
        target=access_request,
        actor=requester,
        request=access_request,
        after={
            "state": access_request.state,
            "policy": policy.name,
            "ends_at": planned_end.isoformat() if planned_end else None,
        },
        message=justification,
    )
    plans = policies.plan_steps(
        policy, entitlement=entitlement, beneficiary=beneficiary, requester=requester
    )
    if not plans:
        _approve_finally(access_request, actor=None, message="Approved automatically")
        return access_request
    for order, plan in enumerate(plans, start=1):
        step = ApprovalStep.objects.create(
            request=access_request,
            order=order,
            rule=plan.rule,
            required_approvals=plan.required_approvals,
        )
        step.approvers.set(plan.approvers)
    _open_step(access_request.steps.get(order=1), note=plans[0].note)
    return access_request


def _open_step(step: ApprovalStep, *, note: str = "") -> None:
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
        _open_step(next_step)
        return
    later.update(state=StepState.SKIPPED)
    _approve_finally(access_request, actor=approver, message=comment)


def _approve_finally(
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
    open_grant = Grant.objects.filter(
        beneficiary=access_request.beneficiary_id,
        entitlement=entitlement,
        state__in=[GrantState.PENDING, GrantState.ACTIVE, GrantState.REVOKING],
    ).first()
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


# --- cancelling and extending -------------------------------------------------------


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


def request_extension(
    grant_id: int,
    *,
    requester: User,
    justification: str,
    duration_days: int | None = None,
    ends_at: datetime | None = None,
) -> AccessRequest:
    """Ask to keep a time-bound grant longer; approved like a new request."""
    justification = (justification or "").strip()
    with transaction.atomic():
        grant = lock_grant(grant_id)
        beneficiary = grant.beneficiary
        policy = policies.resolve_policy(grant.entitlement)
        _check_may_request(requester, beneficiary, policy)
        if grant.state not in (GrantState.PENDING, GrantState.ACTIVE):
            raise AlreadyDecided(
                f"Grant #{grant.pk} is {grant.get_state_display().lower()}: request the access anew."
            )
        if grant.extensions.open().exists():
            raise InvalidRequest(
                f"An extension of grant #{grant.pk} is already pending.",
                {"grant": [f"An extension of grant #{grant.pk} is already pending."]},
            )
        errors: dict[str, list[str]] = {}
        if policy.justification_required and not justification:
            errors["justification"] = ["An extension needs a justification."]
        end, limits = policies.access_end(
            policy, now=timezone.now(), duration_days=duration_days, ends_at=ends_at
        )
        errors.update(limits)
        if errors:
            raise InvalidRequest(_first_message(errors), errors)
        return _create_request(
            requester=requester,
            beneficiary=beneficiary,
            entitlement=grant.entitlement,
            policy=policy,
            justification=justification,
            duration_days=duration_days,
            ends_at=ends_at,
            planned_end=end,
            extends_grant=grant,
        )
