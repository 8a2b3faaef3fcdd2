"""Reconciliation runs over the API (administrators): start one, follow its progress."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.reverse import reverse

from approvals.api.base import PortalReadOnlyViewSet
from approvals.api.errors import ERRORS_READ, ERRORS_WRITE, Conflict, DetailSerializer
from approvals.api.fields import (
    StrictBooleanField,
    StrictCharField,
    StrictPrimaryKeyRelatedField,
)
from approvals.api.filters import ReconciliationRunFilter
from approvals.api.permissions import IsPortalAdmin
from approvals.api.serializers import JSONObjectField
from connectors.models import Application, ReconciliationRun, RunTrigger
from connectors.reconcile import InvalidRunRequest, RunAlreadyActive, start_run
from connectors.reconcile_scope import ALL_KINDS
from connectors.tasks import enqueue

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from rest_framework.request import Request

ONLY_CHOICES = list(ALL_KINDS)  # what a run may be limited to


class RunFilterSerializer(serializers.Serializer):
    """A limited run: only these groups, projects, spaces or email domains."""

    group = serializers.ListField(
        child=StrictCharField(max_length=255), required=False, max_length=100
    )
    project = serializers.ListField(
        child=StrictCharField(max_length=255), required=False, max_length=100
    )
    space = serializers.ListField(
        child=StrictCharField(max_length=255), required=False, max_length=100
    )
    domain = serializers.ListField(
        child=StrictCharField(max_length=255), required=False, max_length=100
    )
    scim = StrictCharField(max_length=1000, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The keys are connectors.reconcile_scope.FILTER_KEYS; empty ones mean "any".
        return {key: value for key, value in attrs.items() if value}


class ReconciliationRunSerializer(serializers.ModelSerializer):
    """One run: status, phase, progress per phase, counts per kind, errors."""

    application = serializers.CharField(source="application.name", read_only=True)
    application_id = serializers.IntegerField(read_only=True)
    triggered_by = serializers.CharField(
        source="triggered_by.username", read_only=True, allow_null=True, default=None
    )
    progress = JSONObjectField(read_only=True, help_text="phase → {done, total}")
    counts = JSONObjectField(
        read_only=True, help_text="kind → {created, updated, unchanged, removed}"
    )
    api_calls = JSONObjectField(read_only=True, help_text="API family → calls")
    errors = serializers.ListField(child=serializers.JSONField(), read_only=True)
    duration_seconds = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = ReconciliationRun
        fields = [
            "id",
            "application",
            "application_id",
            "is_incremental",
            "only",
            "status",
            "phase",
            "progress",
            "counts",
            "api_calls",
            "errors",
            "error",
            "trigger",
            "triggered_by",
            "created_at",
            "started_at",
            "finished_at",
            "duration_seconds",
        ]
        read_only_fields = fields


class ReconciliationStartSerializer(serializers.Serializer):
    """Start a run: full or incremental, optionally limited to some kinds."""

    application = StrictPrimaryKeyRelatedField(
        queryset=Application.objects.filter(is_enabled=True),
        required=False,
        help_text="Defaults to the only enabled application",
    )
    incremental = StrictBooleanField(default=False)
    only = serializers.ListField(
        child=serializers.ChoiceField(choices=ONLY_CHOICES),
        required=False,
        default=list,
        max_length=len(ONLY_CHOICES),
    )

    filter = RunFilterSerializer(required=False, help_text="Limit the run")

    def validate_only(self, value: list[str]) -> list[str]:
        return sorted(set(value), key=ONLY_CHOICES.index)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "application" not in attrs:
            enabled = list(Application.objects.filter(is_enabled=True)[:2])
            if len(enabled) != 1:
                raise serializers.ValidationError(
                    {
                        "application": [
                            "Several applications are enabled: say which one."
                            if enabled
                            else "No application is enabled."
                        ]
                    }
                )
            attrs["application"] = enabled[0]
        return attrs


class RunStartedSerializer(serializers.Serializer):
    """The queued run and where to follow it."""

    id = serializers.IntegerField()
    status = serializers.CharField()
    url = serializers.URLField()


@extend_schema_view(
    list=extend_schema(summary="Reconciliation runs, newest first"),
    retrieve=extend_schema(
        summary="One run: status, phase, progress and counts",
        responses={200: ReconciliationRunSerializer, **ERRORS_READ},
    ),
)
class ReconciliationViewSet(mixins.CreateModelMixin, PortalReadOnlyViewSet):
    """Start reconciliations and follow them (administrators)."""

    serializer_class = ReconciliationRunSerializer
    filterset_class = ReconciliationRunFilter
    permission_classes = [IsPortalAdmin]

    def get_queryset(self) -> QuerySet[ReconciliationRun]:
        return ReconciliationRun.objects.select_related(
            "application", "triggered_by"
        ).order_by("-created_at", "-id")

    @extend_schema(
        summary="Start a reconciliation; a worker runs it",
        request=ReconciliationStartSerializer,
        responses={
            202: RunStartedSerializer,
            **ERRORS_WRITE,
            409: OpenApiResponse(DetailSerializer, description="A run is active"),
        },
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ReconciliationStartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            with transaction.atomic():
                run = start_run(
                    data["application"],
                    incremental=data["incremental"],
                    only=data["only"] or None,
                    scope=data.get("filter") or None,
                    trigger=RunTrigger.API,
                    triggered_by=request.user,
                )
                enqueue(run)
        except RunAlreadyActive as error:
            raise Conflict(error.message) from error
        except InvalidRunRequest as error:
            raise ValidationError({"non_field_errors": [error.message]}) from error
        url = reverse("api:reconciliation-detail", args=[run.pk], request=request)
        return Response(
            {"id": run.pk, "status": run.status, "url": url},
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": url},
        )
