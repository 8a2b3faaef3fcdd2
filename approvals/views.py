"""Pages of the people who ask: the dashboard, their requests, their access.

Views stay thin: they read a form, call `approvals.workflow`, and turn a refused step
(`WorkflowError`) into a message. The catalog and cart live in `views_catalog.py`, the
approvers' inbox in `views_inbox.py`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from approvals import workflow
from approvals.forms import CatalogFilterForm, ExtensionForm, RevokeForm
from approvals.models import OPEN_REQUEST_STATES, AccessRequest, Grant
from approvals.timeline import timeline_for
from approvals.views_support import flash_error, paginate, redirect_back
from connectors.models import Assignment

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import HttpRequest, HttpResponse

    from accessportal.models import User
    from approvals.models import AccessRequestQuerySet, GrantQuerySet

REQUEST_TABS = {
    "open": ("Open", lambda requests: requests.open()),
    "closed": (
        "Closed",
        lambda requests: requests.exclude(state__in=OPEN_REQUEST_STATES),
    ),
    "all": ("All", lambda requests: requests),
}


def request_list(user: User, tab: str) -> AccessRequestQuerySet:
    """A person's requests (made by or for them) with what the list shows."""
    return (
        REQUEST_TABS[tab][1](AccessRequest.objects.for_person(user))
        .select_related("entitlement__resource", "beneficiary", "requester")
        .with_open_steps()
        .prefetch_related("open_steps__approvers")
        .order_by("-created_at", "-pk")
    )


def grant_list(user: User) -> GrantQuerySet:
    """The person's unfinished grants, with their open extension requests, by name."""
    return (
        Grant.objects.for_person(user)
        .open()
        .select_related("entitlement__resource", "request")
        .with_open_extensions()
        .order_by("entitlement__display_name", "pk")
    )


def access_beyond_grants(user: User) -> QuerySet[Assignment]:
    """What Atlassian shows the person holding that none of their grants explains:
    their own assignments and what their groups hold (`holder_group` says which)."""
    return (
        Assignment.objects.current()
        .reaching_identity(user)
        .exclude(entitlement__grants__in=Grant.objects.for_person(user).open())
        .select_related("entitlement__resource", "holder_group")
        .order_by("entitlement__display_name", "holder_group__display_name")
    )


def expiring_soon(user: User) -> GrantQuerySet:
    """The person's active grants that end within the reminder window."""
    soon = timezone.now() + timedelta(days=settings.GRANT_EXPIRY_REMINDER_DAYS)
    return (
        Grant.objects.for_person(user)
        .expiring_before(soon)
        .select_related("entitlement")
    )


def may_manage_grant(user: User, grant: Grant) -> bool:
    """The holder, the holder's manager and admins may ask to extend a grant."""
    return (
        user.is_admin
        or grant.beneficiary_id == user.pk
        or grant.beneficiary.manager_id == user.pk
    )


