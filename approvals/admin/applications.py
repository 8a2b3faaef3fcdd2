"""The Application admin, completed with adopting existing access.

Applications live in `connectors` (which imports nothing of approvals), so their page
gains the drift action here, by extending that admin (as identities.py does).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin, messages

from approvals import tasks
from approvals.admin.actions import with_reason
from approvals.models import DriftFinding, DriftKind, DriftStatus
from connectors.admin import ApplicationAdmin
from connectors.models import Application

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import HttpRequest
    from django.template.response import TemplateResponse


class ApplicationWithDriftAdmin(ApplicationAdmin):
    actions = (*ApplicationAdmin.actions, "adopt_existing_access")

    @admin.action(
        description="Adopt existing access: open unmanaged drift becomes grants",
        permissions=["change"],
    )
    def adopt_existing_access(
        self, request: HttpRequest, queryset: QuerySet[Application]
    ) -> TemplateResponse | None:
        if not request.user.is_admin:
            self.message_user(
                request,
                "Only an administrator may adopt existing access.",
                messages.ERROR,
            )
            return None
        findings = DriftFinding.objects.filter(
            application__in=queryset,
            kind=DriftKind.UNMANAGED,
            status=DriftStatus.OPEN,
        ).count()
        return with_reason(
            self,
            request,
            queryset,
            action="adopt_existing_access",
            title="Adopt existing access",
            explanation=(
                f"The {findings} open unmanaged drift finding(s) of these "
                "Applications become active portal grants (origin: adopted), "
                "managed like approved access from then on. Nothing changes in "
                "Atlassian. It runs in the background; the audit trail records each "
                "adoption and a summary (drift.adopted_all). Findings that cannot "
                "be adopted (no portal identity, a deactivated person) stay open."
            ),
            apply=lambda application, reason: tasks.queue_adoption(
                application.pk, by_id=request.user.pk, reason=reason
            ),
            done="Adoption queued",
            reason_required=False,
        )


admin.site.unregister(Application)
admin.site.register(Application, ApplicationWithDriftAdmin)
