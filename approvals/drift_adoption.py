"""Adopting existing access: unmanaged drift becomes portal grants, without a job.

After the first check of an organization whose access was given before the portal,
every direct assignment is an open unmanaged finding. Adopting one records that access
as a Grant of origin "adopted", active at once (Atlassian already holds it, so no
provisioning job), resolves the finding as adopted (linked to the grant) and audits it
as "drift.adopted". From then on the grant explains the access: the drift check leaves
it alone, and revoking the grant removes it through the normal provisioning path.

`adopt_finding` adopts one finding and says why it cannot. `adopt_findings` adopts a
set (an admin's selection, or with `adopt_open_findings` every open unmanaged finding of
an Application) in set-based statements over windows of finding ids: per window an
INSERT … SELECT of grants, an UPDATE of findings and an INSERT … SELECT of audit events,
in one transaction. Both go through the same statements, so one adoption looks the
same in the database and the audit trail whichever way it was made.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import (
    BigIntegerField,
    CharField,
    DateTimeField,
    F,
    JSONField,
    Max,
    Min,
    OuterRef,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat, JSONObject, Left, NullIf
from django.utils import timezone

from approvals import audit
from approvals.drift_actions import lock_open_finding
from approvals.drift_sql import first_id, insert_select, refresh_statistics
from approvals.models import (
    AuditEvent,
    DriftFinding,
    DriftKind,
    DriftStatus,
    Grant,
    GrantOrigin,
    GrantState,
)
from approvals.transitions import AlreadyDecided, InvalidRequest, NotAllowed
from connectors.models import Application, Assignment

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from django.db.models import QuerySet

    from accessportal.models import User

logger = logging.getLogger(__name__)
# Finding ids per statement: a window of 5,000 takes a fraction of a second, well
# inside the 30 s the web waits for SQLite's write lock.
WINDOW = 5000
RESOLUTION = "Adopted: the access Atlassian held is now a portal grant"


@dataclass(frozen=True)
class AdoptionSummary:
    """What an adoption did: findings adopted, and open unmanaged ones left open."""

    adopted: int
    left_open: int


# --- one finding -------------------------------------------------------------------


def adopt_finding(finding_id: int, *, by: User) -> Grant:
    """Turn an open unmanaged finding into an active Grant of origin "adopted".

    Locks the finding. Raises NotAllowed (not an admin), AlreadyDecided (no longer
    open, or a grant already stands for the access) or InvalidRequest (missing access,
    no active identity behind the account, or Atlassian no longer shows the access);
    a refusal changes nothing.
    """
    if not by.is_admin:
        raise NotAllowed("Only an administrator may adopt existing access.")
    with transaction.atomic():
        finding = lock_open_finding(finding_id)
        _check_adoptable(finding)
        adopted = _adopt_window(
            DriftFinding.objects.filter(pk=finding.pk),
            (finding.pk, finding.pk + 1),
            applications=[finding.application_id],
            by=by,
            now=timezone.now(),
        )
        if not adopted:  # the checks above passed: only a race gets here
            raise AlreadyDecided(f"Drift finding #{finding.pk} could not be adopted.")
        finding.refresh_from_db(fields=["status", "grant"])
    return finding.grant


def _check_adoptable(finding: DriftFinding) -> None:
    """Raise, with a reason a person can act on, unless the finding can be adopted."""
    if finding.kind != DriftKind.UNMANAGED:
        raise InvalidRequest(
            f"Drift finding #{finding.pk} is missing access: only access Atlassian "
            "holds can be adopted. Correct (re-grant) or dismiss it."
        )
    account, entitlement = finding.account, finding.entitlement
    person = account.identity if account else None
    if person is None:
        raise InvalidRequest(
            f"{account} is not linked to a portal identity: a grant needs one. "
            "Link the account, or correct or dismiss the finding."
        )
    if not person.is_active:
        raise InvalidRequest(
            f"{person.label} is deactivated: correct this finding (remove the "
            "access) instead of adopting it."
        )
    held = Assignment.objects.filter(
        account=account, entitlement=entitlement, ended_at__isnull=True
    )
    if account.removed_at or entitlement.removed_at or not held.exists():
        raise InvalidRequest(
            f"Atlassian no longer shows {entitlement} for {account} (last "
            "reconciliation): there is nothing to adopt."
        )
    standing = (
        Grant.objects.standing().filter(beneficiary=person, entitlement=entitlement)
    ).first()
    if standing is not None:
        raise AlreadyDecided(
            f"{person.label} already has {entitlement} (grant #{standing.pk}, "
            f"{standing.get_state_display().lower()}); the next drift check "
            "resolves this finding."
        )


# --- many findings -----------------------------------------------------------------


def adopt_open_findings(
    application: Application,
    *,
    by: User,
    entitlement_kind: str = "",
    reason: str = "",
    on_progress: Callable[[int, int, int], None] | None = None,
) -> AdoptionSummary:
    """Adopt every open unmanaged finding of the Application (or of one entitlement
    kind); one summary audit event ("drift.adopted_all") besides one per finding."""
    findings = DriftFinding.objects.filter(application=application)
    if entitlement_kind:
        findings = findings.filter(entitlement__kind=entitlement_kind)
    summary = adopt_findings(findings, by=by, on_progress=on_progress)
    scope = f" of kind {entitlement_kind}" if entitlement_kind else ""
    message = (
        f"Adopted {summary.adopted} open unmanaged finding(s){scope} as portal "
        f"grants; {summary.left_open} left open."
    )
    audit.record(
        "drift.adopted_all",
        target=application,
        actor=by,
        after={
            "adopted": summary.adopted,
            "left_open": summary.left_open,
            "entitlement_kind": entitlement_kind,
        },
        message=f"{message} {reason.strip()}".strip(),
    )
    logger.info("Application %s: %s", application.pk, message)
    return summary


def adopt_findings(
    findings: QuerySet[DriftFinding],
    *,
    by: User | None,
    on_progress: Callable[[int, int, int], None] | None = None,
) -> AdoptionSummary:
    """Adopt the adoptable ones among `findings`, a window of ids per transaction.

    Idempotent: what was adopted is no longer open, so running it again adopts only
    what is left. `on_progress(examined, total, adopted)` counts open unmanaged
    findings. Findings that cannot be adopted stay open (see `why_left_open`).
    `by=None` is the system: the drift baseline (`approvals.drift_baseline`).
    """
    if by is not None and not by.is_admin:
        raise NotAllowed("Only an administrator may adopt existing access.")
    pending = findings.filter(kind=DriftKind.UNMANAGED, status=DriftStatus.OPEN)
    bounds = pending.aggregate(low=Min("pk"), high=Max("pk"))
    total = pending.count()
    if bounds["low"] is None:
        return AdoptionSummary(adopted=0, left_open=0)
    if total > WINDOW:
        refresh_statistics(DriftFinding, Grant)
    # Asked once: per window, SQLite would read every finding of the application.
    applications = sorted(
        set(pending.order_by().values_list("application_id", flat=True).distinct())
    )
    now, examined, adopted = timezone.now(), 0, 0
    for low in range(bounds["low"], bounds["high"] + 1, WINDOW):
        window = (low, low + WINDOW)
        part = findings.filter(pk__gte=low, pk__lt=low + WINDOW)
        with transaction.atomic():
            examined += pending.filter(pk__gte=low, pk__lt=low + WINDOW).count()
            adopted += _adopt_window(
                part, window, applications=applications, by=by, now=now
            )
        if on_progress is not None:
            on_progress(examined, total, adopted)
    return AdoptionSummary(adopted=adopted, left_open=pending.count())


def adoptable(
    findings: QuerySet[DriftFinding], *, adopting_at: datetime | None = None
) -> QuerySet[DriftFinding]:
    """The open unmanaged findings among `findings` that can become grants: the account
    belongs to an active identity, Atlassian still shows the access (as of the last
    reconciliation), and no grant stands for it yet (except one the adoption started
    `adopting_at` made, for someone's second account holding the same access)."""
    held = Assignment.objects.filter(
        account=OuterRef("account"),
        entitlement=OuterRef("entitlement"),
        ended_at__isnull=True,
    )
    granted = Grant.objects.standing().filter(
        beneficiary=OuterRef("account__identity"), entitlement=OuterRef("entitlement")
    )
    if adopting_at is not None:
        granted = granted.exclude(origin=GrantOrigin.ADOPTED, adopted_at=adopting_at)
    return (
        findings.filter(
            kind=DriftKind.UNMANAGED,
            status=DriftStatus.OPEN,
            account__removed_at__isnull=True,
            account__identity__is_active=True,
            entitlement__removed_at__isnull=True,
        )
        .alias(held=first_id(held), granted=first_id(granted))
        .filter(held__isnull=False, granted__isnull=True)
    )


def why_left_open(findings: QuerySet[DriftFinding]) -> list[tuple[str, int]]:
    """The open unmanaged findings among `findings`, counted by what adopting them
    would do: ("can be adopted", n) first, then each reason they cannot."""
    pending = findings.filter(kind=DriftKind.UNMANAGED, status=DriftStatus.OPEN)
    granted = Grant.objects.standing().filter(
        beneficiary=OuterRef("account__identity"), entitlement=OuterRef("entitlement")
    )
    counts = [
        ("can be adopted", adoptable(pending).count()),
        (
            "the account is not linked to a portal identity",
            pending.filter(account__identity__isnull=True).count(),
        ),
        (
            "the person is deactivated (correct these instead)",
            pending.filter(account__identity__is_active=False).count(),
        ),
        (
            "a grant already stands for the access (the next check resolves these)",
            pending.alias(granted=first_id(granted))
            .filter(granted__isnull=False, account__identity__is_active=True)
            .count(),
        ),
    ]
    gone = pending.count() - sum(n for _, n in counts)
    counts.append(("Atlassian no longer shows the access", gone))
    return [(text, n) for text, n in counts if n > 0]


# --- the statements ----------------------------------------------------------------


def _adopt_window(
    findings: QuerySet[DriftFinding],
    window: tuple[int, int],
    *,
    applications: list[int],
    by: User | None,
    now: datetime,
) -> int:
    """Adopt the adoptable findings among `findings` (all within `window`, a range of
    finding ids, and of `applications`): insert their grants, resolve them linked to
    the grant, audit them. Returns how many were adopted."""
    # Two adoptions at once (a second click, a shell next to the admin) would both
    # find no grant for an access and both insert one: holding the Application rows
    # makes them take turns, window by window. (SQLite's transactions already do.)
    locked = Application.objects.select_for_update().filter(pk__in=applications)
    list(locked.order_by("pk").values_list("pk", flat=True))
    candidates = adoptable(findings, adopting_at=now)
    # One grant per person and entitlement: someone with two accounts holding the
    # same access has two findings; the first makes the grant, both are adopted.
    standing = Grant.objects.standing().filter(
        beneficiary=OuterRef("account__identity"), entitlement=OuterRef("entitlement")
    )
    earlier = candidates.filter(
        pk__lt=OuterRef("pk"),
        entitlement=OuterRef("entitlement"),
        account__identity=OuterRef("account__identity"),
    )
    moment = Value(now, output_field=DateTimeField())
    insert_select(
        Grant,
        candidates.alias(standing=first_id(standing), earlier=first_id(earlier)).filter(
            standing__isnull=True, earlier__isnull=True
        ),
        {
            "beneficiary": F("account__identity"),
            "entitlement": F("entitlement_id"),
            "account": F("account_id"),
            "state": Value(GrantState.ACTIVE.value),
            "origin": Value(GrantOrigin.ADOPTED.value),
            "adopted_by": _user_id(by),
            "adopted_at": moment,
            "starts_at": moment,
            "activated_at": moment,
        },
    )
    made = Grant.objects.filter(
        origin=GrantOrigin.ADOPTED,
        adopted_at=now,
        beneficiary__atlassian_accounts=OuterRef("account"),
        entitlement=OuterRef("entitlement"),
    )
    adopted = (
        findings.filter(kind=DriftKind.UNMANAGED, status=DriftStatus.OPEN)
        .alias(made=first_id(made))
        .filter(made__isnull=False)
        .update(
            status=DriftStatus.ADOPTED,
            resolved_at=now,
            resolution=RESOLUTION,
            grant=first_id(made),
        )
    )
    if not adopted:
        return 0
    just_adopted = DriftFinding.objects.filter(
        pk__gte=window[0], pk__lt=window[1], status=DriftStatus.ADOPTED, resolved_at=now
    )
    _audit_adopted(just_adopted, by=by, now=now)
    return adopted


def _audit_adopted(
    just_adopted: QuerySet[DriftFinding], *, by: User | None, now: datetime
) -> None:
    """One "drift.adopted" event per finding just adopted, as `audit.record` would
    write it (target label as str(finding))."""
    account = Coalesce(
        NullIf(F("account__display_name"), Value("")),
        NullIf(F("account__email"), Value("")),
        F("account__account_id"),
        output_field=CharField(),
    )
    label = Concat(
        Value("Unmanaged: "),
        F("entitlement__display_name"),
        Value(" · "),
        account,
        output_field=CharField(),
    )
    message = Concat(
        Value("Existing access adopted as grant #"),
        Cast("grant_id", output_field=CharField()),
        Value(" (no provisioning: Atlassian already holds it)"),
        output_field=CharField(),
    )
    insert_select(
        AuditEvent,
        just_adopted,
        {
            "at": Value(now, output_field=DateTimeField()),
            "actor": _user_id(by),
            "actor_label": Value(audit.actor_label(by)[:200]),
            "action": Value("drift.adopted"),
            "target_type": Value(DriftFinding._meta.label),
            "target_id": Cast("pk", output_field=CharField()),
            "target_label": Left(label, 300),
            "before": Value({"status": DriftStatus.OPEN.value}, JSONField()),
            "after": JSONObject(status=Value(DriftStatus.ADOPTED.value), grant="grant"),
            "message": message,
        },
    )


def _user_id(by: User | None) -> Cast:
    """The acting user's id as a typed SQL value: PostgreSQL reads a bare NULL as text
    in a staged INSERT … SELECT (the system, `by=None`, adopts for the baseline)."""
    return Cast(Value(by.pk if by else None), output_field=BigIntegerField())
