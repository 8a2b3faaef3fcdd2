"""Admins that show rows without letting anyone edit them: states change only through
the workflow, and the audit trail is append-only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin

if TYPE_CHECKING:
    from django.db.models import Model
    from django.http import HttpRequest


class ViewOnly:
    """No add, change or delete: the same answers for model admins and inlines."""

    def has_add_permission(
        self, request: HttpRequest, obj: Model | None = None
    ) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: Model | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: Model | None = None
    ) -> bool:
        return False


class ReadOnlyAdmin(ViewOnly, admin.ModelAdmin):
    """View and run actions; no add, change or delete."""


class ReadOnlyInline(ViewOnly, admin.TabularInline):
    """Rows shown under their parent, never edited."""

    extra = 0
    can_delete = False
    show_change_link = False
