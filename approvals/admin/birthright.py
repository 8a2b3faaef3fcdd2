"""Admin for the birthright rules: access everyone matching an attribute gets (issue 9)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages

from approvals import birthright
from approvals.models import BirthrightRule
from connectors.base import EntitlementKind
from connectors.models import Entitlement

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import HttpRequest


@admin.register(BirthrightRule)
class BirthrightRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "application", "attribute", "value", "groups", "is_enabled")
    list_filter = ("is_enabled", "attribute", "application")
    search_fields = ("name", "value")
    filter_horizontal = ("entitlements",)
    readonly_fields = ("created_at",)

    actions = ("apply_now",)

    @admin.action(description="Apply the selected rules to the people they match now")
    def apply_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        enabled = queryset.filter(is_enabled=True)
        skipped = queryset.count() - enabled.count()
        given = sum(birthright.apply_rule(rule, by=request.user) for rule in enabled)
        self.message_user(
            request, f"Birthright access queued for {given} people.", messages.SUCCESS
        )
        if skipped:
            self.message_user(
                request,
                f"{skipped} selected rule(s) are disabled; left as they are.",
                messages.WARNING,
            )

    @admin.display(description="Gives")
    def groups(self, rule: BirthrightRule) -> str:
        return ", ".join(e.display_name for e in rule.entitlements.all()) or "—"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("entitlements")

    def formfield_for_manytomany(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> Any:
        if db_field.name == "entitlements":
            kwargs["queryset"] = (
                Entitlement.objects.present()
                .filter(kind=EntitlementKind.GROUP)
                .order_by("name")
            )
            kwargs["help_text"] = (
                "The groups the rule gives; joiners and movers get them by reconciliation."
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)
