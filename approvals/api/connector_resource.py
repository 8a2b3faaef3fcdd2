"""The connector resource API for external identity-governance systems.

IDHub-style connector clients aggregate `Account` and `Entitlement` resources and ask
for accounts to be created, updated and deleted. They authenticate with HTTP Basic as
a dedicated service account (`manage.py create_connector_service_account`). Changes
are never made inline: each becomes a ProvisioningJob, the same outbox approvals use,
and the answer is 202 with the job to poll at /api/v1/connector/Job/{id}.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Prefetch
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.authentication import BasicAuthentication
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.reverse import reverse

from approvals.api.account_jobs import (
    request_account_creation,
    request_account_deletion,
    request_account_update,
)
from approvals.api.connector_serializers import (
    ConnectorAccountInputSerializer,
    ConnectorAccountSerializer,
    ConnectorAccountUpdateSerializer,
    ConnectorEntitlementSerializer,
    ConnectorJobSerializer,
    profile_changes,
)
from approvals.api.errors import (
    DetailSerializer,
    FieldErrorsSerializer,
    WorkflowErrorsMixin,
)
from approvals.api.filters import ConnectorAccountFilter, ConnectorEntitlementFilter
from approvals.api.pagination import PortalPagination
from approvals.api.permissions import IsConnectorService
from approvals.api.schema import PortalAutoSchema
from approvals.models import ProvisioningJob
from connectors.models import Account, Assignment, Entitlement

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.db.models import QuerySet
    from rest_framework.request import Request
    from rest_framework.serializers import Serializer

UNAUTHORIZED = OpenApiResponse(
    DetailSerializer, description="No or wrong credentials (HTTP Basic)"
)
FORBIDDEN = OpenApiResponse(
    DetailSerializer, description="Not a connector service account"
)
NOT_FOUND = OpenApiResponse(DetailSerializer, description="No such resource")
AUTH_ERRORS = {401: UNAUTHORIZED, 403: FORBIDDEN}
ACCEPTED = OpenApiResponse(
    ConnectorJobSerializer, description="Queued; poll the job at its Location"
)


class ConnectorBase(WorkflowErrorsMixin, viewsets.GenericViewSet):
    """HTTP Basic against the connector service account; paged like the rest."""

    authentication_classes = [BasicAuthentication]
    permission_classes = [IsConnectorService]
    parser_classes = [JSONParser]
    pagination_class = PortalPagination
    schema = PortalAutoSchema()
    lookup_url_kwarg = "id"
    lookup_value_regex = r"[^/]+"  # DRF answers a bad id with a JSON 404


def aggregation_schema(
    serializer: type[Serializer], *, list_summary: str, retrieve_summary: str
) -> Callable[[type], type]:
    """The documented answers of a list + retrieve resource."""
    return extend_schema_view(
        list=extend_schema(
            summary=list_summary,
            responses={200: serializer(many=True), **AUTH_ERRORS},
        ),
        retrieve=extend_schema(
            summary=retrieve_summary,
            responses={200: serializer, **AUTH_ERRORS, 404: NOT_FOUND},
        ),
    )


def accepted(job: ProvisioningJob, request: Request) -> Response:
    """202 with the job and where to poll it."""
    url = reverse("api:connector-job-detail", args=[job.pk], request=request)
    body = ConnectorJobSerializer(job, context={"request": request}).data
    return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": url})


@aggregation_schema(
    ConnectorAccountSerializer,
    list_summary="Accounts (aggregation)",
    retrieve_summary="One account by Atlassian accountId",
)
class ConnectorAccountViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, ConnectorBase
):
    """Atlassian accounts; creating, updating and deleting them queues jobs."""

    serializer_class = ConnectorAccountSerializer
    filterset_class = ConnectorAccountFilter
    lookup_field = "account_id"

    def get_queryset(self) -> QuerySet[Account]:
        return (
            Account.objects.present()
            .filter(application__is_enabled=True)
            .select_related("identity", "application")
            .prefetch_related(
                Prefetch("assignments", queryset=Assignment.objects.current())
            )
            .order_by("id")
        )

    def get_object(self) -> Account:
        account_id = self.kwargs["id"]
        if "\x00" in account_id:  # PostgreSQL refuses NUL in text: no such account
            raise Http404
        # accountIds are global: one person may be in two connected organizations.
        matches = self.filter_queryset(self.get_queryset()).filter(
            account_id=account_id
        )
        found = list(matches[:2])
        if not found:
            raise Http404
        if len(found) > 1:
            raise ValidationError(
                {
                    "application": [
                        "This account is in several applications: add ?application=<id>."
                    ]
                }
            )
        self.check_object_permissions(self.request, found[0])
        return found[0]

    @extend_schema(
        summary="Create an account (queued)",
        request=ConnectorAccountInputSerializer,
        responses={202: ACCEPTED, 400: FieldErrorsSerializer, **AUTH_ERRORS},
    )
    def create(self, request: Request) -> Response:
        serializer = ConnectorAccountInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        job = request_account_creation(
            data["application"],
            email=data["email"],
            profile=profile_changes(data),
            by=request.user,
        )
        return accepted(job, request)

    @extend_schema(
        summary="Update an account (queued); `active` disables or enables it",
        request=ConnectorAccountUpdateSerializer,
        responses={
            202: ACCEPTED,
            400: FieldErrorsSerializer,
            **AUTH_ERRORS,
            404: NOT_FOUND,
        },
    )
    def update(self, request: Request, id: str) -> Response:
        return self.change(request, partial=False)

    @extend_schema(
        summary="Update some attributes of an account (queued)",
        request=ConnectorAccountUpdateSerializer,
        responses={
            202: ACCEPTED,
            400: FieldErrorsSerializer,
            **AUTH_ERRORS,
            404: NOT_FOUND,
        },
    )
    def partial_update(self, request: Request, id: str) -> Response:
        return self.change(request, partial=True)

    @extend_schema(
        summary="Delete an account from the organization (queued)",
        request=None,
        responses={202: ACCEPTED, **AUTH_ERRORS, 404: NOT_FOUND},
    )
    def destroy(self, request: Request, id: str) -> Response:
        account = self.get_object()
        job = request_account_deletion(account, by=request.user)
        return accepted(job, request)

    def change(self, request: Request, *, partial: bool) -> Response:
        account = self.get_object()
        serializer = ConnectorAccountUpdateSerializer(
            data=request.data, partial=partial
        )
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        jobs = request_account_update(
            account,
            changes=profile_changes(data),
            active=data.get("active"),
            by=request.user,
        )
        if not jobs:
            return Response(
                {"non_field_errors": ["Nothing to change."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return accepted(jobs[-1], request)


@aggregation_schema(
    ConnectorEntitlementSerializer,
    list_summary="Entitlements (aggregation)",
    retrieve_summary="One entitlement",
)
class ConnectorEntitlementViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, ConnectorBase
):
    """Every entitlement present in Atlassian, with its request form."""

    serializer_class = ConnectorEntitlementSerializer
    filterset_class = ConnectorEntitlementFilter

    def get_queryset(self) -> QuerySet[Entitlement]:
        return (
            Entitlement.objects.present()
            .filter(application__is_enabled=True)
            .select_related("resource__owner", "owner", "application")
            .order_by("id")
        )


@extend_schema_view(
    retrieve=extend_schema(
        summary="A job queued by this API: poll until succeeded or failed",
        responses={200: ConnectorJobSerializer, **AUTH_ERRORS, 404: NOT_FOUND},
    ),
)
class ConnectorJobViewSet(mixins.RetrieveModelMixin, ConnectorBase):
    """The provisioning jobs the connector API queued."""

    serializer_class = ConnectorJobSerializer

    def get_queryset(self) -> QuerySet[ProvisioningJob]:
        return ProvisioningJob.objects.filter(
            created_by=self.request.user
        ).select_related("account")
