"""Drift: where Atlassian and the portal's grants disagree, found after reconciliation.

*Unmanaged*: a user holds an entitlement directly in Atlassian and no portal grant
explains it. *Missing*: an active grant whose access Atlassian no longer shows
(`Grant.is_missing`). Each is stored as a DriftFinding that admins list, correct or
dismiss (`approvals.drift_actions`). Under an Application's `drift_policy` "correct",
every open finding is corrected at once, unless there are more than
DRIFT_AUTO_CORRECT_LIMIT (then none is, and an audit event says so); a correction is
always an audited ProvisioningJob (re-grant the missing, revoke the unmanaged).
An Application that adopts existing access takes its baseline first, once
(`approvals.drift_baseline`), and that check corrects nothing.

The checks are set-based SQL (new findings by INSERT … SELECT, resolutions by
UPDATE), so an organization with millions of assignments costs a few statements,
not a loop over rows. Only complete runs are checked (no scope filter, no `only`):
absence in a partial run proves nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    DateTimeField,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    Value,
)
from django.utils import timezone

from approvals import audit
from approvals.drift_actions import correct_open_findings
from approvals.drift_baseline import take_baseline
from approvals.drift_sql import insert_select
from approvals.lifecycle import (
    close_requests_for_vanished_entitlements,
    deactivate_identity,
)
from approvals.models import (
    STANDING_GRANT_STATES,
    DriftFinding,
    DriftKind,
    DriftStatus,
    Grant,
    GrantState,
)
from connectors.base import EntitlementKind
from connectors.models import Assignment, DriftPolicy

if TYPE_CHECKING:
    from datetime import datetime

    from django.db.models import QuerySet

    from accessportal.models import User
    from connectors.models import Application, ReconciliationRun

logger = logging.getLogger(__name__)
BATCH = 2000
SLICE_ACCOUNTS = 5000  # ~100k assignments: about a second of SQLite's write lock


@dataclass(frozen=True)
class DriftSummary:
    """What one drift check found and did."""

    unmanaged: int
    missing: int
    resolved: int
    corrections: int
    adopted: int = 0  # by the baseline (`approvals.drift_baseline`)


# --- listening to the catalog -------------------------------------------------------


def on_reconciliation_finished(
    sender: Any, *, run: ReconciliationRun, **kwargs: Any
) -> None:
    """After a successful complete run: check drift, close what vanished."""
    if run.status != "succeeded" or run.scope or run.only:
        logger.info(
            "Drift check skipped for run %s (not a complete successful run)", run.pk
        )
        return
    summary = check_drift(run.application, run=run)
    closed = close_requests_for_vanished_entitlements()
    logger.info(
        "Run %s drift: %s unmanaged, %s missing, %s resolved, %s corrections, "
        "%s adopted by the baseline; %s closed",
        run.pk,
        summary.unmanaged,
        summary.missing,
        summary.resolved,
        summary.corrections,
        summary.adopted,
        closed,
    )


def on_identity_deactivated(sender: Any, *, identity: User, **kwargs: Any) -> None:
    """The trusted source reported the person gone: run the leaver flow."""
    deactivate_identity(identity, by=None)


def connect_signals() -> None:
    """Subscribe to the catalog's signals (called from AppConfig.ready)."""
    from connectors import signals

    signals.reconciliation_finished.connect(
        on_reconciliation_finished, dispatch_uid="approvals.drift.reconciliation"
    )
    signals.identity_deactivated.connect(
        on_identity_deactivated, dispatch_uid="approvals.drift.leaver"
    )


# --- checking -----------------------------------------------------------------------


def check_drift(
    application: Application, *, run: ReconciliationRun | None = None
) -> DriftSummary:
    """Compare the catalog's assignments with grants; store, take the baseline when
    due, and (per policy) correct."""
    now = timezone.now()
    since = (run.started_at if run and run.started_at else None) or now
    unmanaged, resolved = _check_unmanaged(application, run, since, now)
    missing, resolved_missing = _check_missing(application, run, since, now)
    # The baseline first, and no correction in the check that takes it: under the
    # policy "correct" (within DRIFT_AUTO_CORRECT_LIMIT) the access Atlassian held
    # before the portal would otherwise be revoked before it could be adopted, and
    # what the baseline leaves open deserves an admin's look before a revocation.
    baseline = take_baseline(application)
    corrections = 0
    if baseline is None and application.drift_policy == DriftPolicy.CORRECT:
        corrections = correct_open_findings(application)
    adopted = baseline.adopted if baseline else 0
    return DriftSummary(
        unmanaged, missing, resolved + resolved_missing, corrections, adopted
    )


def unmanaged_assignments(application: Application, since: datetime) -> Any:
    """Direct user assignments no grant explains (grants ended after `since` still do)."""
    explaining = Grant.objects.filter(
        beneficiary=OuterRef("account__identity"), entitlement=OuterRef("entitlement")
    ).filter(Q(state__in=STANDING_GRANT_STATES) | Q(ended_at__gte=since))
    # Confluence adds "read/space" when granting any space permission: a provisioned
    # side effect is explained by a held grant in the same space.
    side_effect = Grant.objects.filter(
        beneficiary=OuterRef("account__identity"),
        entitlement__resource=OuterRef("entitlement__resource"),
        state__in=STANDING_GRANT_STATES,
    )
    return (
        Assignment.objects.filter(
            application=application,
            ended_at__isnull=True,
            account__isnull=False,
            account__account_type="atlassian",
            entitlement__removed_at__isnull=True,
        )
        .exclude(account__email__iexact=application.admin_email)
        .exclude(
            entitlement__kind=EntitlementKind.GROUP,
            entitlement__name__in=list(application.default_groups or []),
        )
        .exclude(Exists(explaining))
        .exclude(Q(origin="provisioned") & Exists(side_effect))
    )


