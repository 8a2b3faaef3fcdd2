"""Admin actions that run workflow functions, one object at a time, with a reason."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from approvals.workflow import WorkflowError

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.db.models import Model, QuerySet
    from django.http import HttpRequest, HttpResponse


class ReasonForm(forms.Form):
    """Why: recorded in the audit trail."""

    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), max_length=4000
    )

    def __init__(self, *args: Any, required: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = required


def run_each(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    operation: Callable[[Model], object],
    *,
    done: str,
) -> None:
    """Apply `operation` to each object; report successes and each refusal."""
    succeeded = 0
    for obj in queryset:
        try:
            operation(obj)
        except WorkflowError as error:
            modeladmin.message_user(request, f"{obj}: {error.message}", messages.ERROR)
        else:
            succeeded += 1
    if succeeded:
        modeladmin.message_user(
            request, f"{done}: {succeeded} of {len(queryset)}.", messages.SUCCESS
        )


def run_each_eligible(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    operation: Callable[[Model], object],
    *,
    eligible: dict[str, object],
    done: str,
    ineligible: str,
) -> None:
    """`run_each` on the selected objects matching `eligible`; say how many were left.

    `ineligible` completes "N selected ...; left as they are.", e.g. "job(s) had not failed".
    """
    chosen = queryset.filter(**eligible)
    skipped = queryset.count() - chosen.count()
    run_each(modeladmin, request, chosen, operation, done=done)
    if skipped:
        modeladmin.message_user(
            request, f"{skipped} selected {ineligible}; left as they are."
        )


def with_reason(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    *,
    action: str,
    title: str,
    explanation: str,
    apply: Callable[[Model, str], object],
    done: str,
    reason_required: bool = True,
) -> TemplateResponse | None:
    """Ask for a reason on an intermediate page, then apply the action with it."""
    if request.POST.get("confirmed") == "yes":
        form = ReasonForm(request.POST, required=reason_required)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            run_each(
                modeladmin, request, queryset, lambda obj: apply(obj, reason), done=done
            )
            return None
    else:
        form = ReasonForm(required=reason_required)
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "explanation": explanation,
        "queryset": queryset,
        "form": form,
        "opts": modeladmin.model._meta,
        "action": action,
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
        "submit_label": title,
    }
    return TemplateResponse(request, "admin/approvals/action_reason.html", context)


class ObjectAction:
    """A button on an object's page that runs one of the list's actions on that object.

    The button posts to the list with the object selected, as ticking its box and
    pressing Go would: the action's own checks, reason page and messages apply.
    """

    change_form_template = "admin/approvals/change_form_object_action.html"

    def object_action(self, obj: Model) -> tuple[str, str] | None:
        """(action name, button label) when the object's page offers the action."""
        return None

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,  # noqa: FBT001, FBT002 - Django's signature
        change: bool = False,  # noqa: FBT001, FBT002 - Django's signature
        form_url: str = "",
        obj: Model | None = None,
    ) -> HttpResponse:
        offered = self.object_action(obj) if obj is not None else None
        if offered is not None:
            context["object_action"], context["object_action_label"] = offered
            context["action_checkbox_name"] = ACTION_CHECKBOX_NAME
        return super().render_change_form(  # type: ignore[misc]
            request, context, add, change, form_url, obj
        )

    def response_action(
        self, request: HttpRequest, queryset: QuerySet
    ) -> HttpResponse | None:
        """Back to the object's page (with the action's messages) when run from it."""
        response = super().response_action(request, queryset)  # type: ignore[misc]
        selected = request.POST.getlist(ACTION_CHECKBOX_NAME)
        if (
            isinstance(response, HttpResponseRedirect)
            and request.POST.get("from_object")
            and len(selected) == 1
        ):
            opts = self.model._meta  # type: ignore[attr-defined]
            return HttpResponseRedirect(
                reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_change",
                    args=[selected[0]],
                )
            )
        return response
