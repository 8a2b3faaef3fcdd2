"""Asking for access: a cart of requests, or the extension of a grant.

Part of `approvals.workflow`'s interface (it re-exports these functions). Validation
collects every problem of the cart at once into `InvalidRequest.field_errors`.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from accessportal.models import User
from approvals import audit, policies
from approvals.models import AccessRequest, ApprovalStep, Grant, GrantState
from approvals.transitions import (
    AlreadyDecided,
    InvalidRequest,
    NotAllowed,
    approve_finally,
    lock_grant,
    open_step,
)
from connectors.models import Entitlement

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from approvals.models import Policy


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
            check_may_request(requester, beneficiary, found[entitlement.pk])
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


def check_may_request(requester: User, beneficiary: User, policy: Policy) -> None:
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
        Grant.objects.standing()
        .filter(beneficiary=beneficiary, entitlement=entitlement)
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
    direct = entitlement.assignments.current().filter(account__identity=beneficiary)
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
    _start_approval(access_request, policy)
    return access_request


def _start_approval(access_request: AccessRequest, policy: Policy) -> None:
    """Create the request's approval steps and open the first (or approve at once)."""
    plans = policies.plan_steps(
        policy,
        entitlement=access_request.entitlement,
        beneficiary=access_request.beneficiary,
        requester=access_request.requester,
    )
    if not plans:
        approve_finally(access_request, actor=None, message="Approved automatically")
        return
    for order, plan in enumerate(plans, start=1):
        step = ApprovalStep.objects.create(
            request=access_request,
            order=order,
            rule=plan.rule,
            required_approvals=plan.required_approvals,
        )
        step.approvers.set(plan.approvers)
    open_step(access_request.steps.get(order=1), note=plans[0].note)


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
        check_may_request(requester, beneficiary, policy)
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
