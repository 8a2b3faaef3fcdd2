"""Which policy governs an entitlement, who approves under it, and its limits.

A policy is resolved per entitlement, else per resource (project or space), else per
entitlement kind, else the default policy; when nothing is configured an unsaved
default applies (the manager approves, justification required). Nobody ever approves
a request they made or that is for them: such people are taken out of every step, and
an emptied step falls to the policy's fallback approver, else to the administrators.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db.models import Q

from accessportal.models import User
from approvals.models import ApprovalRule, Policy

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from connectors.models import Entitlement

DEFAULT_POLICY_NAME = "Default: the manager approves"


def default_policy() -> Policy:
    """The built-in policy used when none is configured (never saved)."""
    return Policy(
        name=DEFAULT_POLICY_NAME,
        is_default=True,
        rule=ApprovalRule.MANAGER,
        justification_required=True,
    )


def resolve_policy(entitlement: Entitlement) -> Policy:
    """The policy governing `entitlement`; never None."""
    return resolve_policies([entitlement])[entitlement.pk]


def resolve_policies(entitlements: Iterable[Entitlement]) -> dict[int, Policy]:
    """Policies for many entitlements in one query, keyed by entitlement id."""
    entitlements = list(entitlements)
    resource_ids = {e.resource_id for e in entitlements if e.resource_id}
    candidates = Policy.objects.filter(
        Q(entitlement__in=[e.pk for e in entitlements])
        | Q(resource__in=resource_ids)
        | Q(kind__in={e.kind for e in entitlements})
        | Q(is_default=True)
    ).select_related("approver_group", "fallback_approver", "entitlement")
    by_entitlement, by_resource, by_kind, default = {}, {}, {}, None
    for policy in candidates:
        if policy.entitlement_id:
            by_entitlement[policy.entitlement_id] = policy
        elif policy.resource_id:
            by_resource[policy.resource_id] = policy
        elif policy.kind:
            by_kind[policy.kind] = policy
        elif policy.is_default:
            default = policy
    fallback = default or default_policy()
    return {
        e.pk: by_entitlement.get(e.pk)
        or by_resource.get(e.resource_id)
        or by_kind.get(e.kind)
        or fallback
        for e in entitlements
    }


# --- who approves -------------------------------------------------------------------


@dataclass(frozen=True)
class StepPlan:
    """One approval stage to open for a request: its rule, approvers and quorum."""

    rule: str
    approvers: tuple[User, ...]
    required_approvals: int = 1
    note: str = ""


def administrators() -> list[User]:
    """Active portal administrators."""
    return list(
        User.objects.filter(is_active=True)
        .filter(Q(is_staff=True) | Q(is_superuser=True))
        .order_by("pk")
    )


def entitlement_owner(entitlement: Entitlement) -> User | None:
    """The entitlement's owner, else its project's or space's owner."""
    if entitlement.owner_id:
        return entitlement.owner
    if entitlement.resource_id and entitlement.resource.owner_id:
        return entitlement.resource.owner
    return None


def plan_steps(
    policy: Policy, *, entitlement: Entitlement, beneficiary: User, requester: User
) -> list[StepPlan]:
    """The approval stages a request under `policy` goes through; empty = automatic."""
    rule = policy.rule
    excluded = {requester.pk, beneficiary.pk}
    if rule == ApprovalRule.AUTO:
        return []
    raw: list[tuple[str, list[User | None], int]]
    if rule == ApprovalRule.MANAGER:
        raw = [(rule, [beneficiary.manager], 1)]
    elif rule == ApprovalRule.OWNER:
        raw = [(rule, [entitlement_owner(entitlement)], 1)]
    elif rule == ApprovalRule.MANAGER_THEN_OWNER:
        raw = [
            (ApprovalRule.MANAGER, [beneficiary.manager], 1),
            (ApprovalRule.OWNER, [entitlement_owner(entitlement)], 1),
        ]
    elif rule == ApprovalRule.GROUP:
        members = (
            list(policy.approver_group.user_set.all()) if policy.approver_group else []
        )
        raw = [(rule, members, 1)]
    elif rule == ApprovalRule.N_OF_M:
        approvers = list(policy.approvers.all()) if policy.pk else []
        raw = [(rule, approvers, max(1, policy.required_approvals))]
    else:
        raw = [(ApprovalRule.ADMINS, list(administrators()), 1)]
    return [
        _eligible_step(policy, rule, people, required, excluded)
        for rule, people, required in raw
    ]


