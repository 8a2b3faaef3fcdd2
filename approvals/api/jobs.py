"""Provisioning jobs over the API (administrators): follow them, retry failed ones."""

from __future__ import annotations

from typing import TYPE_CHECKING

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from approvals import workflow
from approvals.api.base import PortalReadOnlyViewSet
from approvals.api.errors import ERRORS_READ, DetailSerializer
from approvals.api.filters import ProvisioningJobFilter
from approvals.api.permissions import IsPortalAdmin
from approvals.api.serializers import JSONObjectField
from approvals.models import ProvisioningJob

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from rest_framework.request import Request


class ProvisioningJobSerializer(serializers.ModelSerializer):
    """One change to make in Atlassian, and how it went."""

    payload = JSONObjectField(read_only=True)
    result = JSONObjectField(read_only=True)
    account_id = serializers.CharField(
        source="account.account_id", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = ProvisioningJob
        fields = [
            "id",
            "kind",
            "status",
            "application",
            "grant",
            "identity",
            "entitlement",
            "account_id",
            "payload",
            "result",
            "attempts",
            "max_attempts",
            "not_before",
            "last_error",
            "last_error_code",
            "reason",
            "created_by",
            "created_at",
            "updated_at",
            "finished_at",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(summary="Provisioning jobs, newest first"),
    retrieve=extend_schema(
        summary="One provisioning job",
        responses={200: ProvisioningJobSerializer, **ERRORS_READ},
    ),
)
class ProvisioningJobViewSet(PortalReadOnlyViewSet):
    """The provisioning outbox (administrators)."""

    serializer_class = ProvisioningJobSerializer
    filterset_class = ProvisioningJobFilter
    permission_classes = [IsPortalAdmin]

    def get_queryset(self) -> QuerySet[ProvisioningJob]:
        return ProvisioningJob.objects.select_related("account").order_by(
            "-created_at", "-id"
        )

    @extend_schema(
        summary="Retry a failed job",
        request=None,
        responses={
            200: ProvisioningJobSerializer,
            **ERRORS_READ,
            409: OpenApiResponse(DetailSerializer, description="Not failed"),
        },
    )
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str) -> Response:
        job = self.get_object()
        job = workflow.retry_job(job.pk, by=request.user)
        return Response(ProvisioningJobSerializer(job).data)
