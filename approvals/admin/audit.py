"""Admin for the audit trail: searchable, filterable, exportable, never editable."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from django.contrib import admin
from django.utils.html import format_html

from approvals.admin.readonly import ReadOnlyAdmin
from approvals.api.audit import csv_response
from approvals.models import AuditEvent

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import HttpRequest, StreamingHttpResponse


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = (
        "at",
        "actor_label",
        "action",
        "target_type",
        "target_label",
        "request",
        "message",
    )
    list_filter = ("action", "target_type", "at")
    search_fields = (
        "actor_label",
        "action",
        "target_label",
        "=target_id",
        "=request__id",
        "message",
    )
    date_hierarchy = "at"
    list_select_related = ("request",)
    actions = ("export_csv",)
    fields = (
        "at",
        "actor",
        "actor_label",
        "action",
        "target_type",
        "target_id",
        "target_label",
        "request",
        "message",
        "before_json",
        "after_json",
    )
    readonly_fields = fields

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description="Before")
    def before_json(self, event: AuditEvent) -> str:
        return pretty(event.before)

    @admin.display(description="After")
    def after_json(self, event: AuditEvent) -> str:
        return pretty(event.after)

    @admin.action(description="Export selected events as CSV")
    def export_csv(
        self, request: HttpRequest, queryset: QuerySet
    ) -> StreamingHttpResponse:
        return csv_response(queryset.order_by("-at", "-id"))


def pretty(value: object) -> str:
    """JSON, indented, in a <pre>."""
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, sort_keys=True))
