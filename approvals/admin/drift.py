"""Admin for drift findings: access Atlassian shows that no grant explains, and grants
whose access Atlassian no longer shows. "Correct" queues the job that fixes it;
"Adopt" makes unmanaged access a portal grant, leaving Atlassian as it is."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin, messages

from approvals import drift_actions, drift_adoption
from approvals.admin.actions import run_each_eligible, with_reason
from approvals.admin.readonly import ReadOnlyAdmin
from approvals.models import DriftFinding, DriftStatus
from approvals.transitions import WorkflowError

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import HttpRequest
    from django.template.response import TemplateResponse


@admin.register(DriftFinding)
class DriftFindingAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "kind",
        "status",
        "entitlement",
        "account",
        "grant",
        "job",
        "first_found_at",
        "last_found_at",
    )
    list_filter = ("status", "kind", "application", "entitlement__kind")
    search_fields = (
        "entitlement__display_name",
        "account__email",
        "account__display_name",
        "=account__account_id",
    )
    list_select_related = ("entitlement", "account", "grant", "job")
    date_hierarchy = "last_found_at"
    actions = ("correct_findings", "adopt_findings", "dismiss_findings")
    fields = (
        "kind",
        "status",
        "application",
        "entitlement",
        "account",
        "grant",
        "run",
        "job",
        "first_found_at",
        "last_found_at",
        "resolved_at",
        "resolution",
    )
    readonly_fields = fields

    @admin.action(description="Correct: re-grant missing / revoke unmanaged access")
    def correct_findings(self, request: HttpRequest, queryset: QuerySet) -> None:
        run_each_eligible(
            self,
            request,
            queryset,
            lambda finding: drift_actions.correct_finding(finding.pk, by=request.user),
            eligible={"status": DriftStatus.OPEN},
            done="Correction queued",
            ineligible="finding(s) were not open",
        )

    @admin.action(description="Dismiss: accept the difference")
    def dismiss_findings(
        self, request: HttpRequest, queryset: QuerySet
    ) -> TemplateResponse | None:
        return with_reason(
            self,
            request,
            queryset,
            action="dismiss_findings",
            title="Dismiss drift",
            explanation="The same difference will not be flagged again.",
            apply=lambda finding, reason: drift_actions.dismiss_finding(
                finding.pk, by=request.user, reason=reason
            ),
            done="Dismissed",
        )

    @admin.action(
        description="Adopt: make unmanaged access a portal grant (Atlassian unchanged)"
    )
    def adopt_findings(self, request: HttpRequest, queryset: QuerySet) -> None:
        selected = queryset.count()
        try:
            summary = drift_adoption.adopt_findings(queryset, by=request.user)
        except WorkflowError as error:
            self.message_user(request, error.message, messages.ERROR)
            return
        if summary.adopted:
            self.message_user(
                request,
                f"Adopted as grants: {summary.adopted} of {selected}.",
                messages.SUCCESS,
            )
        if summary.left_open:
            reasons = "; ".join(
                f"{text} ({n})" for text, n in drift_adoption.why_left_open(queryset)
            )
            self.message_user(
                request,
                f"{summary.left_open} left open: {reasons}.",
                messages.WARNING,
            )
        others = selected - summary.adopted - summary.left_open
        if others > 0:
            self.message_user(
                request,
                f"{others} selected were not open unmanaged findings; left as they are.",
            )
