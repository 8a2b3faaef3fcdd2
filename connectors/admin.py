"""Admin of the catalog: Applications (test, reconcile), runs, and what reconciliation found.

Catalog rows mirror Atlassian, so they are read-only here apart from what the portal
owns (an entitlement's owner and whether it is requestable, an account's identity).
"Test connection" and "Reconcile now" go through the same functions as the CLI and
the API: `connector.test_connection()` and `reconcile.start_run`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.timezone import localtime
from django.views.decorators.http import require_POST

from connectors import admin_catalog  # noqa: F401  (registers the catalog's admins)
from connectors.base import ApiFamily
from connectors.models import (
    Application,
    AttributeMapping,
    ReconciliationRun,
    RunTrigger,
)
from connectors.reconcile import ReconciliationError, RunAlreadyActive, start_run
from connectors.reconcile_progress import OUTCOMES
from connectors.registry import connector_for
from connectors.tasks import enqueue

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import HttpRequest, HttpResponse

SECRET_FIELDS = ("api_token", "directory_api_key", "org_api_key")
# What the admin calls each API family (Test connection, the run page, the form's sections).
FAMILY_LABELS = {
    ApiFamily.SCIM: "User provisioning (SCIM)",
    ApiFamily.ADMIN: "Organizations (Admin API)",
    ApiFamily.JIRA: "Jira",
    ApiFamily.CONFLUENCE: "Confluence",
}


# -- Application ------------------------------------------------------------------------------


def _form_field(field: models.Field, **kwargs: Any) -> forms.Field | None:
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class ApplicationForm(forms.ModelForm):
    """Secrets are write-only: never shown, and a blank field keeps the stored value."""

    api_token = forms.CharField(
        required=False, widget=forms.PasswordInput(render_value=False), strip=True
    )
    directory_api_key = forms.CharField(
        required=False, widget=forms.PasswordInput(render_value=False), strip=True
    )
    org_api_key = forms.CharField(
        required=False, widget=forms.PasswordInput(render_value=False), strip=True
    )

    class Meta:
        model = Application
        formfield_callback = _form_field
        fields = (
            "name", "is_enabled", "is_trusted_source", "drift_policy", "adopts_existing_access",
            "site_url", "admin_email", "api_token", "scim_url", "directory_id", "directory_api_key",
            "admin_api_url", "org_id", "org_api_key", "default_groups", "max_concurrency",
        )  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in SECRET_FIELDS:
            stored = bool(self.instance.pk and getattr(self.instance, name))
            field = self.fields[name]
            field.help_text = (
                "Stored (encrypted). Leave blank to keep it; type a new value to replace it."
                if stored
                else "Not set. Stored encrypted, never shown again."
            )
            field.widget.attrs["autocomplete"] = "new-password"
            field.label = Application._meta.get_field(name).help_text or name

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for name in SECRET_FIELDS:
            if not cleaned.get(name) and self.instance.pk:
                cleaned[name] = getattr(
                    self.instance, name
                )  # blank keeps the stored value
        return cleaned


class AttributeMappingInline(admin.TabularInline):
    model = AttributeMapping
    extra = 0
    fields = (
        "position", "atlassian_attribute", "portal_attribute", "direction",
        "is_required", "is_visible", "is_recon_key", "is_read_only",
    )  # fmt: skip
    ordering = ("position", "id")


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    form = ApplicationForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    inlines = (AttributeMappingInline,)
    list_display = (
        "name",
        "site_url",
        "is_enabled",
        "is_trusted_source",
        "drift_policy",
        "last_run",
    )
    list_filter = ("is_enabled", "is_trusted_source", "drift_policy")
    search_fields = ("name", "site_url", "org_id")
    actions = ("reconcile_full", "reconcile_incremental")
    change_form_template = "admin/connectors/application/change_form.html"
    readonly_fields = ("baseline",)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "name",
                    "is_enabled",
                    "is_trusted_source",
                    "drift_policy",
                    "adopts_existing_access",
                    "baseline",
                )
            },
        ),
        ("Jira and Confluence", {"fields": ("site_url", "admin_email", "api_token")}),
        (
            "User provisioning (SCIM)",
            {"fields": ("scim_url", "directory_id", "directory_api_key")},
        ),
        (
            "Organizations (Admin API)",
            {"fields": ("admin_api_url", "org_id", "org_api_key")},
        ),
        ("Provisioning", {"fields": ("default_groups", "max_concurrency")}),
    )

    def save_model(
        self,
        request: HttpRequest,
        obj: Application,
        form: Any,
        change: bool,  # noqa: FBT001 - Django's signature
    ) -> None:
        """Write only what the form edits: a run (its bookmarks) or a drift check (the
        baseline) may write the same row while the admin is saving it."""
        if not change:
            super().save_model(request, obj, form, change)
            return
        obj.save(update_fields=[*form._meta.fields, "updated_at"])

    @admin.display(description="Baseline")
    def baseline(self, application: Application) -> str:
        taken = application.baseline_taken_at
        if taken is None and application.adopts_existing_access:
            return "Not taken yet: the next drift check takes it"
        if taken is None:
            return "Not taken"
        when = localtime(taken).strftime("%Y-%m-%d %H:%M")
        return f"Taken {when}: {application.baseline_adopted or 0} adopted"

    @admin.display(description="Last run")
    def last_run(self, application: Application) -> str:
        run = application.runs.first()
        if run is None:
            return "—"
        url = reverse("admin:connectors_reconciliationrun_change", args=[run.pk])
        return format_html(
            '<a href="{}">#{} {}</a>', url, run.pk, run.get_status_display()
        )

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/test-connection/",
                view(self.test_connection_view),
                name="connectors_application_test_connection",
            ),
            path(
                "<int:pk>/reconcile/",
                view(require_POST(self.reconcile_view)),
                name="connectors_application_reconcile",
            ),
            *super().get_urls(),
        ]

    def test_connection_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Each API family checked with its credential; Atlassian's message on failure."""
        application = get_object_or_404(Application, pk=pk)
        if not self.has_view_permission(request, application):
            return HttpResponseRedirect(reverse("admin:index"))
        checks = None
        if request.method == "POST":
            connector = connector_for(application)
            try:
                checks = [
                    {
                        "label": FAMILY_LABELS.get(check.family, check.family),
                        "check": check,
                    }
                    for check in connector.test_connection()
                ]
            finally:
                close = getattr(connector, "close", None)
                if close is not None:
                    close()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": application,
            "title": f"Test connection: {application}",
            "checks": checks,
        }
        return TemplateResponse(
            request, "admin/connectors/application/test_connection.html", context
        )

    def reconcile_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Queue a run (full or incremental) and open its page."""
        application = get_object_or_404(Application, pk=pk)
        if not self.has_change_permission(request, application):
            return HttpResponseRedirect(reverse("admin:index"))
        run = self._queue(
            request, application, incremental=request.POST.get("mode") == "incremental"
        )
        if run is None:
            return HttpResponseRedirect(
                reverse("admin:connectors_application_change", args=[pk])
            )
        return HttpResponseRedirect(
            reverse("admin:connectors_reconciliationrun_change", args=[run.pk])
        )

    def _queue(
        self, request: HttpRequest, application: Application, *, incremental: bool
    ) -> ReconciliationRun | None:
        try:
            run = start_run(
                application,
                incremental=incremental,
                trigger=RunTrigger.ADMIN,
                triggered_by=request.user,
            )
        except RunAlreadyActive as error:
            messages.error(request, error.message)
            return None
        except ReconciliationError as error:
            messages.error(request, error.message)
            return None
        enqueue(run)
        kind = "Incremental" if incremental else "Full"
        messages.success(
            request, f"{kind} reconciliation of {application} queued as run #{run.pk}."
        )
        return run

    @admin.action(description="Reconcile now (full)", permissions=["change"])
    def reconcile_full(
        self, request: HttpRequest, queryset: QuerySet[Application]
    ) -> None:
        for application in queryset:
            self._queue(request, application, incremental=False)

    @admin.action(description="Reconcile now (incremental)", permissions=["change"])
    def reconcile_incremental(
        self, request: HttpRequest, queryset: QuerySet[Application]
    ) -> None:
        for application in queryset:
            self._queue(request, application, incremental=True)


# -- runs -----------------------------------------------------------------------------------


class ReadOnlyAdmin(admin.ModelAdmin):
    """What reconciliation writes is looked at, not edited."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "application",
        "mode",
        "status",
        "trigger",
        "triggered_by",
        "phase",
        "created_at",
        "duration",
    )
    list_filter = ("status", "is_incremental", "trigger", "application")
    list_select_related = ("application", "triggered_by")
    date_hierarchy = "created_at"

    @admin.display(description="Mode")
    def mode(self, run: ReconciliationRun) -> str:
        scope = " (limited)" if run.scope or run.only else ""
        return ("incremental" if run.is_incremental else "full") + scope

    @admin.display(description="Duration")
    def duration(self, run: ReconciliationRun) -> str:
        seconds = run.duration_seconds
        return "—" if seconds is None else f"{seconds:.1f} s"

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: Any = None,
    ) -> HttpResponse:
        """The run page: phase, progress bars, counts, API calls, errors; refreshes while running."""
        run = get_object_or_404(
            ReconciliationRun.objects.select_related("application", "triggered_by"),
            pk=object_id,
        )
        if not self.has_view_permission(request, run):
            return HttpResponseRedirect(reverse("admin:index"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": run,
            "title": f"Reconciliation run #{run.pk}",
            "run": run,
            "is_active": run.status in ("queued", "running"),
            "phases": [
                {"name": name, **entry, "percent": _percent(entry)}
                for name, entry in (run.progress or {}).items()
            ],
            "outcomes": OUTCOMES,
            "counts": [
                (kind, [row.get(o, 0) for o in OUTCOMES])
                for kind, row in sorted((run.counts or {}).items())
            ],
            "api_calls": [
                (FAMILY_LABELS.get(family, family), calls)
                for family, calls in sorted((run.api_calls or {}).items())
            ],
            "api_total": sum((run.api_calls or {}).values()),
        }
        return TemplateResponse(
            request, "admin/connectors/reconciliationrun/run.html", context
        )


def _percent(entry: dict[str, Any]) -> int | None:
    total = entry.get("total")
    if not total:
        return 100 if total == 0 else None
    return min(100, round(100 * entry.get("done", 0) / total))
