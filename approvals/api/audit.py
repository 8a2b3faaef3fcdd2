"""The audit trail over the API: filtered listing and a streamed CSV export."""

from __future__ import annotations

import csv
import json
from typing import TYPE_CHECKING, Any

from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.renderers import BaseRenderer, JSONRenderer

from approvals.api.base import PortalReadOnlyViewSet
from approvals.api.errors import ERRORS_READ
from approvals.api.filters import AuditEventFilter
from approvals.api.permissions import IsPortalAdmin
from approvals.api.serializers import JSONObjectField
from approvals.models import AuditEvent

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from django.db.models import QuerySet
    from rest_framework.request import Request

CSV_COLUMNS = [
    "id",
    "at",
    "actor_id",
    "actor_label",
    "action",
    "target_type",
    "target_id",
    "target_label",
    "request_id",
    "message",
    "before",
    "after",
]
# Cells a spreadsheet would run as a formula get a leading quote (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class AuditEventSerializer(serializers.ModelSerializer):
    """Who did what, when, to what, with before and after."""

    actor = serializers.IntegerField(source="actor_id", read_only=True, allow_null=True)
    request = serializers.IntegerField(
        source="request_id", read_only=True, allow_null=True
    )
    before = JSONObjectField(read_only=True)
    after = JSONObjectField(read_only=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "at",
            "actor",
            "actor_label",
            "action",
            "target_type",
            "target_id",
            "target_label",
            "request",
            "message",
            "before",
            "after",
        ]
        read_only_fields = fields


class CSVRenderer(BaseRenderer):
    """text/csv, chosen by ?format=csv or `Accept: text/csv`."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict | None = None,
    ) -> bytes:
        # Lists stream from the view; this renders one event or an error body.
        rows = data if isinstance(data, list) else [data]
        return "".join(csv_lines(rows)).encode()


class _Line:
    """A file-like object whose write returns the line (for streaming csv.writer)."""

    def write(self, value: str) -> str:
        return value


def safe_cell(value: object) -> str:
    """A CSV cell as text; JSON for structures; formula-looking text neutralised."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        text = json.dumps(value, sort_keys=True, default=str)
    elif hasattr(value, "isoformat"):
        text = value.isoformat()  # type: ignore[union-attr]
    else:
        text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_lines(rows: Iterable[dict], *, batch: int = 500) -> Iterator[str]:
    """The header line, then the rows (dicts keyed by column), `batch` lines a chunk."""
    writer = csv.writer(_Line())
    columns: list[str] | None = None
    lines: list[str] = []
    for row in rows:
        if columns is None:
            columns = [c for c in CSV_COLUMNS if c in row] or list(row)
            yield writer.writerow(columns)
        lines.append(writer.writerow([safe_cell(row.get(c)) for c in columns]))
        if len(lines) >= batch:
            yield "".join(lines)
            lines.clear()
    if columns is None:
        yield writer.writerow(CSV_COLUMNS)
    if lines:
        yield "".join(lines)


def event_rows(queryset: QuerySet[AuditEvent]) -> Iterator[dict]:
    """Audit events as CSV rows, read in chunks so memory stays flat."""
    yield from queryset.values(*CSV_COLUMNS).iterator(chunk_size=2000)


def csv_response(queryset: QuerySet[AuditEvent]) -> StreamingHttpResponse:
    """Stream the events as a CSV download."""
    response = StreamingHttpResponse(
        csv_lines(event_rows(queryset)), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response


CSV_RESPONSE = {(200, "text/csv"): OpenApiTypes.STR}
FORMAT_PARAMETER = OpenApiParameter(
    "format",
    enum=["json", "csv"],
    description="csv streams every matching event (not paginated)",
)


@extend_schema_view(
    list=extend_schema(
        summary="List audit events (or export them with ?format=csv)",
        parameters=[FORMAT_PARAMETER],
        responses={(200, "application/json"): AuditEventSerializer, **CSV_RESPONSE}
        | ERRORS_READ,
    ),
    retrieve=extend_schema(
        summary="One audit event", responses={200: AuditEventSerializer, **ERRORS_READ}
    ),
)
class AuditEventViewSet(PortalReadOnlyViewSet):
    """The append-only audit trail (administrators)."""

    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter
    permission_classes = [IsPortalAdmin]
    queryset = AuditEvent.objects.order_by("-at", "-id")

    def get_renderers(self) -> list[BaseRenderer]:
        return [*super().get_renderers(), CSVRenderer()]

    def handle_exception(self, exc: Exception) -> Any:
        # Errors are JSON even when CSV was asked for: a client reads why.
        if getattr(self.request, "accepted_renderer", None) is not None:
            self.request.accepted_renderer = JSONRenderer()
            self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        if request.accepted_renderer.format == "csv":
            return csv_response(self.filter_queryset(self.get_queryset()))
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="Export matching audit events as CSV (streamed)",
        responses={**CSV_RESPONSE, **ERRORS_READ},
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def export(self, request: Request) -> StreamingHttpResponse:
        return csv_response(self.filter_queryset(self.get_queryset()))
