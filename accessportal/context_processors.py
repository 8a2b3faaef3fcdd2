"""Values every page needs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from django.http import HttpRequest


def portal(request: HttpRequest) -> dict[str, object]:
    """Whether SSO is offered, for the sign-in page and the layout."""
    return {"oidc_enabled": settings.OIDC_ENABLED}