def may_view(user: User, access_request: AccessRequest) -> bool:
    """The parties, anyone asked to approve it, and admins may read a request."""
    parties = (access_request.requester_id, access_request.beneficiary_id)
    return (
        user.is_admin
        or user.pk in parties
        or access_request.steps.filter(approvers=user).exists()
    )


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Home: what waits for me, what I asked for, what I hold, what ends soon."""
    user = request.user
    context = {
        "open_requests": request_list(user, "open")[:5],
        "open_count": request_list(user, "open").count(),
        "grant_count": Grant.objects.for_person(user).held().count(),
        "expiring": expiring_soon(user)[:5],
        "search_form": CatalogFilterForm(),
        "nav_section": "home",
    }
    return render(request, "approvals/dashboard.html", context)


@login_required
def my_requests(request: HttpRequest) -> HttpResponse:
    """The person's requests, open first, each with its state and a lazy timeline."""
    tab = request.GET.get("show") if request.GET.get("show") in REQUEST_TABS else "open"
    page = paginate(request, request_list(request.user, tab))
    context = {"page": page, "tab": tab, "tabs": REQUEST_TABS, "query": f"show={tab}"}
    context["nav_section"] = "requests"
    return render(request, "approvals/my_requests.html", context)


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One request: facts, approval steps, decisions and the audit timeline."""
    access_request = get_object_or_404(
        AccessRequest.objects.select_related(
            "entitlement__resource", "requester", "beneficiary", "policy"
        ),
        pk=pk,
    )
    if not may_view(request.user, access_request):
        raise PermissionDenied("This request is not yours to see.")
    steps = access_request.steps.prefetch_related("approvers", "decisions__decided_by")
    context = {
        "req": access_request,
        "steps": steps,
        "timeline": timeline_for(access_request),
        "can_decide": workflow.can_decide(request.user, access_request),
        "grant": Grant.objects.filter(request=access_request).first(),
        "nav_section": "requests",
    }
    return render(request, "approvals/request_detail.html", context)


@login_required
def request_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """Just the timeline of a request (htmx loads it into the list)."""
    access_request = get_object_or_404(AccessRequest, pk=pk)
    if not may_view(request.user, access_request):
        raise PermissionDenied("This request is not yours to see.")
    context = {"timeline": timeline_for(access_request), "req": access_request}
    return render(request, "approvals/partials/timeline.html", context)


@login_required
@require_POST
def request_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw a pending request."""
    try:
        cancelled = workflow.cancel(pk, by=request.user)
    except workflow.WorkflowError as error:
        flash_error(request, error)
    else:
        messages.success(
            request,
            f"Request #{cancelled.pk} for {cancelled.entitlement} is cancelled.",
        )
    return redirect_back(request, "my_requests")


@login_required
def my_access(request: HttpRequest) -> HttpResponse:
    """What the person holds through the portal, and what Atlassian shows besides."""
    soon = timezone.now() + timedelta(days=settings.GRANT_EXPIRY_REMINDER_DAYS)
    context = {
        "grants": grant_list(request.user),
        "seen": access_beyond_grants(request.user)[:200],
        "soon": soon,
        "nav_section": "access",
    }
    return render(request, "approvals/my_access.html", context)


@login_required
def grant_extend(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask to keep a grant longer: approved like a new request."""
    grant = get_object_or_404(
        Grant.objects.select_related("entitlement__resource", "beneficiary"), pk=pk
    )
    if not may_manage_grant(request.user, grant):
        raise PermissionDenied("This access is not yours to extend.")
    form = ExtensionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        response = submit_extension(request, form, grant)
        if response is not None:
            return response
    context = {"grant": grant, "form": form, "nav_section": "access"}
    return render(request, "approvals/grant_extend.html", context)


def submit_extension(
    request: HttpRequest, form: ExtensionForm, grant: Grant
) -> HttpResponse | None:
    """Send the extension request; None (with errors on the form) when refused."""
    try:
        extension = workflow.request_extension(
            grant.pk,
            requester=request.user,
            justification=form.cleaned_data["justification"],
            duration_days=form.cleaned_data["duration_days"],
            ends_at=form.ends_at,
        )
    except workflow.InvalidRequest as error:
        form.add_workflow_errors(error.field_errors or {"__all__": [error.message]})
        return None
    except workflow.WorkflowError as error:
        flash_error(request, error)
        return None
    messages.success(request, f"Extension of {grant.entitlement} requested.")
    return redirect("request_detail", extension.pk)


@login_required
@require_POST
def grant_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Give up access (the holder) or take it away (an admin)."""
    form = RevokeForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        grant = workflow.revoke_grant(pk, by=request.user, reason=reason)
    except workflow.WorkflowError as error:
        flash_error(request, error)
    else:
        messages.success(
            request, f"{grant.entitlement} is being removed from Atlassian."
        )
    return redirect_back(request, "my_access")
