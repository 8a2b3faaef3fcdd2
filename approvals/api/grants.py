"""Grants over the API: what people hold, revoking it, asking to extend it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from approvals import workflow
from approvals.api.base import PortalReadOnlyViewSet
from approvals.api.errors import ERRORS_READ, ERRORS_WRITE, DetailSerializer
from approvals.api.fields import StrictCharField, StrictIntegerField
from approvals.api.filters import GrantFilter
from approvals.api.request_serializers import (
    MAX_DAYS,
    MAX_TEXT,
    AccessRequestSerializer,
)
from approvals.api.serializers import EntitlementBriefSerializer, PersonSerializer
from approvals.models import Grant, GrantOrigin, GrantState

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from rest_framework.request import Request

GRANT_RELATED = (
    "beneficiary",
    "entitlement__resource",
    "account",
    "ended_by",
    "adopted_by",
)
CONFLICT = {409: OpenApiResponse(DetailSerializer, description="Already ended")}


class GrantSerializer(serializers.ModelSerializer):
    """Approved access of a person to an entitlement, and where it stands."""

    state = serializers.ChoiceField(choices=GrantState.choices, read_only=True)
    beneficiary = PersonSerializer(read_only=True)
    entitlement = EntitlementBriefSerializer(read_only=True)
    account_id = serializers.CharField(
        source="account.account_id", read_only=True, allow_null=True, default=None
    )
    ended_by = PersonSerializer(read_only=True, allow_null=True)
    origin = serializers.ChoiceField(
        choices=GrantOrigin.choices,
        read_only=True,
        help_text="request: an approved request; birthright: a birthright rule; "
        "adopted: access Atlassian already held, adopted from a drift finding",
    )
    adopted_by = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Grant
        fields = [
            "id",
            "state",
            "beneficiary",
            "entitlement",
            "account_id",
            "origin",
            "request",
            "adopted_by",
            "adopted_at",
            "starts_at",
            "ends_at",
            "activated_at",
            "ended_at",
            "ended_by",
            "end_reason",
            "is_missing",
        ]
        read_only_fields = fields


class RevokeSerializer(serializers.Serializer):
    """Why the access is taken away."""

    reason = StrictCharField(
        max_length=MAX_TEXT, allow_blank=True, required=False, default=""
    )


class ExtensionSerializer(serializers.Serializer):
    """Ask to keep the access longer."""

    justification = StrictCharField(
        max_length=MAX_TEXT, allow_blank=True, required=False, default=""
    )
    duration_days = StrictIntegerField(
        min_value=1, max_value=MAX_DAYS, required=False, allow_null=True
    )
    ends_at = serializers.DateTimeField(required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("duration_days") and attrs.get("ends_at"):
            raise serializers.ValidationError(
                {"ends_at": ["Give either `duration_days` or `ends_at`, not both."]}
            )
        ends_at = attrs.get("ends_at")
        if ends_at is not None and ends_at <= timezone.now():
            raise serializers.ValidationError(
                {"ends_at": ["The end must be in the future."]}
            )
        return attrs


@extend_schema_view(
    list=extend_schema(summary="Grants I hold (admins: all; ?mine=true: only mine)"),
    retrieve=extend_schema(
        summary="One grant", responses={200: GrantSerializer, **ERRORS_READ}
    ),
)
class GrantViewSet(PortalReadOnlyViewSet):
    """Approved access: the holder sees their own, admins see all."""

    serializer_class = GrantSerializer
    filterset_class = GrantFilter

    def get_queryset(self) -> QuerySet[Grant]:
        if self.schema_generation():
            return Grant.objects.none()
        grants = Grant.objects.select_related(*GRANT_RELATED).order_by(
            "-starts_at", "-id"
        )
        user = self.request.user
        return grants if user.is_admin else grants.filter(beneficiary=user)

    @extend_schema(
        summary="Revoke: take the access away in Atlassian",
        request=RevokeSerializer,
        responses={200: GrantSerializer, **ERRORS_WRITE, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str) -> Response:
        grant = get_object_or_404(Grant, pk=pk)
        serializer = RevokeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        workflow.revoke_grant(
            grant.pk, by=request.user, reason=serializer.validated_data["reason"]
        )
        grant = Grant.objects.select_related(*GRANT_RELATED).get(pk=grant.pk)
        context = self.get_serializer_context()
        return Response(GrantSerializer(grant, context=context).data)

    @extend_schema(
        summary="Ask to extend a time-bound grant (a new request)",
        request=ExtensionSerializer,
        responses={201: AccessRequestSerializer, **ERRORS_WRITE, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def extend(self, request: Request, pk: str) -> Response:
        grant = get_object_or_404(Grant, pk=pk)  # the workflow says who may (403)
        serializer = ExtensionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        extension = workflow.request_extension(
            grant.pk,
            requester=request.user,
            justification=data["justification"],
            duration_days=data.get("duration_days"),
            ends_at=data.get("ends_at"),
        )
        body = AccessRequestSerializer(
            extension, context=self.get_serializer_context()
        ).data
        return Response(body, status=status.HTTP_201_CREATED)
