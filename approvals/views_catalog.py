"""Catalog pages: browse and search entitlements, look at one, fill the request cart."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accessportal.context_processors import cart_ids
from approvals import workflow
from approvals.forms import KIND_LABELS, CatalogFilterForm, RequestForm
from approvals.policies import entitlement_owner
from approvals.views_support import (
    CART_LIMIT,
    add_to_cart,
    catalog_rows,
    flash_error,
    paginate,
    redirect_back,
    remove_from_cart,
)
from connectors.models import Assignment, Entitlement

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

    from connectors.models import Entitlement as EntitlementRow
    from connectors.models import EntitlementQuerySet

CATALOG_COUNT_CAP = 1000  # beyond this, ask for a narrower search
CATALOG_COLUMNS = ("resource", "owner", "resource__owner", "application")


def catalog_queryset() -> EntitlementQuerySet:
    """Requestable entitlements with what their rows show, in catalog order."""
    return (
        Entitlement.objects.requestable()
        .select_related(*CATALOG_COLUMNS)
        .order_by("display_name", "pk")
    )


def holder_count(entitlement: EntitlementRow) -> int:
    """How many accounts Atlassian showed holding the entitlement (directly or not)."""
    return Assignment.objects.holders_of(entitlement.pk).count()


@login_required
def catalog(request: HttpRequest) -> HttpResponse:
    """Search and filter the catalog; htmx requests get just the results."""
    form = CatalogFilterForm(request.GET or None)
    page = paginate(request, form.apply(catalog_queryset()), cap=CATALOG_COUNT_CAP)
    rows = catalog_rows(list(page), user=request.user, cart=cart_ids(request))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "rows": rows, "query": query.urlencode()}
    context |= {"nav_section": "catalog", "kind_labels": KIND_LABELS}
    if request.htmx and request.htmx.target == "catalog-results":
        return render(request, "approvals/partials/catalog_results.html", context)
    return render(request, "approvals/catalog.html", context)


@login_required
def entitlement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One entitlement: what it is, where it lives, who approves, who holds it."""
    entitlement = get_object_or_404(catalog_queryset(), pk=pk)
    (row,) = catalog_rows([entitlement], user=request.user, cart=cart_ids(request))
    context = {
        "row": row,
        "entitlement": entitlement,
        "owner": entitlement_owner(entitlement),
        "holders_count": holder_count(entitlement),
        "kind_labels": KIND_LABELS,
        "nav_section": "catalog",
    }
    return render(request, "approvals/entitlement_detail.html", context)


@login_required
@require_POST
def cart_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Put an entitlement in the cart (htmx: swap the row's button and the counter)."""
    entitlement = get_object_or_404(catalog_queryset(), pk=pk)
    if not add_to_cart(request, entitlement.pk):
        messages.warning(request, f"Your cart holds at most {CART_LIMIT} items.")
    elif not request.htmx:
        messages.success(request, f"Added {entitlement.display_name} to your cart.")
    if request.htmx:
        (row,) = catalog_rows([entitlement], user=request.user, cart=cart_ids(request))
        context = {"row": row, "cart_count": len(cart_ids(request))}
        return render(request, "approvals/partials/cart_added.html", context)
    return redirect_back(request, "cart")


@login_required
@require_POST
def cart_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Take an entitlement out of the cart."""
    remove_from_cart(request, [pk])
    return redirect_back(request, "cart")


@login_required
def cart(request: HttpRequest) -> HttpResponse:
    """The cart and its request form: why, for whom, how long; submit sends it all."""
    entitlements = list(catalog_queryset().filter(pk__in=cart_ids(request)))
    form = RequestForm(request.POST or None, requester=request.user)
    if request.method == "POST" and form.is_valid():
        response = submit_cart(request, form, entitlements)
        if response is not None:
            return response
    rows = catalog_rows(entitlements, user=request.user, cart=cart_ids(request))
    if any(row.policy.justification_required for row in rows):
        form.required_hint = {"justification"}  # the workflow enforces it
    context = {"form": form, "rows": rows, "nav_section": "cart"}
    return render(request, "approvals/cart.html", context)


def submit_cart(
    request: HttpRequest, form: RequestForm, entitlements: list[EntitlementRow]
) -> HttpResponse | None:
    """Send the cart as requests; None (with errors on the form) when refused."""
    data = form.cleaned_data
    try:
        created = workflow.submit_requests(
            requester=request.user,
            entitlements=[e.pk for e in entitlements],
            justification=data["justification"],
            beneficiary=data.get("beneficiary"),
            duration_days=data["duration_days"],
            ends_at=form.ends_at,
        )
    except workflow.InvalidRequest as error:
        form.add_workflow_errors(error.field_errors or {"__all__": [error.message]})
        return None
    except workflow.WorkflowError as error:
        flash_error(request, error)
        return None
    remove_from_cart(request, [r.entitlement_id for r in created])
    names = ", ".join(r.entitlement.display_name for r in created)
    messages.success(request, f"Request sent for {names}. You can follow it below.")
    return redirect("my_requests")