def _eligible_step(
    policy: Policy,
    rule: str,
    people: list[User | None],
    required: int,
    excluded: set[int],
) -> StepPlan:
    """Drop the absent, the inactive and the parties; fill a short step with fallbacks."""
    eligible = _unique_active(people, excluded)
    note = ""
    if len(eligible) < required:
        fallbacks = _unique_active(
            [policy.fallback_approver], excluded | _ids(eligible)
        )
        if not fallbacks:
            fallbacks = _unique_active(administrators(), excluded | _ids(eligible))
            note = "no eligible approver: the administrators decide"
        else:
            note = "no eligible approver: the fallback approver decides"
        eligible += fallbacks if not eligible else fallbacks[: required - len(eligible)]
    return StepPlan(
        rule=rule,
        approvers=tuple(eligible),
        required_approvals=max(1, min(required, len(eligible))),
        note=note,
    )


def _unique_active(people: Iterable[User | None], excluded: set[int]) -> list[User]:
    seen: set[int] = set()
    result = []
    for person in people:
        if person is None or not person.is_active or person.pk in excluded:
            continue
        if person.pk not in seen:
            seen.add(person.pk)
            result.append(person)
    return result


def _ids(people: Iterable[User]) -> set[int]:
    return {p.pk for p in people}


def fallback_approvers(policy: Policy | None, *, excluded: set[int]) -> list[User]:
    """Who an overdue step escalates to: the fallback approver, else the administrators."""
    fallback = policy.fallback_approver if policy and policy.pk else None
    found = _unique_active([fallback], excluded)
    return found or _unique_active(administrators(), excluded)


# --- summaries ------------------------------------------------------------------------


def approvers_summary(
    policy: Policy,
    *,
    beneficiary: User | None = None,
    entitlement: Entitlement | None = None,
) -> str:
    """Who decides, in words: "Bob Nguyen (manager), then the owner"."""
    entitlement = entitlement or (policy.entitlement if policy.entitlement_id else None)
    manager = beneficiary.manager if beneficiary and beneficiary.manager_id else None
    owner = entitlement_owner(entitlement) if entitlement else None
    manager_text = f"{manager.label} (manager)" if manager else "the manager"
    owner_text = f"{owner.label} (owner)" if owner else "the owner"
    rule = policy.rule
    if rule == ApprovalRule.AUTO:
        return "Approved automatically"
    if rule == ApprovalRule.MANAGER:
        return manager_text
    if rule == ApprovalRule.OWNER:
        return owner_text
    if rule == ApprovalRule.MANAGER_THEN_OWNER:
        return f"{manager_text}, then {owner_text}"
    if rule == ApprovalRule.GROUP:
        group = policy.approver_group.name if policy.approver_group_id else "a group"
        return f"Any member of {group}"
    if rule == ApprovalRule.N_OF_M:
        names = sorted(p.label for p in policy.approvers.all()) if policy.pk else []
        return f"{policy.required_approvals} of {', '.join(names) or 'the approvers'}"
    return "A portal administrator"


# --- limits -------------------------------------------------------------------------


def access_end(
    policy: Policy,
    *,
    now: datetime,
    duration_days: int | None,
    ends_at: datetime | None,
) -> tuple[datetime | None, dict[str, list[str]]]:
    """When requested access would end, and field errors against the policy's limits."""
    errors: dict[str, list[str]] = {}
    if duration_days is not None and ends_at is not None:
        errors["ends_at"] = ["Give a duration or an end date, not both."]
        return None, errors
    if duration_days is None and ends_at is None:
        duration_days = policy.default_duration_days or policy.max_duration_days
    if duration_days is not None:
        if duration_days < 1:
            errors["duration_days"] = ["The duration must be at least one day."]
            return None, errors
        ends_at = now + timedelta(days=duration_days)
    if ends_at is None:
        return None, errors
    if ends_at <= now:
        errors["ends_at"] = ["The end date must be in the future."]
    limit = policy.max_duration_days
    if limit and ends_at > now + timedelta(days=limit, minutes=1):
        field = "duration_days" if duration_days is not None else "ends_at"
        errors[field] = [f"{policy.name} allows at most {limit} days of access."]
    return ends_at, errors
