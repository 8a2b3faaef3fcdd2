"""Reads of the administrative operations API: what Atlassian shows now (administrators).

`GET /api/v1/ops/` lists every operation with its endpoint; the others read live from
Atlassian while the call waits (they change nothing, so they are not jobs):
group members, a project's roles with their actors, an issue's transitions, a
space's pages, one page with its attachments and restrictions.
Atlassian's answers map to HTTP: not found → 404, busy or down → 503 with
Retry-After, any other refusal → 400 with Atlassian's message.
"""

from __future__ import annotations

from itertools import islice
from typing import TYPE_CHECKING, Any

from django.urls import path, re_path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from approvals.api.base import API_AUTHENTICATION
from approvals.api.errors import ERRORS_READ, WorkflowErrorsMixin
from approvals.api.permissions import IsPortalAdmin
from approvals.api.schema import PortalAutoSchema
from approvals.group_members import group_members
from approvals.operations import AREAS, all_operations, connection, default_application
from approvals.operations_attachments import page_detail
from approvals.operations_fields import (
    GroupField,
    ResourceField,
    content_id_field,
    issue_field,
    lookup,
)
from approvals.operations_projects import project_roles
from connectors.base import ConnectorError, NotFound, ResourceKind, TransientError

if TYPE_CHECKING:
    from rest_framework.request import Request

    from connectors.models import Application

PAGES_SHOWN = 500
APPLICATION = OpenApiParameter(
    "application",
    int,
    description="The Application's id; optional when only one is enabled.",
)


class Unavailable(exceptions.APIException):
    """503: Atlassian is busy or down; try again later."""

    status_code = 503
    default_detail = "Atlassian is not answering; try again later."
    default_code = "unavailable"


class OperationInfoSerializer(serializers.Serializer):
    name = serializers.CharField()
    area = serializers.CharField()
    label = serializers.CharField()
    endpoint = serializers.CharField()
    notes = serializers.CharField()


class MemberSerializer(serializers.Serializer):
    account_id = serializers.CharField()
    display_name = serializers.CharField()
    email = serializers.CharField()
    identity = serializers.CharField()


class RoleSerializer(serializers.Serializer):
    role_id = serializers.IntegerField()
    name = serializers.CharField()
    users = serializers.ListField(child=serializers.CharField())
    groups = serializers.ListField(child=serializers.CharField())


class TransitionSerializer(serializers.Serializer):
    transition_id = serializers.CharField()
    name = serializers.CharField()
    to_status = serializers.CharField()


class ContentSerializer(serializers.Serializer):
    content_id = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    version = serializers.IntegerField(allow_null=True)


class AttachmentSerializer(serializers.Serializer):
    attachment_id = serializers.CharField()
    title = serializers.CharField()
    media_type = serializers.CharField(allow_null=True)


class PageDetailSerializer(serializers.Serializer):
    page = ContentSerializer()
    attachments = AttachmentSerializer(many=True)
    restrictions = serializers.DictField(
        help_text="read/update → {users: [accountId], groups: [groupId]}"
    )


class ReadView(WorkflowErrorsMixin, APIView):
    """Administrators only; Atlassian's errors as 404, 503 or 400."""

    authentication_classes = API_AUTHENTICATION
    permission_classes = [IsPortalAdmin]
    parser_classes = [JSONParser]
    schema = PortalAutoSchema()

    def application(self) -> Application:
        raw = self.request.query_params.get("application")
        if raw is not None and not raw.isdigit():
            raise exceptions.ValidationError(
                {"application": ["An Application id (a whole number)."]}
            )
        return default_application(int(raw) if raw else None)

    def handle_exception(self, exc: Exception) -> Any:
        if isinstance(exc, NotFound):
            exc = exceptions.NotFound(exc.message)
        elif isinstance(exc, TransientError):
            exc = Unavailable(exc.message)
        elif isinstance(exc, ConnectorError):
            exc = exceptions.ValidationError(
                {"non_field_errors": [f"Atlassian refused: {exc.message}"]}
            )
        return super().handle_exception(exc)


