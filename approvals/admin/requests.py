"""Admin for policies, access requests (with steps, decisions and timeline) and steps."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from approvals import workflow
from approvals.admin.actions import with_reason
from approvals.admin.readonly import ReadOnlyAdmin, ReadOnlyInline
from approvals.models import AccessRequest, ApprovalDecision, ApprovalStep, Policy
from approvals.policies import approvers_summary
from approvals.timeline import timeline_for

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import HttpRequest
    from django.template.response import TemplateResponse


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "applies_to",
        "rule",
        "approvers_text",
        "required_approvals",
        "default_duration_days",
        "max_duration_days",
        "justification_required",
    )
    list_filter = ("rule", "kind", "is_default", "justification_required")
    search_fields = ("name", "entitlement__display_name", "resource__key")
    raw_id_fields = ("entitlement", "resource", "fallback_approver")
    filter_horizontal = ("approvers",)
    list_select_related = ("entitlement", "resource", "approver_group")
    fieldsets = (
        (None, {"fields": ("name",)}),
        (
            "Applies to (one of these)",
            {"fields": ("entitlement", "resource", "kind", "is_default")},
        ),
        (
            "Who approves",
            {
                "fields": (
                    "rule",
                    "approver_group",
                    "approvers",
                    "required_approvals",
                    "fallback_approver",
                    "escalate_after_hours",
                )
            },
        ),
        (
            "Limits",
            {
                "fields": (
                    "default_duration_days",
                    "max_duration_days",
                    "justification_required",
                    "managers_may_request_for_reports",
                )
            },
        ),
    )

    @admin.display(description="Applies to")
    def applies_to(self, policy: Policy) -> str:
        if policy.entitlement_id:
            return f"Entitlement: {policy.entitlement}"
        if policy.resource_id:
            return f"Resource: {policy.resource}"
        if policy.kind:
            return f"Kind: {policy.get_kind_display()}"
        return "Default" if policy.is_default else "—"

    @admin.display(description="Approvers")
    def approvers_text(self, policy: Policy) -> str:
        return approvers_summary(policy)


class ApprovalStepInline(ReadOnlyInline):
    model = ApprovalStep
    fields = (
        "order",
        "rule",
        "state",
        "approver_names",
        "required_approvals",
        "decisions_text",
        "opened_at",
        "decided_at",
    )
    readonly_fields = fields
    ordering = ("order",)

    @admin.display(description="Approvers")
    def approver_names(self, step: ApprovalStep) -> str:
        return ", ".join(p.label for p in step.approvers.all()) or "administrators"

    @admin.display(description="Decisions")
    def decisions_text(self, step: ApprovalStep) -> str:
        return "; ".join(
            f"{d.decided_by.label}: {d.get_decision_display()}"
            + (" (override)" if d.is_override else "")
            + (f" — {d.comment}" if d.comment else "")
            for d in step.decisions.select_related("decided_by")
        )


@admin.register(AccessRequest)
class AccessRequestAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "entitlement",
        "beneficiary",
        "requester",
        "state",
        "created_at",
        "decided_at",
    )
    list_filter = ("state", "entitlement__kind", "entitlement__application")
    search_fields = (
        "=id",
        "beneficiary__username",
        "beneficiary__email",
        "requester__username",
        "entitlement__display_name",
        "justification",
    )
    list_select_related = ("entitlement", "beneficiary", "requester")
    date_hierarchy = "created_at"
    inlines = (ApprovalStepInline,)
    actions = ("approve_requests", "deny_requests", "cancel_requests")
    fields = (
        "state",
        "state_reason",
        "requester",
        "beneficiary",
        "entitlement",
        "policy",
        "justification",
        "duration_days",
        "ends_at",
        "extends_grant",
        "grant_link",
        "batch",
        "ticket_key",
        "created_at",
        "decided_at",
        "timeline",
    )
    readonly_fields = fields

    @admin.display(description="Grant")
    def grant_link(self, access_request: AccessRequest) -> str:
        grant = getattr(access_request, "grant", None)
        if grant is None:
            return "—"
        return format_html(
            '<a href="{}">#{} ({})</a>',
            reverse("admin:approvals_grant_change", args=[grant.pk]),
            grant.pk,
            grant.get_state_display(),
        )

    @admin.display(description="Timeline")
    def timeline(self, access_request: AccessRequest) -> str:
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (f"{entry.at:%Y-%m-%d %H:%M:%S}", entry.actor_label, entry.text)
                for entry in timeline_for(access_request)
            ),
        )
        return format_html(
            "<table><thead><tr><th>When</th><th>Who</th><th>What</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            rows,
        )

    @admin.action(description="Approve selected requests (as an administrator)")
    def approve_requests(
        self, request: HttpRequest, queryset: QuerySet
    ) -> TemplateResponse | None:
        return self.decide(request, queryset, "approve_requests", workflow.approve)

    @admin.action(description="Deny selected requests (as an administrator)")
    def deny_requests(
        self, request: HttpRequest, queryset: QuerySet
    ) -> TemplateResponse | None:
        return self.decide(request, queryset, "deny_requests", workflow.deny)

    @admin.action(description="Cancel selected pending requests")
    def cancel_requests(
        self, request: HttpRequest, queryset: QuerySet
    ) -> TemplateResponse | None:
        return with_reason(
            self,
            request,
            queryset,
            action="cancel_requests",
            title="Cancel requests",
            explanation="These pending requests will be cancelled.",
            apply=lambda r, _reason: workflow.cancel(r.pk, by=request.user),
            done="Cancelled",
            reason_required=False,
        )

    def decide(
        self, request: HttpRequest, queryset: QuerySet, action: str, decision: object
    ) -> TemplateResponse | None:
        verb = "Approve" if action == "approve_requests" else "Deny"
        return with_reason(
            self,
            request,
            queryset,
            action=action,
            title=f"{verb} requests",
            explanation=(
                "Deciding in the approvers' place is recorded as an override, "
                "with this reason."
            ),
            apply=lambda r, reason: decision(  # type: ignore[operator]
                r.pk, approver=request.user, comment=reason
            ),
            done=f"{verb}d",
        )


class ApprovalDecisionInline(ReadOnlyInline):
    model = ApprovalDecision
    fields = ("decided_by", "decision", "comment", "is_override", "created_at")
    readonly_fields = fields


@admin.register(ApprovalStep)
class ApprovalStepAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "request", "rule", "state", "opened_at", "decided_at")
    list_filter = ("state", "rule")
    search_fields = ("=request__id",)
    list_select_related = ("request",)
    inlines = (ApprovalDecisionInline,)
    filter_horizontal = ()
