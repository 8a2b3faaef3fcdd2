"""Acting on drift findings: correct (a provisioning job), dismiss, and the policy.

A correction makes Atlassian match the portal: re-grant missing access, revoke
unmanaged access. A dismissal accepts the difference, and the same drift is not
flagged again. Under an Application's drift policy "correct", `correct_open_findings`
corrects every open finding after a check, within DRIFT_AUTO_CORRECT_LIMIT.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from approvals import audit, outbox
from approvals.models import DriftFinding, DriftKind, DriftStatus, JobKind
from approvals.transitions import AlreadyDecided, NotAllowed, lock_row

if TYPE_CHECKING:
    from accessportal.models import User
    from approvals.models import ProvisioningJob
    from connectors.models import Application

logger = logging.getLogger(__name__)


def correct_open_findings(application: Application) -> int:
    """Queue a correction per open finding, unless there are too many to trust."""
    open_ids = list(
        DriftFinding.objects.filter(
            application=application, status=DriftStatus.OPEN
        ).values_list("pk", flat=True)[: settings.DRIFT_AUTO_CORRECT_LIMIT + 1]
    )
    if len(open_ids) > settings.DRIFT_AUTO_CORRECT_LIMIT:
        message = (
            f"More than {settings.DRIFT_AUTO_CORRECT_LIMIT} open drift findings: "
            "nothing was corrected automatically (DRIFT_AUTO_CORRECT_LIMIT). Review "
            "them in the admin and correct or dismiss them there."
        )
        logger.warning("Application %s: %s", application.pk, message)
        audit.record(
            "drift.correction_held",
            target=application,
            after={"limit": settings.DRIFT_AUTO_CORRECT_LIMIT},
            message=message,
        )
        return 0
    for finding_id in open_ids:
        correct_finding(finding_id, by=None)
    return len(open_ids)


def correct_finding(finding_id: int, *, by: User | None) -> ProvisioningJob:
    """Queue the job that makes Atlassian match the portal; `by=None` is the policy."""
    if by is not None and not by.is_admin:
        raise NotAllowed("Only an administrator may correct drift.")
    with transaction.atomic():
        finding = lock_open_finding(finding_id)
        account, entitlement = finding.account, finding.entitlement
        if finding.kind == DriftKind.MISSING:
            kind = JobKind.GRANT
            reason = f"Drift correction: re-grant {entitlement} to {account}"
        else:
            kind = JobKind.REVOKE
            reason = f"Drift correction: revoke unmanaged {entitlement} from {account}"
        job = outbox.create_job(
            kind,
            application=finding.application,
            grant=finding.grant,
            identity=account.identity if account else None,
            entitlement=entitlement,
            account=account,
            reason=reason,
            created_by=by,
            request=finding.grant.request if finding.grant_id else None,
        )
        finding.status, finding.job = DriftStatus.CORRECTING, job
        finding.save(update_fields=["status", "job"])
        audit.record(
            "drift.correcting",
            target=finding,
            actor=by,
            after={"job": job.pk},
            message=reason,
        )
    return job


def dismiss_finding(finding_id: int, *, by: User, reason: str = "") -> DriftFinding:
    """An admin accepts the difference; the same drift is not flagged again."""
    if not by.is_admin:
        raise NotAllowed("Only an administrator may dismiss drift.")
    with transaction.atomic():
        finding = lock_open_finding(finding_id)
        finding.status = DriftStatus.DISMISSED
        finding.resolved_at = timezone.now()
        finding.resolution = reason.strip() or f"Dismissed by {by.label}"
        finding.save(update_fields=["status", "resolved_at", "resolution"])
        audit.record(
            "drift.dismissed", target=finding, actor=by, message=finding.resolution
        )
    return finding


def lock_open_finding(finding_id: int) -> DriftFinding:
    """Lock a finding; AlreadyDecided unless it is still open."""
    finding = lock_row(
        DriftFinding.objects.select_related(
            "application", "account__identity", "entitlement", "grant__request"
        ),
        finding_id,
        noun="drift finding",
    )
    if finding.status != DriftStatus.OPEN:
        raise AlreadyDecided(
            f"Drift finding #{finding.pk} is {finding.get_status_display().lower()}."
        )
    return finding