class OperationsIndex(ReadView):
    @extend_schema(
        summary="Every operation with its endpoint",
        tags=["ops: reads"],
        responses={200: OperationInfoSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        return Response(
            [
                {
                    "name": o.name,
                    "area": AREAS[o.area],
                    "label": o.label,
                    "endpoint": f"/api/v1/ops/{o.path}/",
                    "notes": o.notes,
                }
                for o in all_operations()
            ]
        )


class GroupMembers(ReadView):
    @extend_schema(
        summary="A group's members, as Atlassian shows them now",
        tags=["ops: reads"],
        parameters=[APPLICATION],
        responses={200: MemberSerializer(many=True), **ERRORS_READ},
    )
    def get(self, request: Request, group: str) -> Response:
        application = self.application()
        found = lookup(GroupField(), group, application, name="group")
        with connection(application) as connector:
            members, _ = group_members(connector, found)
        return Response(MemberSerializer(members, many=True).data)


class ProjectRoles(ReadView):
    @extend_schema(
        summary="A Jira project's roles with their actors",
        tags=["ops: reads"],
        parameters=[APPLICATION],
        responses={200: RoleSerializer(many=True), **ERRORS_READ},
    )
    def get(self, request: Request, key: str) -> Response:
        application = self.application()
        project = lookup(
            ResourceField(ResourceKind.PROJECT), key, application, name="project"
        )
        with connection(application) as connector:
            roles = project_roles(connector, project)
        return Response(RoleSerializer(roles, many=True).data)


class IssueTransitions(ReadView):
    @extend_schema(
        summary="The transitions a Jira issue can take now",
        tags=["ops: reads"],
        parameters=[APPLICATION],
        responses={200: TransitionSerializer(many=True), **ERRORS_READ},
    )
    def get(self, request: Request, issue: str) -> Response:
        application = self.application()
        key = lookup(issue_field(), issue, application, name="issue")
        with connection(application) as connector:
            options = connector.list_transitions(key)
        return Response(TransitionSerializer(options, many=True).data)


class SpacePages(ReadView):
    @extend_schema(
        summary=f"A Confluence space's pages (the first {PAGES_SHOWN})",
        tags=["ops: reads"],
        parameters=[APPLICATION],
        responses={200: ContentSerializer(many=True), **ERRORS_READ},
    )
    def get(self, request: Request, key: str) -> Response:
        application = self.application()
        space = lookup(
            ResourceField(ResourceKind.SPACE), key, application, name="space"
        )
        with connection(application) as connector:
            pages = list(islice(connector.list_pages(space.key), PAGES_SHOWN))
        return Response(ContentSerializer(pages, many=True).data)


class PageView(ReadView):
    @extend_schema(
        summary="A Confluence page with its attachments and restrictions",
        tags=["ops: reads"],
        parameters=[APPLICATION],
        responses={200: PageDetailSerializer, **ERRORS_READ},
    )
    def get(self, request: Request, page_id: str) -> Response:
        application = self.application()
        content_id = lookup(
            content_id_field("Page"), page_id, application, name="page_id"
        )
        with connection(application) as connector:
            detail = page_detail(connector, content_id)
        return Response(PageDetailSerializer(detail).data)


urlpatterns = [
    path("", OperationsIndex.as_view(), name="index"),
    path("groups/<str:group>/members/", GroupMembers.as_view(), name="group-members"),
    path("projects/<str:key>/roles/", ProjectRoles.as_view(), name="project-roles"),
    path(
        "issues/<str:issue>/transitions/",
        IssueTransitions.as_view(),
        name="issue-transitions",
    ),
    path("spaces/<str:key>/pages/", SpacePages.as_view(), name="space-pages"),
    re_path(
        r"^pages/(?P<page_id>[0-9]{1,20})/$", PageView.as_view(), name="page-detail"
    ),
]
