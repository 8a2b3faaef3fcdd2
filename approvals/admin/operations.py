"""Admin for the administrative operations (issue 9).

"Operations" lists the OPERATION jobs with their results, and holds the "Run an
operation" pages: one form per operation, grouped by area (Accounts, Groups, Jira
projects, Jira issues, Confluence content), plus the live reads (group members,
project roles, an issue's transitions, a space's pages, one page). The forms are the
operations' own (`approvals.operations`); submitting one queues a job through
`request_operation`, exactly as the API does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from approvals import workflow
from approvals.admin.actions import run_each_eligible
from approvals.admin.operations_reads import READERS, READS
from approvals.admin.readonly import ReadOnlyAdmin
from approvals.models import JobStatus, OperationJob
from approvals.operations import (
    AREAS,
    absolute_link,
    all_operations,
    connection,
    default_application,
    get_operation,
    request_operation,
)
from approvals.transitions import InvalidRequest, WorkflowError
from connectors.base import ConnectorError
from connectors.models import Application

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.db.models import QuerySet
    from django.http import HttpRequest, HttpResponse


class OperationFilter(admin.SimpleListFilter):
    title = "operation"
    parameter_name = "operation"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin
    ) -> list[tuple[str, str]]:
        return [(o.name, o.label) for o in all_operations(include_internal=True)]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return (
            queryset.filter(payload__operation=self.value())
            if self.value()
            else queryset
        )


@admin.register(OperationJob)
class OperationJobAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "operation",
        "reason",
        "status",
        "outcome",
        "attempts",
        "created_by",
        "created_at",
        "finished_at",
    )
    list_filter = ("status", OperationFilter, "application")
    search_fields = ("=id", "reason", "last_error")
    list_select_related = ("created_by",)
    date_hierarchy = "created_at"
    actions = ("retry_jobs",)
    fields = (
        "operation",
        "reason",
        "status",
        "application",
        "arguments",
        "result_view",
        "download",
        "attempts",
        "max_attempts",
        "not_before",
        "last_error",
        "last_error_code",
        "identity",
        "account",
        "entitlement",
        "created_by",
        "created_at",
        "finished_at",
    )
    readonly_fields = fields

    @admin.display(description="Operation")
    def operation(self, job: OperationJob) -> str:
        return job.operation_name

    @admin.display(description="Result")
    def outcome(self, job: OperationJob) -> str:
        if job.status == JobStatus.FAILED or (
            job.status == JobStatus.PENDING and job.last_error
        ):
            return Truncator(job.last_error).chars(100)
        return Truncator(
            ", ".join(f"{k}: {v}" for k, v in (job.result or {}).items())
        ).chars(100)

    @admin.display(description="Arguments")
    def arguments(self, job: OperationJob) -> str:
        return _pairs((job.payload or {}).get("arguments") or {})

    @admin.display(description="Result")
    def result_view(self, job: OperationJob) -> str:
        return _pairs(job.result or {})

    @admin.display(description="Download")
    def download(self, job: OperationJob) -> str:
        link = absolute_link(job.application, (job.result or {}).get("download_link"))
        return format_html('<a href="{}">{}</a>', link, link) if link else "—"

    @admin.action(description="Retry selected failed operations")
    def retry_jobs(self, request: HttpRequest, queryset: QuerySet) -> None:
        run_each_eligible(
            self,
            request,
            queryset,
            lambda job: workflow.retry_job(job.pk, by=request.user),
            eligible={"status": JobStatus.FAILED},
            done="Sent again",
            ineligible="operation(s) had not failed",
        )

    def changelist_view(
        self, request: HttpRequest, extra_context: dict | None = None
    ) -> HttpResponse:
        extra = {
            "run_url": reverse("admin:approvals_operationjob_run"),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra)

    # -- the "Run an operation" pages -----------------------------------------------------

    def get_urls(self) -> list:
        wrap: Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]] = (
            self.admin_site.admin_view
        )
        return [
            path("run/", wrap(self.run_index), name="approvals_operationjob_run"),
            path(
                "run/<str:name>/",
                wrap(self.run_operation),
                name="approvals_operationjob_run_one",
            ),
            path(
                "read/<str:what>/", wrap(self.read), name="approvals_operationjob_read"
            ),
            *super().get_urls(),
        ]

    def _context(
        self, request: HttpRequest, title: str, **values: Any
    ) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            **values,
        }

    def run_index(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_admin:
            raise Http404
        areas = [
            (label, [o for o in all_operations() if o.area == key])
            for key, label in AREAS.items()
        ]
        return TemplateResponse(
            request,
            "admin/approvals/operations/index.html",
            self._context(request, "Run an operation", areas=areas, reads=READS),
        )

    def run_operation(self, request: HttpRequest, name: str) -> HttpResponse:
        try:
            operation = get_operation(name)
        except WorkflowError:
            raise Http404(name) from None
        applications = Application.objects.filter(is_enabled=True).order_by("name")
        application = _chosen_application(request, applications)
        if application is None:
            messages.error(
                request,
                "No enabled Application: configure the Atlassian connection first.",
            )
            return HttpResponseRedirect(reverse("admin:approvals_operationjob_run"))
        if request.method == "POST":
            job = _queue(request, name, application)
            if job is not None:
                return HttpResponseRedirect(
                    reverse("admin:approvals_operationjob_change", args=[job.pk])
                )
            form = operation.form(request.POST, request.FILES, application=application)
            form.is_valid()  # show the refused values with their errors
        else:
            form = operation.form(application=application, initial=request.GET.dict())
        context = self._context(
            request,
            operation.label,
            operation=operation,
            form=form,
            application=application,
            applications=applications,
        )
        return TemplateResponse(
            request, "admin/approvals/operations/form.html", context
        )

    def read(self, request: HttpRequest, what: str) -> HttpResponse:
        reader = READERS.get(what)
        if reader is None or not request.user.is_admin:
            raise Http404(what)
        value = request.GET.get("q", "").strip()
        context = self._context(
            request,
            READS[what][0],
            what=what,
            value=value,
            label=READS[what][1],
            rows=None,
            headers=(),
        )
        if value:
            try:
                application = default_application(
                    request.GET.get("application") or None
                )
                with connection(application) as connector:
                    context.update(reader(connector, application, value))
            except (WorkflowError, ConnectorError) as error:
                messages.error(request, getattr(error, "message", str(error)))
        return TemplateResponse(
            request, "admin/approvals/operations/read.html", context
        )


def _chosen_application(
    request: HttpRequest, applications: QuerySet[Application]
) -> Application | None:
    """The application picked on the form, else the only enabled one, else the first."""
    chosen = request.POST.get("application") or request.GET.get("application") or ""
    try:
        return default_application(int(chosen) if chosen.isdigit() else None)
    except InvalidRequest:
        return applications.first()


def _queue(
    request: HttpRequest, name: str, application: Application
) -> OperationJob | None:
    """Queue the posted operation; None (with the reason as a message) when refused."""
    try:
        job = request_operation(
            name, request.POST, request.FILES, by=request.user, application=application
        )
    except WorkflowError as error:
        messages.error(request, error.message)
        return None
    messages.success(request, f"Operation #{job.pk} queued: {job.reason}.")
    return job


def _pairs(values: dict[str, Any]) -> str:
    shown = {
        k: ("(file content)" if k == "content_base64" else v) for k, v in values.items()
    }
    return "; ".join(f"{k}: {v}" for k, v in shown.items()) or "—"