def _check_unmanaged(
    application: Application,
    run: ReconciliationRun | None,
    since: datetime,
    now: datetime,
) -> tuple[int, int]:
    found = unmanaged_assignments(application, since)
    same = found.filter(
        account=OuterRef("account"), entitlement=OuterRef("entitlement")
    )
    open_findings = DriftFinding.objects.filter(
        application=application, kind=DriftKind.UNMANAGED, status=DriftStatus.OPEN
    )
    resolved = open_findings.exclude(Exists(same)).update(
        status=DriftStatus.RESOLVED,
        resolved_at=now,
        resolution="No longer held in Atlassian, or now explained by a grant",
    )
    open_findings.update(last_found_at=now, run=run)
    known = DriftFinding.objects.remembered().filter(
        kind=DriftKind.UNMANAGED,
        account=OuterRef("account"),
        entitlement=OuterRef("entitlement"),
    )
    fresh = found.exclude(Exists(known))
    return _insert_unmanaged(application, fresh, run, now), resolved


def _insert_unmanaged(
    application: Application,
    fresh: QuerySet[Assignment],
    run: ReconciliationRun | None,
    now: datetime,
) -> int:
    """Create the new unmanaged findings; on SQLite a slice of accounts at a time.

    SQLite has one write lock and the web waits at most 30 s for it: one statement
    for millions of findings would hold it for about as long. Slices of accounts are
    independent (a finding is per account and entitlement). PostgreSQL locks rows, and
    would hash every open finding again for each slice: one statement there.
    """
    if connection.vendor != "sqlite":
        return _insert(application, DriftKind.UNMANAGED, fresh, run, now)
    # Over all assignments, one aggregate per query: SQLite then reads each end of
    # the index on account, and the range covers every account this application's
    # assignments may name.
    first = Assignment.objects.aggregate(low=Min("account"))["low"]
    last = Assignment.objects.aggregate(high=Max("account"))["high"]
    if first is None:
        return 0
    created = 0
    for low in range(first, last + 1, SLICE_ACCOUNTS):
        part = fresh.filter(account_id__gte=low, account_id__lt=low + SLICE_ACCOUNTS)
        created += _insert(application, DriftKind.UNMANAGED, part, run, now)
    return created


def _insert(
    application: Application,
    kind: DriftKind,
    rows: QuerySet[Any],
    run: ReconciliationRun | None,
    now: datetime,
    *,
    with_grant: bool = False,
) -> int:
    """Create an open finding per row of `rows` (assignments, or grants `with_grant`).

    One INSERT … SELECT: the rows never pass through Python, so a first check over
    millions of assignments is one statement. Returns how many findings it created.
    """
    moment = Value(now, output_field=DateTimeField())
    columns: dict[str, Any] = {
        "application": Value(application.pk, output_field=BigIntegerField()),
        "kind": Value(kind.value),
        "status": Value(DriftStatus.OPEN.value),
        "account": F("account_id"),
        "entitlement": F("entitlement_id"),
        "first_found_at": moment,
        "last_found_at": moment,
    }
    if with_grant:
        columns["grant"] = F("pk")
    if run is not None:
        columns["run"] = Value(run.pk, output_field=BigIntegerField())
    return insert_select(DriftFinding, rows, columns)


def _check_missing(
    application: Application,
    run: ReconciliationRun | None,
    since: datetime,
    now: datetime,
) -> tuple[int, int]:
    present = Assignment.objects.filter(
        account=OuterRef("account"),
        entitlement=OuterRef("entitlement"),
        ended_at__isnull=True,
    )
    active = Grant.objects.filter(
        entitlement__application=application,
        state=GrantState.ACTIVE,
        entitlement__removed_at__isnull=True,
        account__isnull=False,
    )
    active.filter(is_missing=True).filter(Exists(present)).update(is_missing=False)
    missing = active.filter(activated_at__lt=since).exclude(Exists(present))
    _flag_missing(missing.filter(is_missing=False))
    open_findings = DriftFinding.objects.filter(
        application=application, kind=DriftKind.MISSING, status=DriftStatus.OPEN
    )
    resolved = open_findings.exclude(grant__in=missing).update(
        status=DriftStatus.RESOLVED,
        resolved_at=now,
        resolution="Access present again, or the grant ended",
    )
    open_findings.update(last_found_at=now, run=run)
    known = DriftFinding.objects.remembered().filter(
        kind=DriftKind.MISSING, grant=OuterRef("pk")
    )
    fresh = missing.exclude(Exists(known))
    created = _insert(application, DriftKind.MISSING, fresh, run, now, with_grant=True)
    return created, resolved


def _flag_missing(grants: QuerySet[Grant]) -> None:
    """Mark newly missing grants, each with an audit event on its request's timeline.

    One transaction: the flags and their events commit together.
    """
    with transaction.atomic():
        flagged = list(grants.select_related("request", "entitlement", "beneficiary"))
        for start in range(0, len(flagged), BATCH):
            chunk = flagged[start : start + BATCH]
            Grant.objects.filter(pk__in=[g.pk for g in chunk]).update(is_missing=True)
            for grant in chunk:
                audit.record(
                    "grant.missing",
                    target=grant,
                    request=grant.request,
                    after={"is_missing": True},
                    message="Drift: Atlassian no longer shows this access",
                )
