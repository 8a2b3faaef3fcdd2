"""Workflow errors as HTTP answers, and the error bodies the schema documents.

NotAllowed → 403, AlreadyDecided → 409, InvalidRequest → 400 with field errors,
NotFound → 404;
any other WorkflowError is a conflict with the current state → 409.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, serializers

from approvals.workflow import (
    AlreadyDecided,
    InvalidRequest,
    NotAllowed,
    NotFound,
    WorkflowError,
)


class Conflict(exceptions.APIException):
    """409: the request conflicts with the object's current state."""

    status_code = 409
    default_detail = "This conflicts with the current state."
    default_code = "conflict"


def api_error(error: WorkflowError) -> exceptions.APIException:
    """The API exception for a workflow error."""
    if isinstance(error, NotFound):
        return exceptions.NotFound(error.message)
    if isinstance(error, NotAllowed):
        return exceptions.PermissionDenied(error.message)
    if isinstance(error, AlreadyDecided):
        return Conflict(error.message)
    if isinstance(error, InvalidRequest):
        field_errors = getattr(error, "field_errors", None) or {}
        if field_errors:
            return exceptions.ValidationError(
                {field: list(messages) for field, messages in field_errors.items()}
            )
        return exceptions.ValidationError({"non_field_errors": [error.message]})
    return Conflict(error.message)


class WorkflowErrorsMixin:
    """Turn workflow errors raised in a view into 403/409/400 answers."""

    def handle_exception(self, exc: Exception) -> Any:
        if isinstance(exc, WorkflowError):
            exc = api_error(exc)
        elif isinstance(exc, ObjectDoesNotExist):
            exc = Http404(str(exc))
        return super().handle_exception(exc)  # type: ignore[misc]


@csrf_exempt
def not_found(request: HttpRequest, *args: object, **kwargs: object) -> JsonResponse:
    """No API resource at this address (JSON, as every API answer)."""
    return JsonResponse({"detail": "Not found."}, status=404)


class DetailSerializer(serializers.Serializer):
    """An error: {"detail": "..."}."""

    detail = serializers.CharField()


class FieldErrorsSerializer(serializers.Serializer):
    """A 400: each field name maps to its messages; `non_field_errors` for the rest."""

    non_field_errors = serializers.ListField(
        child=serializers.CharField(), required=False
    )


ERRORS_READ = {403: DetailSerializer, 404: DetailSerializer}
ERRORS_WRITE = {400: FieldErrorsSerializer, **ERRORS_READ}
