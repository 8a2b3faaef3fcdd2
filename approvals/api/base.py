"""Base classes of the API's views: token first (so anonymous calls get a 401), paging."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework import mixins, viewsets
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.parsers import JSONParser

from approvals.api.errors import WorkflowErrorsMixin
from approvals.api.pagination import PortalPagination
from approvals.api.schema import PortalAutoSchema

if TYPE_CHECKING:
    from django.db.models import QuerySet

# Token first: DRF answers an anonymous call with the first class's challenge, and
# `WWW-Authenticate: Token` makes that a 401 instead of a 403.
API_AUTHENTICATION = [TokenAuthentication, SessionAuthentication]


class PortalViewSet(WorkflowErrorsMixin, viewsets.GenericViewSet):
    """Authenticated, paginated, filterable; workflow errors become 400/403/409."""

    authentication_classes = API_AUTHENTICATION
    parser_classes = [JSONParser]
    pagination_class = PortalPagination
    schema = PortalAutoSchema()
    lookup_value_regex = r"[^/]+"  # DRF answers a bad id with a JSON 404

    def schema_generation(self) -> bool:
        """True while drf-spectacular builds the schema (no real user)."""
        return getattr(self, "swagger_fake_view", False)

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        # List filters (?kind=, hidden removed rows) never hide an object asked by id.
        if self.detail:
            return queryset
        return super().filter_queryset(queryset)


class PortalReadOnlyViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, PortalViewSet
):
    """List and retrieve."""
