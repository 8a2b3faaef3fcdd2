"""The catalog over the API: entitlements (everyone) and accounts (administrators)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from drf_spectacular.utils import extend_schema, extend_schema_view

from approvals.api.base import PortalReadOnlyViewSet
from approvals.api.errors import ERRORS_READ
from approvals.api.filters import AccountFilter, EntitlementFilter
from approvals.api.permissions import IsPortalAdmin
from approvals.api.serializers import AccountSerializer, EntitlementSerializer
from connectors.models import Account, Entitlement

if TYPE_CHECKING:
    from django.db.models import QuerySet


@extend_schema_view(
    list=extend_schema(summary="The catalog: entitlements people may request"),
    retrieve=extend_schema(
        summary="One entitlement",
        responses={200: EntitlementSerializer, **ERRORS_READ},
    ),
)
class EntitlementViewSet(PortalReadOnlyViewSet):
    """Requestable entitlements, with their parent resource, owner and policy."""

    serializer_class = EntitlementSerializer
    filterset_class = EntitlementFilter

    def get_queryset(self) -> QuerySet[Entitlement]:
        return (
            Entitlement.objects.requestable()
            .select_related("resource__owner", "owner", "application")
            .order_by("display_name", "id")
        )


@extend_schema_view(
    list=extend_schema(summary="Atlassian accounts as last reconciled"),
    retrieve=extend_schema(
        summary="One account", responses={200: AccountSerializer, **ERRORS_READ}
    ),
)
class AccountViewSet(PortalReadOnlyViewSet):
    """Atlassian accounts (administrators)."""

    serializer_class = AccountSerializer
    filterset_class = AccountFilter
    permission_classes = [IsPortalAdmin]

    def get_queryset(self) -> QuerySet[Account]:
        return Account.objects.select_related("application", "identity").order_by(
            "display_name", "id"
        )
