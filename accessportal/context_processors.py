"""Values every page needs: whether SSO is offered, the navigation's counters."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.conf import settings
from django.utils.functional import SimpleLazyObject

if TYPE_CHECKING:
    from django.http import HttpRequest

CART_SESSION_KEY = "portal_cart"


def cart_ids(request: HttpRequest) -> list[int]:
    """Entitlement ids in the signed-in person's cart (kept in the session)."""
    return list(request.session.get(CART_SESSION_KEY, []))


def inbox_count(request: HttpRequest) -> int:
    """How many requests wait for this person's decision (one COUNT query)."""
    # Looked up by name: the project package does not import the approvals app.
    access_request = apps.get_model("approvals", "AccessRequest")
    return access_request.objects.awaiting_decision_by(request.user).count()


def demo_logins() -> list[dict[str, str]]:
    """The demo sign-ins that `setup_demo` created, shown on the sign-in page outside production."""
    if settings.IS_PRODUCTION:
        return []
    from approvals.management.commands.setup_demo import DEMO_PEOPLE

    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    present = set(
        user_model.objects.filter(
            username__in=[person[0] for person in DEMO_PEOPLE]
        ).values_list("username", flat=True)
    )
    return [
        {"username": username, "role": role}
        for username, _email, role, _is_admin in DEMO_PEOPLE
        if username in present
    ]


def demo_password() -> str:
    """The demo password (only ever rendered next to the demo logins)."""
    from approvals.management.commands.setup_demo import DEMO_PASSWORD

    return DEMO_PASSWORD


def portal(request: HttpRequest) -> dict[str, Any]:
    """SSO switch, lazily computed navigation counters and demo hints.

    Everything that costs a query is lazy, so pages that do not show it pay nothing.
    """
    context: dict[str, Any] = {
        "oidc_enabled": settings.OIDC_ENABLED,
        "portal_demo_logins": SimpleLazyObject(demo_logins),
        "portal_demo_password": SimpleLazyObject(demo_password),
    }
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        context["portal_nav"] = {
            "cart_count": len(cart_ids(request)),
            "inbox_count": SimpleLazyObject(lambda: inbox_count(request)),
        }
    return context
