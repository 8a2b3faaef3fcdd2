"""Admin of what reconciliation found: accounts, resources, entitlements, assignments.

Rows mirror Atlassian: they are shown and searched, never added or deleted here, and
only what the portal owns can be edited (an account's identity; an entitlement's owner
and whether it is requestable). Lists of millions of rows skip the full count.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from connectors.models import Account, Assignment, Entitlement, Resource

THROUGH_GROUPS_SHOWN = 100

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import HttpRequest


class PresenceFilter(admin.SimpleListFilter):
    title = "in Atlassian"
    parameter_name = "present"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin
    ) -> list[tuple[str, str]]:
        return [("yes", "Present"), ("no", "Removed")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in ("yes", "no"):
            return queryset.filter(removed_at__isnull=self.value() == "yes")
        return queryset


class CatalogAdmin(admin.ModelAdmin):
    """Catalog rows come from Atlassian: shown, searched, never added or deleted here."""

    show_full_result_count = False  # counting millions of rows on every page is slow

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        editable = set(getattr(self, "editable_fields", ()))
        fields = [f.name for f in self.model._meta.fields if f.name not in editable]
        return fields + list(getattr(self, "computed_fields", ()))


def _assignments_link(label: str, **filters: Any) -> str:
    query = "&".join(f"{key}={value}" for key, value in filters.items())
    return format_html(
        '<a href="{}?{}">{}</a>',
        reverse("admin:connectors_assignment_changelist"),
        query,
        label,
    )


@admin.register(Account)
class AccountAdmin(CatalogAdmin):
    list_display = (
        "display_name",
        "email",
        "status",
        "account_type",
        "is_managed",
        "identity",
        "last_active",
        "removed_at",
        "access",
    )
    list_filter = (
        "application",
        "status",
        "account_type",
        "is_managed",
        PresenceFilter,
    )
    search_fields = ("email", "display_name", "account_id", "user_name")
    list_select_related = ("identity",)
    raw_id_fields = ("identity",)
    editable_fields = ("identity",)
    computed_fields = ("through_groups",)

    @admin.display(description="Access")
    def access(self, account: Account) -> str:
        return _assignments_link(
            "assignments", account__exact=account.pk, current="yes"
        )

    @admin.display(description="Access through groups")
    def through_groups(self, account: Account) -> str:
        """What the account's groups hold (computed now, not stored per member)."""
        holdings = (
            Assignment.objects.current()
            .held_by_groups()
            .reaching(Account.objects.filter(pk=account.pk))
            .select_related("entitlement", "holder_group")
            .order_by("entitlement__display_name", "holder_group__display_name")
        )
        shown = list(holdings[:THROUGH_GROUPS_SHOWN])
        if not shown:
            return "None"
        rows = format_html_join(
            "",
            "<li>{} <span class='quiet'>through {}</span></li>",
            ((h.entitlement, h.holder_group) for h in shown),
        )
        more = (
            holdings.count() - len(shown) if len(shown) == THROUGH_GROUPS_SHOWN else 0
        )
        return format_html(
            "<ul>{}</ul>{}", rows, f"and {more} more" if more > 0 else ""
        )


@admin.register(Resource)
class ResourceAdmin(CatalogAdmin):
    list_display = ("key", "name", "kind", "owner", "application", "removed_at")
    list_filter = ("kind", "application", PresenceFilter)
    search_fields = ("key", "name", "external_id")
    list_select_related = ("owner", "application")


@admin.register(Entitlement)
class EntitlementAdmin(CatalogAdmin):
    list_display = (
        "display_name",
        "kind",
        "resource",
        "owner",
        "is_requestable",
        "is_managed_externally",
        "removed_at",
        "holders",
    )
    list_filter = (
        "kind",
        "application",
        "is_requestable",
        "is_managed_externally",
        PresenceFilter,
    )
    search_fields = ("display_name", "name", "external_id", "resource__key")
    list_select_related = ("resource", "owner")
    raw_id_fields = ("owner",)
    editable_fields = ("owner", "is_requestable")
    computed_fields = ("accounts_holding",)

    @admin.display(description="Holders")
    def holders(self, entitlement: Entitlement) -> str:
        return _assignments_link(
            "assignments", entitlement__exact=entitlement.pk, current="yes"
        )

    @admin.display(description="Accounts holding it (directly or through a group)")
    def accounts_holding(self, entitlement: Entitlement) -> int:
        return Assignment.objects.holders_of(entitlement).count()


class CurrentFilter(admin.SimpleListFilter):
    title = "current"
    parameter_name = "current"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin
    ) -> list[tuple[str, str]]:
        return [("yes", "Holds now"), ("no", "Ended")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in ("yes", "no"):
            return queryset.filter(ended_at__isnull=self.value() == "yes")
        return queryset


class HeldFilter(admin.SimpleListFilter):
    title = "held"
    parameter_name = "held"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin
    ) -> list[tuple[str, str]]:
        return [
            ("direct", "By an account"),
            ("group", "By a whole group (its members hold it through the group)"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        chosen = {"direct": "direct", "group": "held_by_groups"}.get(self.value() or "")
        return getattr(queryset, chosen)() if chosen else queryset


@admin.register(Assignment)
class AssignmentAdmin(CatalogAdmin):
    list_display = (
        "entitlement",
        "holder",
        "origin",
        "first_seen",
        "last_seen",
        "ended_at",
    )
    list_filter = (
        CurrentFilter,
        HeldFilter,
        "origin",
        "entitlement__kind",
        "application",
    )
    search_fields = (
        "account__email",
        "account__display_name",
        "entitlement__display_name",
        "holder_group__name",
    )
    list_select_related = ("entitlement", "account", "holder_group")
    raw_id_fields = ("entitlement", "account", "holder_group")

    @admin.display(description="Holder")
    def holder(self, assignment: Assignment) -> str:
        if assignment.holder_group_id:
            return f"group {assignment.holder_group}"
        return str(assignment.account)
