"""The approvers' inbox: what waits for my decision, approve or deny, one or many."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_POST

from approvals import workflow
from approvals.forms import BulkDecisionForm, DecisionForm
from approvals.models import (
    AccessRequest,
    ApprovalStep,
    Grant,
    RequestState,
)
from approvals.views_support import flash_error, paginate, redirect_back

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

    from accessportal.models import User
    from approvals.models import AccessRequestQuerySet

CURRENT_ACCESS_SHOWN = 6


@dataclass(frozen=True)
class InboxItem:
    """A request waiting for a decision, with the beneficiary's current access."""

    req: AccessRequest
    current_access: list[Grant]
    more_access: int

    @property
    def step(self) -> ApprovalStep | None:
        return self.req.open_steps[0] if self.req.open_steps else None


def awaiting(user: User) -> AccessRequestQuerySet:
    """The inbox, oldest first: just the requests, to count and cut into pages."""
    return AccessRequest.objects.awaiting_decision_by(user).order_by("created_at", "pk")


def with_details(requests: AccessRequestQuerySet) -> list[AccessRequest]:
    """One page of the inbox with everything a card shows, in the page's order.

    Fetched apart from the page's selection: joining people, entitlements and
    policies to every pending request before choosing the user's (PostgreSQL's plan
    with 3k pending) costs ten times more than choosing a page, then joining 25.
    """
    ids = list(requests.values_list("pk", flat=True))
    found = (
        AccessRequest.objects.filter(pk__in=ids)
        .select_related(
            "requester", "beneficiary__manager", "entitlement__resource", "policy"
        )
        .with_open_steps()
        .in_bulk()
    )
    return [found[pk] for pk in ids if pk in found]


def inbox_items(requests: list[AccessRequest]) -> list[InboxItem]:
    """Cards for a page of the inbox: one query for everyone's current access."""
    people = {r.beneficiary_id for r in requests}
    held = defaultdict(list)
    grants = (
        Grant.objects.held()
        .filter(beneficiary__in=people)
        .select_related("entitlement")
        .order_by("entitlement__display_name")
    )
    for grant in grants:
        held[grant.beneficiary_id].append(grant)
    return [
        InboxItem(
            req=r,
            current_access=held[r.beneficiary_id][:CURRENT_ACCESS_SHOWN],
            more_access=max(0, len(held[r.beneficiary_id]) - CURRENT_ACCESS_SHOWN),
        )
        for r in requests
    ]


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """Pending decisions, with bulk approve and deny."""
    page = paginate(request, awaiting(request.user))
    page.object_list = with_details(page.object_list)
    context = {
        "page": page,
        "items": inbox_items(page.object_list),
        "nav_section": "inbox",
    }
    return render(request, "approvals/inbox.html", context)


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve or deny one request, with an optional comment."""
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose Approve or Deny.")
        return redirect_back(request, "inbox")
    decide_one = (
        workflow.approve
        if form.cleaned_data["decision"] == "approve"
        else workflow.deny
    )
    try:
        decided = decide_one(
            pk, approver=request.user, comment=form.cleaned_data["comment"]
        )
    except workflow.WorkflowError as error:
        flash_error(request, error)
    else:
        messages.success(request, decision_message(decided))
    return redirect_back(request, "inbox")


@login_required
@require_POST
def decide_many(request: HttpRequest) -> HttpResponse:
    """Approve or deny the selected requests; report what worked and what did not."""
    form = BulkDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, next(iter(form.errors.values()))[0])
        return redirect_back(request, "inbox")
    outcomes = workflow.decide_many(
        form.cleaned_data["request_ids"],
        approver=request.user,
        decision=form.cleaned_data["decision"],
        comment=form.cleaned_data["comment"],
    )
    done = [o for _pk, o in outcomes if not isinstance(o, workflow.WorkflowError)]
    if done:
        verb = "Approved" if form.cleaned_data["decision"] == "approve" else "Denied"
        messages.success(
            request, f"{verb} {len(done)} request{'s' if len(done) != 1 else ''}."
        )
    for pk, outcome in outcomes:
        if isinstance(outcome, workflow.WorkflowError):
            messages.error(request, f"Request #{pk}: {outcome.message}")
    return redirect_back(request, "inbox")


def decision_message(decided: AccessRequest) -> str:
    """What happened after a decision, in words."""
    what = f"{decided.entitlement} for {decided.beneficiary.label}"
    if decided.state == RequestState.PENDING:
        return f"Approved your step of {what}; it now waits for the next approver."
    if decided.state == RequestState.DENIED:
        return f"Denied {what}."
    return f"Approved {what}. Access is being set up in Atlassian."
