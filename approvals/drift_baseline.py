"""The drift baseline: what Atlassian already holds, taken as the starting point.

An Application with `adopts_existing_access` on takes its baseline at the next drift
check (after a complete reconciliation), once: every open unmanaged finding that can be
adopted becomes a Grant of origin "adopted" through the same set-based statements as an
administrator's adoption (`approvals.drift_adoption`), by the system. One
"drift.baseline_adopted" event counts them, and `baseline_taken_at` records that the
baseline was taken, so later checks flag new drift as usual. Switched on after earlier
checks, the option applies to the next check, once; after that it does nothing more.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from approvals import audit
from approvals.drift_adoption import AdoptionSummary, adopt_findings
from approvals.models import DriftFinding
from connectors.models import Application

logger = logging.getLogger(__name__)


def is_baseline_due(application: Application) -> bool:
    """Whether the Application's next drift check takes the baseline.

    Read from the database, not from `application`: a reconciliation holds its
    Application for minutes, and an admin may have switched the option on meanwhile.
    """
    return Application.objects.filter(
        pk=application.pk, adopts_existing_access=True, baseline_taken_at__isnull=True
    ).exists()


def take_baseline(application: Application) -> AdoptionSummary | None:
    """Adopt the Application's open unmanaged findings as its baseline, if it is due.

    Returns what was adopted, or None when no baseline was due. Safe to run twice at
    once: the adoptions take turns (one grant per access) and only the first to record
    the baseline audits it; a run interrupted half way leaves the baseline due, and the
    next check adopts what is left.
    """
    if not is_baseline_due(application):
        return None
    findings = DriftFinding.objects.filter(application=application)
    summary = adopt_findings(findings, by=None)
    now = timezone.now()
    message = (
        f"Baseline: adopted {summary.adopted} open unmanaged finding(s) as portal "
        f"grants (the access Atlassian held before the portal); {summary.left_open} "
        "left open to review."
    )
    with transaction.atomic():
        taken = Application.objects.filter(
            pk=application.pk, baseline_taken_at__isnull=True
        ).update(baseline_taken_at=now, baseline_adopted=summary.adopted)
        if not taken:  # another check recorded it first
            return summary
        audit.record(
            "drift.baseline_adopted",
            target=application,
            after={"adopted": summary.adopted, "left_open": summary.left_open},
            message=message,
        )
    application.baseline_taken_at = now
    application.baseline_adopted = summary.adopted
    logger.info("Application %s: %s", application.pk, message)
    return summary
