"""Admin for grants ("Revoke") and provisioning jobs ("Retry")."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin
from django.utils.text import Truncator

from approvals import workflow
from approvals.admin.actions import ObjectAction, run_each_eligible, with_reason
from approvals.admin.readonly import ReadOnlyAdmin
from approvals.models import Grant, JobStatus, ProvisioningJob

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import HttpRequest
    from django.template.response import TemplateResponse


class TimeBoundFilter(admin.SimpleListFilter):
    title = "time-bound"
    parameter_name = "time_bound"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("yes", "Time-bound"), ("no", "Permanent")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(ends_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(ends_at__isnull=True)
        return queryset


@admin.register(Grant)
class GrantAdmin(ObjectAction, ReadOnlyAdmin):
    list_display = (
        "id",
        "entitlement",
        "beneficiary",
        "state",
        "starts_at",
        "ends_at",
        "activated_at",
        "ended_at",
        "origin",
        "is_missing",
    )
    list_filter = (
        "state",
        "origin",
        "is_missing",
        TimeBoundFilter,
        "entitlement__kind",
        "entitlement__application",
    )
    search_fields = (
        "=id",
        "beneficiary__username",
        "beneficiary__email",
        "entitlement__display_name",
        "entitlement__name",
    )
    list_select_related = ("entitlement", "beneficiary")
    date_hierarchy = "starts_at"
    actions = ("revoke_grants",)
    fields = (
        "state",
        "beneficiary",
        "entitlement",
        "account",
        "origin",
        "request",
        "adopted_by",
        "adopted_at",
        "starts_at",
        "ends_at",
        "activated_at",
        "ended_at",
        "ended_by",
        "end_reason",
        "expiry_reminded_at",
        "is_missing",
    )
    readonly_fields = fields

    def object_action(self, obj: Grant) -> tuple[str, str] | None:
        """A grant that can still be ended offers "Revoke" on its page."""
        if Grant.objects.endable().filter(pk=obj.pk).exists():
            return "revoke_grants", "Revoke"
        return None

    @admin.action(
        description="Revoke selected grants (removes the access in Atlassian)"
    )
    def revoke_grants(
        self, request: HttpRequest, queryset: QuerySet
    ) -> TemplateResponse | None:
        return with_reason(
            self,
            request,
            queryset,
            action="revoke_grants",
            title="Revoke grants",
            explanation=(
                "The access is removed in Atlassian by a provisioning job; the "
                "holders are told. The reason goes to the audit trail."
            ),
            apply=lambda grant, reason: workflow.revoke_grant(
                grant.pk, by=request.user, reason=reason
            ),
            done="Revoking",
        )


@admin.register(ProvisioningJob)
class ProvisioningJobAdmin(ObjectAction, ReadOnlyAdmin):
    list_display = (
        "id",
        "kind",
        "status",
        "target",
        "attempts",
        "max_attempts",
        "error_summary",
        "not_before",
        "created_at",
        "finished_at",
    )
    list_filter = ("status", "kind", "last_error_code", "application")
    search_fields = (
        "=id",
        "=grant__id",
        "identity__username",
        "identity__email",
        "entitlement__display_name",
        "last_error",
        "reason",
    )
    list_select_related = ("identity", "entitlement", "account")
    date_hierarchy = "created_at"
    actions = ("retry_jobs",)
    fields = (
        "kind",
        "status",
        "application",
        "grant",
        "identity",
        "entitlement",
        "account",
        "reason",
        "payload",
        "result",
        "attempts",
        "max_attempts",
        "not_before",
        "lease_expires_at",
        "claimed_by",
        "last_error",
        "last_error_code",
        "created_by",
        "created_at",
        "updated_at",
        "finished_at",
    )
    readonly_fields = fields

    def object_action(self, obj: ProvisioningJob) -> tuple[str, str] | None:
        """A failed job offers "Retry" on its page."""
        return ("retry_jobs", "Retry") if obj.status == JobStatus.FAILED else None

    @admin.display(description="Target")
    def target(self, job: ProvisioningJob) -> str:
        parts = [str(p) for p in (job.identity, job.entitlement) if p is not None]
        if not parts and job.account is not None:
            parts.append(str(job.account))
        return " → ".join(parts) or "—"

    @admin.display(description="Last error", ordering="last_error")
    def error_summary(self, job: ProvisioningJob) -> str:
        # Atlassian names the account (a 40-character id) before the cause: leave room
        # for the cause ("... would exceed the license limit (4 users).").
        return Truncator(job.last_error).chars(300)

    @admin.action(description="Retry selected failed jobs")
    def retry_jobs(self, request: HttpRequest, queryset: QuerySet) -> None:
        run_each_eligible(
            self,
            request,
            queryset,
            lambda job: workflow.retry_job(job.pk, by=request.user),
            eligible={"status": JobStatus.FAILED},
            done="Sent again",
            ineligible="job(s) had not failed",
        )
