"""Administrative operations over the API (administrators only), under /api/v1/ops/.

`POST /api/v1/ops/<area>/<action>/` (e.g. `/api/v1/ops/groups/create/`) validates the
operation and queues it: 202 with the job; follow it at `/api/v1/ops/jobs/{id}/`.
Bad input is a 400 with field errors. The request bodies are generated from the
operations' forms (`approvals.operations`), so the API and the admin validate alike:
first the JSON types here, then the operation's own rules there.
Reads that change nothing (members, roles, transitions, pages) are in
`approvals.api.operations_reads`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.urls import path
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from approvals.api.base import API_AUTHENTICATION, PortalReadOnlyViewSet
from approvals.api.errors import ERRORS_READ, ERRORS_WRITE, WorkflowErrorsMixin
from approvals.api.fields import StrictBooleanField, StrictCharField, StrictIntegerField
from approvals.api.permissions import IsPortalAdmin
from approvals.api.schema import PortalAutoSchema
from approvals.api.serializers import JSONObjectField
from approvals.models import JobStatus, OperationJob
from approvals.operations import AREAS, all_operations, request_operation
from approvals.operations_fields import CatalogField, IdentityField, TextListField

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from rest_framework.request import Request

    from approvals.operations import Operation


class OperationJobSerializer(serializers.ModelSerializer):
    """An operation queued as a job: its arguments, where it stands, its result."""

    operation = serializers.SerializerMethodField()
    arguments = serializers.SerializerMethodField()
    result = JSONObjectField(read_only=True)

    class Meta:
        model = OperationJob
        fields = [
            "id",
            "operation",
            "arguments",
            "status",
            "reason",
            "result",
            "attempts",
            "max_attempts",
            "not_before",
            "last_error",
            "last_error_code",
            "application",
            "created_by",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_operation(self, job: OperationJob) -> str:
        return job.operation_name

    @extend_schema_field({"type": "object", "additionalProperties": True})
    def get_arguments(self, job: OperationJob) -> dict[str, Any]:
        return dict((job.payload or {}).get("arguments") or {})


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}]})
class IdOrTextField(serializers.Field):
    """An id (JSON integer) or a readable name (JSON string)."""

    default_error_messages = {"invalid": "Give an id (integer) or a name (string)."}

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, (int, str)):
            self.fail("invalid")
        if isinstance(data, str) and len(data) > 255:
            self.fail("invalid")
        return data

    def to_representation(self, value: Any) -> Any:
        return value


def api_field(field: forms.Field) -> serializers.Field | None:
    """The JSON field documenting and type-checking one form field (None: admin only)."""
    common: dict[str, Any] = {
        "required": field.required,
        "help_text": str(field.help_text or "") or None,
    }
    if isinstance(field, forms.FileField):
        return None
    if isinstance(field, (IdentityField, CatalogField)):
        return IdOrTextField(**common)
    if isinstance(field, TextListField):
        return serializers.ListField(
            child=StrictCharField(max_length=100), max_length=field.max_items, **common
        )
    if isinstance(field, forms.BooleanField):
        return StrictBooleanField(required=False, help_text=common["help_text"])
    if isinstance(field, forms.MultipleChoiceField):
        return serializers.ListField(
            child=serializers.ChoiceField(choices=list(field.choices)), **common
        )
    if isinstance(field, forms.ChoiceField):
        return serializers.ChoiceField(choices=list(field.choices), **common)
    if isinstance(field, forms.IntegerField):
        return StrictIntegerField(**common)
    return StrictCharField(
        max_length=field.max_length,
        allow_blank=not field.required,
        trim_whitespace=False,
        **common,
    )


def request_serializer(operation: Operation) -> type[serializers.Serializer]:
    """The request body of an operation, built from its form."""
    fields: dict[str, Any] = {
        "application": StrictIntegerField(
            required=False,
            help_text="The Application's id; optional when only one is enabled.",
        ),
    }
    for name, field in operation.form.base_fields.items():
        made = api_field(field)
        if made is not None:
            fields[name] = made
    title = "".join(
        part.title() for part in operation.name.replace("_", ".").split(".")
    )
    return type(
        f"{title}Operation",
        (serializers.Serializer,),
        {**fields, "__doc__": operation.label},
    )


class OperationView(WorkflowErrorsMixin, APIView):
    """POST one operation: validated, queued, answered with the job (202)."""

    authentication_classes = API_AUTHENTICATION
    permission_classes = [IsPortalAdmin]
    parser_classes = [JSONParser]
    schema = PortalAutoSchema()
    operation: Operation
    serializer_class: type[serializers.Serializer]

    def post(self, request: Request) -> Response:
        body = self.serializer_class(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        application = data.pop("application", None)
        job = request_operation(
            self.operation.name, data, by=request.user, application=application
        )
        serialized = OperationJobSerializer(job, context={"request": request}).data
        location = reverse("api:ops:job-detail", args=[job.pk], request=request)
        return Response(
            serialized, status=status.HTTP_202_ACCEPTED, headers={"Location": location}
        )


def operation_view(operation: Operation) -> type[OperationView]:
    """A view class for one operation, documented with its own request body."""
    body = request_serializer(operation)

    def post(self: OperationView, request: Request) -> Response:
        return OperationView.post(self, request)

    described = extend_schema(
        operation_id=f"ops_{operation.name.replace('.', '_')}",
        summary=operation.label,
        description=operation.notes or None,
        tags=[f"ops: {AREAS[operation.area]}"],
        request=body,
        responses={202: OperationJobSerializer, **ERRORS_WRITE},
    )
    attributes = {
        "operation": operation,
        "serializer_class": body,
        "post": described(post),
    }
    return type(f"{body.__name__}View", (OperationView,), attributes)


@extend_schema_view(
    list=extend_schema(
        summary="Operation jobs, newest first",
        tags=["ops: jobs"],
        parameters=[
            OpenApiParameter("operation", str, description="e.g. groups.create"),
            OpenApiParameter("status", str, enum=JobStatus.values),
        ],
    ),
    retrieve=extend_schema(
        summary="One operation job and its result",
        tags=["ops: jobs"],
        responses={200: OperationJobSerializer, **ERRORS_READ},
    ),
)
class OperationJobViewSet(PortalReadOnlyViewSet):
    """The operations queued so far, with their results (administrators)."""

    serializer_class = OperationJobSerializer
    permission_classes = [IsPortalAdmin]

    def get_queryset(self) -> QuerySet[OperationJob]:
        jobs = OperationJob.objects.order_by("-created_at", "-id")
        if self.detail:
            return jobs
        if name := self.request.query_params.get("operation"):
            jobs = jobs.filter(payload__operation=name)
        wanted = self.request.query_params.get("status")
        if wanted is not None:
            if wanted not in JobStatus.values:
                choices = ", ".join(JobStatus.values)
                raise ValidationError({"status": [f"Use one of {choices}."]})
            jobs = jobs.filter(status=wanted)
        return jobs


def _urls() -> list:
    from approvals.api import operations_reads

    urls = [
        path("jobs/", OperationJobViewSet.as_view({"get": "list"}), name="job-list"),
        path(
            "jobs/<int:pk>/",
            OperationJobViewSet.as_view({"get": "retrieve"}),
            name="job-detail",
        ),
    ]
    for operation in all_operations():
        urls.append(
            path(
                f"{operation.path}/",
                operation_view(operation).as_view(),
                name=operation.name,
            )
        )
    return urls + operations_reads.urlpatterns


app_name = "ops"
urlpatterns = _urls()
