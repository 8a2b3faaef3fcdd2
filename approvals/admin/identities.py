"""The identity admin, completed with what approvals knows of a person.

Identities live in `accessportal` (which imports nothing of approvals), so their page
gains the person's grants and the leaver action here, by extending that admin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin

from accessportal.admin import IdentityAdmin
from accessportal.models import User
from approvals import workflow
from approvals.admin.actions import run_each
from approvals.admin.readonly import ReadOnlyInline
from approvals.models import Grant

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import HttpRequest


class GrantInline(ReadOnlyInline):
    model = Grant
    fk_name = "beneficiary"
    fields = (
        "entitlement",
        "state",
        "origin",
        "starts_at",
        "ends_at",
        "ended_at",
        "end_reason",
    )
    readonly_fields = fields
    show_change_link = True
    verbose_name_plural = "access (grants)"
    ordering = ("-starts_at",)


class IdentityWithAccessAdmin(IdentityAdmin):
    inlines = (*IdentityAdmin.inlines, GrantInline)
    actions = ("deactivate_identities",)

    @admin.action(
        description="Deactivate (leaver): revoke all access, disable Atlassian accounts"
    )
    def deactivate_identities(self, request: HttpRequest, queryset: QuerySet) -> None:
        run_each(
            self,
            request,
            queryset,
            lambda person: workflow.deactivate_identity(person, by=request.user),
            done="Deactivated",
        )


admin.site.unregister(User)
admin.site.register(User, IdentityWithAccessAdmin)
