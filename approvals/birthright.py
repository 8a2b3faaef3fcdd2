"""Birthright access for joiners and movers.

A BirthrightRule gives entitlements to the identities whose attribute (department,
job title or organization) has a value. When reconciliation creates identities from
the trusted source, or changes their attributes, `connectors.signals.identities_changed`
arrives here:

- a joiner gets a Grant and a provisioning job for each entitlement its rules give
  (the job creates the Atlassian account first when the person has none);
- a mover loses the birthright grants the old value gave and the new one does not,
  and gains what the new value gives.

Leavers are the workflow's: `connectors.signals.identity_deactivated` →
`approvals.workflow.deactivate_identity` (revokes every grant, disables the account).

Birthright grants are Grants of origin "birthright", without a request. Access the
person asked for (a grant with a request) or that administrators adopted from what
Atlassian already held is never taken away by a move.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import transaction

from accessportal.models import User
from approvals import audit, outbox
from approvals.lifecycle import ENDED_GRANT_STATES, end_grant
from approvals.models import (
    BirthrightAttribute,
    BirthrightRule,
    Grant,
    GrantOrigin,
    GrantState,
    JobKind,
    RequestState,
)
from approvals.transitions import account_of, lock_grant

if TYPE_CHECKING:
    from collections.abc import Iterable

    from connectors.models import Application, Entitlement

logger = logging.getLogger(__name__)


@dataclass
class BirthrightResult:
    """What applying the rules to one identity did: entitlement ids granted and removed."""

    granted: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)


def rules_for(application: Application) -> list[BirthrightRule]:
    """The Application's enabled rules with their entitlements."""
    return list(
        BirthrightRule.objects.enabled()
        .filter(application=application)
        .prefetch_related("entitlements")
    )


def on_identities_changed(
    sender: Any,
    *,
    application: Application,
    created: Iterable[int] = (),
    changed: dict[int, dict[str, Any]] | None = None,
    **kwargs: Any,
) -> None:
    """Reconciliation created or changed identities: apply the birthright rules.

    A failure is logged and never breaks the reconciliation that sent the signal.
    """
    rules = rules_for(application)
    if not rules:
        return
    matched = {rule.attribute for rule in rules}
    people: dict[int, dict[str, Any] | None] = dict.fromkeys(created)
    for identity_id, previous in (changed or {}).items():
        if matched & set(previous):
            people[identity_id] = {k: v for k, v in previous.items() if k in matched}
    for identity_id, previous in people.items():
        try:
            apply_birthright(identity_id, application, rules=rules, previous=previous)
        except Exception:
            logger.exception("Birthright rules failed for identity %s", identity_id)


def apply_birthright(
    identity: User | int,
    application: Application,
    *,
    rules: list[BirthrightRule] | None = None,
    previous: dict[str, Any] | None = None,
    by: User | None = None,
) -> BirthrightResult:
    """Grant what the rules give the identity now; with `previous` attribute values
    (a mover), remove the birthright grants only those values gave.

    Idempotent: what is held (or being granted) is not granted again. One transaction;
    the identity row is locked so two runs for one person do not race.
    """
    rules = rules_for(application) if rules is None else rules
    result = BirthrightResult()
    with transaction.atomic():
        person = User.objects.select_for_update().get(
            pk=identity.pk if isinstance(identity, User) else identity
        )
        if not person.is_active:
            return result  # leavers are handled by deactivate_identity
        current = {
            attribute: getattr(person, attribute)
            for attribute in BirthrightAttribute.values
        }
        wanted = _given(rules, current)
        if previous:
            before = _given(rules, {**current, **previous})
            for entitlement_id in sorted(set(before) - set(wanted)):
                if _remove(person, before[entitlement_id], previous, current, by):
                    result.removed.append(entitlement_id)
        for entitlement_id, (entitlement, names) in sorted(wanted.items()):
            if _grant(person, entitlement, names, by):
                result.granted.append(entitlement_id)
    return result


def apply_rule(rule: BirthrightRule, *, by: User | None = None) -> int:
    """Give a rule's entitlements to the active identities it matches now; how many got some.

    For a rule added after people joined: reconciliation applies rules only on change.
    """
    lookup = {f"{rule.attribute}__iexact": rule.value.strip()}
    people = User.objects.filter(is_active=True, **lookup).values_list("pk", flat=True)
    rules = rules_for(rule.application)
    return sum(
        bool(apply_birthright(pk, rule.application, rules=rules, by=by).granted)
        for pk in people
    )


def _given(
    rules: list[BirthrightRule], values: dict[str, Any]
) -> dict[int, tuple[Entitlement, list[str]]]:
    """Entitlement id → (entitlement, names of the rules giving it) for these values."""
    given: dict[int, tuple[Entitlement, list[str]]] = {}
    for rule in rules:
        if not rule.matches(values):
            continue
        for entitlement in rule.entitlements.all():
            if entitlement.removed_at is None:
                given.setdefault(entitlement.pk, (entitlement, []))[1].append(rule.name)
    return given


def _grant(
    person: User, entitlement: Entitlement, rule_names: list[str], by: User | None
) -> bool:
    held = Grant.objects.open().filter(beneficiary=person, entitlement=entitlement)
    if held.exists():
        return False
    account = account_of(person, entitlement.application_id)
    grant = Grant.objects.create(
        beneficiary=person,
        entitlement=entitlement,
        account=account,
        origin=GrantOrigin.BIRTHRIGHT,
    )
    reason = f"Birthright access ({', '.join(rule_names)})"
    audit.record(
        "grant.birthright",
        target=grant,
        actor=by,
        after={"state": grant.state, "rules": rule_names},
        message=f"{reason}: {entitlement.display_name} for {person.label}",
    )
    outbox.create_job(
        JobKind.GRANT,
        application=entitlement.application,
        grant=grant,
        identity=person,
        entitlement=entitlement,
        account=account,
        reason=reason,
        created_by=by,
    )
    return True


def _remove(
    person: User,
    given: tuple[Entitlement, list[str]],
    previous: dict[str, Any],
    current: dict[str, Any],
    by: User | None,
) -> bool:
    entitlement, rule_names = given
    # A grant extended by a request is the person's own ask now; adopted access is
    # the administrators' decision: neither goes with a move.
    birthright = (
        Grant.objects.endable()
        .filter(
            beneficiary=person,
            entitlement=entitlement,
            origin=GrantOrigin.BIRTHRIGHT,
            request__isnull=True,
        )
        .values_list("pk", flat=True)
    )
    moves = ", ".join(
        f"{name} {previous[name] or '—'} → {current.get(name) or '—'}"
        for name in previous
    )
    removed = False
    for grant_id in birthright:
        grant = lock_grant(grant_id)
        if grant.state in ENDED_GRANT_STATES:  # revoked since the query ran
            continue
        end_grant(
            grant,
            final=GrantState.REVOKED,
            request_state=RequestState.REVOKED,
            actor=by,
            reason=f"Moved ({moves}): birthright access of {', '.join(rule_names)} removed",
        )
        removed = True
    return removed


def connect_signals() -> None:
    """Listen to reconciliation's identity changes (called from AppConfig.ready)."""
    from connectors import signals

    changed = getattr(signals, "identities_changed", None)
    if changed is not None:
        changed.connect(on_identities_changed, dispatch_uid="approvals.birthright")
