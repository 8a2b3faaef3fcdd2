"""Who may call what: the same rules as the web pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.permissions import BasePermission

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView

# Members of this group are the service accounts that external identity-governance
# systems use for the connector resource API (HTTP Basic).
CONNECTOR_SERVICE_GROUP = "connector-service"


def is_portal_admin(user: object) -> bool:
    """Portal administrators (staff or superuser) run the system."""
    return bool(getattr(user, "is_authenticated", False) and user.is_admin)  # type: ignore[attr-defined]


def is_connector_service(user: object) -> bool:
    """Active service accounts in the connector-service group."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:  # type: ignore[attr-defined]
        return False
    return user.groups.filter(name=CONNECTOR_SERVICE_GROUP).exists()  # type: ignore[attr-defined]


class IsPortalAdmin(BasePermission):
    """Only portal administrators."""

    message = "Only portal administrators may do this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return is_portal_admin(request.user)


class IsConnectorService(BasePermission):
    """Only the connector service account(s)."""

    message = (
        f"This account is not a connector service account "
        f"(members of the {CONNECTOR_SERVICE_GROUP!r} group)."
    )

    def has_permission(self, request: Request, view: APIView) -> bool:
        return is_connector_service(request.user)
