"""Small helpers the page views share: the cart, paging, flash messages, catalog rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import prefetch_related_objects
from django.shortcuts import redirect
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme

from accessportal.context_processors import CART_SESSION_KEY, cart_ids
from approvals.models import AccessRequest, ApprovalRule, Grant, GrantState, Policy
from approvals.policies import approvers_summary, resolve_policies
from connectors.models import Assignment

if TYPE_CHECKING:
    from collections.abc import Iterable

    from django.http import HttpRequest, HttpResponseRedirect

    from accessportal.models import User
    from approvals.workflow import WorkflowError
    from connectors.models import Entitlement

PAGE_SIZE = 25
PAGE_SIZES = ("25", "50", "100")
CART_LIMIT = 20


# --- the cart (entitlement ids in the session) ------------------------------------


def add_to_cart(request: HttpRequest, entitlement_id: int) -> bool:
    """Put an entitlement in the cart; False when the cart is full."""
    ids = cart_ids(request)
    if entitlement_id in ids:
        return True
    if len(ids) >= CART_LIMIT:
        return False
    request.session[CART_SESSION_KEY] = [*ids, entitlement_id]
    return True


def remove_from_cart(request: HttpRequest, entitlement_ids: Iterable[int]) -> None:
    """Take entitlements out of the cart."""
    gone = set(entitlement_ids)
    request.session[CART_SESSION_KEY] = [i for i in cart_ids(request) if i not in gone]


# --- pages, redirects, messages ----------------------------------------------------


class CappedPaginator(Paginator):
    """Counts at most `cap` items: a catalog search need not count 50k matches.

    Past the cap the page says "more than N" and asks for a narrower search, as big
    catalogs do; counting stops early instead of scanning the whole table.
    """

    def __init__(self, items: Any, per_page: int, *, cap: int) -> None:
        super().__init__(items, per_page)
        self.cap = cap

    @cached_property
    def count(self) -> int:
        items = self.object_list
        if hasattr(items, "order_by"):  # any cap + 1 rows will do: no sort to count
            items = items.order_by()
        return items[: self.cap + 1].count()

    @property
    def is_capped(self) -> bool:
        return self.count > self.cap

    @cached_property
    def num_pages(self) -> int:
        return max(1, -(-min(self.count, self.cap) // self.per_page))


def paginate(request: HttpRequest, items: Any, *, cap: int | None = None) -> Page:
    """The requested page (?page=N, ?per_page=25|50|100), clamped to the existing pages."""
    per_page = request.GET.get("per_page", "")
    size = int(per_page) if per_page in PAGE_SIZES else PAGE_SIZE
    paginator = CappedPaginator(items, size, cap=cap) if cap else Paginator(items, size)
    return paginator.get_page(request.GET.get("page"))


def redirect_back(request: HttpRequest, fallback: str) -> HttpResponseRedirect:
    """Back to the page named by ?next= / next=, if it is ours; else to `fallback`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(fallback)


def flash_error(request: HttpRequest, error: WorkflowError) -> None:
    """A refused workflow step as a message a person can read."""
    messages.error(request, error.message)


# --- catalog rows -------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogRow:
    """One entitlement as the signed-in person sees it in the catalog."""

    entitlement: Entitlement
    status: str  # held | pending | in_cart | requestable
    approvers: str
    policy: Policy

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


STATUS_LABELS = {
    "held": "You have it",
    "pending": "Requested",
    "in_cart": "In your cart",
    "requestable": "Available",
}


def held_entitlement_ids(user: User, ids: list[int]) -> set[int]:
    """Which of `ids` the person holds: an active grant, or access seen in Atlassian."""
    granted = Grant.objects.filter(
        beneficiary=user, state=GrantState.ACTIVE, entitlement_id__in=ids
    ).values_list("entitlement_id", flat=True)
    assigned = (
        Assignment.objects.current()
        .reaching_identity(user)
        .filter(entitlement_id__in=ids)
        .values_list("entitlement_id", flat=True)
    )
    return set(granted) | set(assigned)


def pending_entitlement_ids(user: User, ids: list[int]) -> set[int]:
    """Which of `ids` the person has asked for and is waiting for."""
    return set(
        AccessRequest.objects.open()
        .filter(beneficiary=user, entitlement_id__in=ids)
        .values_list("entitlement_id", flat=True)
    )


def approver_texts(
    entitlements: list[Entitlement], *, beneficiary: User
) -> dict[int, tuple[Policy, str]]:
    """Each entitlement's policy and "who approves" text, in a constant number of queries."""
    policies = resolve_policies(entitlements)
    # Only saved N-of-M policies name approvers (the built-in default is unsaved).
    listed = {
        p.pk: p for p in policies.values() if p.pk and p.rule == ApprovalRule.N_OF_M
    }
    prefetch_related_objects(list(listed.values()), "approvers")
    return {
        e.pk: (
            policies[e.pk],
            approvers_summary(policies[e.pk], beneficiary=beneficiary, entitlement=e),
        )
        for e in entitlements
    }


def catalog_rows(
    entitlements: list[Entitlement], *, user: User, cart: Iterable[int]
) -> list[CatalogRow]:
    """Rows for a page of the catalog: status and approvers, without N+1 queries.

    The entitlements need `resource`, `owner` and `resource__owner` selected.
    """
    ids = [e.pk for e in entitlements]
    held = held_entitlement_ids(user, ids) if ids else set()
    pending = pending_entitlement_ids(user, ids) if ids else set()
    in_cart = set(cart)
    texts = approver_texts(entitlements, beneficiary=user) if ids else {}
    rows = []
    for entitlement in entitlements:
        status = _status(entitlement.pk, held=held, pending=pending, in_cart=in_cart)
        policy, text = texts[entitlement.pk]
        rows.append(CatalogRow(entitlement, status, text, policy))
    return rows


def _status(pk: int, *, held: set[int], pending: set[int], in_cart: set[int]) -> str:
    """The row's status, strongest first: held, pending, in the cart, requestable."""
    if pk in held:
        return "held"
    if pk in pending:
        return "pending"
    if pk in in_cart:
        return "in_cart"
    return "requestable"
