"""Access requests over the API: ask, list, cancel, approve, deny; the approvals inbox."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, Prefetch, Q
from drf_spectacular.utils import (
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from approvals import workflow
from approvals.api.base import PortalReadOnlyViewSet, PortalViewSet
from approvals.api.errors import ERRORS_READ, ERRORS_WRITE, DetailSerializer, api_error
from approvals.api.filters import AccessRequestFilter
from approvals.api.request_serializers import (
    AccessRequestCreateSerializer,
    AccessRequestDetailSerializer,
    AccessRequestSerializer,
    BulkDecisionInputSerializer,
    BulkDecisionResponseSerializer,
    CartSerializer,
    DecisionInputSerializer,
)
from approvals.models import AccessRequest, ApprovalDecision, ApprovalStep

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from rest_framework.request import Request

    from accessportal.models import User

CONFLICT = {409: OpenApiResponse(DetailSerializer, description="Already decided")}


def visible_requests(user: User) -> QuerySet[AccessRequest]:
    """As the web pages: the parties, anyone asked to approve, and admins see a request."""
    requests = AccessRequest.objects.all()
    if user.is_admin:
        return requests
    asked = ApprovalStep.objects.filter(request=OuterRef("pk"), approvers=user)
    return requests.filter(Q(requester=user) | Q(beneficiary=user) | Exists(asked))


def with_details(requests: QuerySet[AccessRequest]) -> QuerySet[AccessRequest]:
    """Load what the serializers show in a fixed number of queries."""
    steps = ApprovalStep.objects.order_by("order").prefetch_related(
        "approvers",
        Prefetch(
            "decisions",
            queryset=ApprovalDecision.objects.select_related("decided_by"),
        ),
    )
    return requests.select_related(
        "requester",
        "beneficiary",
        "entitlement__resource",
        "grant",
    ).prefetch_related(Prefetch("steps", queryset=steps))


def cart_response(made: list[AccessRequest], context: dict) -> dict:
    """The body answering a cart."""
    return {
        "batch": made[0].batch if made else None,
        "requests": AccessRequestSerializer(made, many=True, context=context).data,
    }


REQUEST_OR_CART = PolymorphicProxySerializer(
    component_name="CreatedAccessRequests",
    serializers=[AccessRequestSerializer, CartSerializer],
    resource_type_field_name=None,
)


@extend_schema_view(
    list=extend_schema(summary="My requests (admins: all requests)"),
    retrieve=extend_schema(
        summary="One request with its steps and timeline",
        responses={200: AccessRequestDetailSerializer, **ERRORS_READ},
    ),
)
class AccessRequestViewSet(mixins.CreateModelMixin, PortalReadOnlyViewSet):
    """Requests I made or that are for me, and those I decide (admins: all)."""

    filterset_class = AccessRequestFilter
    serializer_class = AccessRequestSerializer

    def get_queryset(self) -> QuerySet[AccessRequest]:
        if self.schema_generation():
            return AccessRequest.objects.none()
        return with_details(visible_requests(self.request.user)).order_by(
            "-created_at", "-id"
        )

    def get_serializer_class(self) -> type:
        if self.action == "retrieve":
            return AccessRequestDetailSerializer
        if self.action == "create":
            return AccessRequestCreateSerializer
        return AccessRequestSerializer

    @extend_schema(
        summary="Ask for access: one entitlement, or several as a cart",
        request=AccessRequestCreateSerializer,
        responses={
            201: OpenApiResponse(
                REQUEST_OR_CART,
                description="The request (for `entitlement`) or the cart's requests",
            ),
            **ERRORS_WRITE,
        },
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = AccessRequestCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        single = "entitlement" in data
        made = workflow.submit_requests(
            requester=request.user,
            entitlements=[data["entitlement"]] if single else data["entitlements"],
            justification=data.get("justification", ""),
            beneficiary=data.get("beneficiary"),
            duration_days=data.get("duration_days"),
            ends_at=data.get("ends_at"),
        )
        made = list(
            with_details(
                AccessRequest.objects.filter(pk__in=[r.pk for r in made])
            ).order_by("id")
        )
        context = self.get_serializer_context()
        if single:
            body = AccessRequestSerializer(made[0], context=context).data
        else:
            body = cart_response(made, context)
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Cancel my pending request",
        request=None,
        responses={200: AccessRequestDetailSerializer, **ERRORS_READ, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        access_request = self.get_target()
        workflow.cancel(access_request.pk, by=request.user)
        return self.detail_response(access_request.pk)

    @extend_schema(
        summary="Approve (admins outside scope: an override with the comment as reason)",
        request=DecisionInputSerializer,
        responses={200: AccessRequestDetailSerializer, **ERRORS_WRITE, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        return self.decide(request, workflow.approve)

    @extend_schema(
        summary="Deny (admins outside scope: an override with the comment as reason)",
        request=DecisionInputSerializer,
        responses={200: AccessRequestDetailSerializer, **ERRORS_WRITE, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def deny(self, request: Request, pk: str) -> Response:
        return self.decide(request, workflow.deny)

    def get_target(self) -> AccessRequest:
        """The request acted on: outside one's view it exists, and the workflow says 403."""
        return get_object_or_404(AccessRequest, pk=self.kwargs["pk"])

    def decide(self, request: Request, decision: Any) -> Response:
        access_request = self.get_target()
        serializer = DecisionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        decision(
            access_request.pk,
            approver=request.user,
            comment=serializer.validated_data["comment"],
        )
        return self.detail_response(access_request.pk)

    def detail_response(self, request_id: int) -> Response:
        access_request = with_details(AccessRequest.objects.filter(pk=request_id)).get()
        serializer = AccessRequestDetailSerializer(
            access_request, context=self.get_serializer_context()
        )
        return Response(serializer.data)


@extend_schema_view(
    list=extend_schema(summary="Decisions waiting for me"),
)
class ApprovalViewSet(mixins.ListModelMixin, PortalViewSet):
    """The approver inbox: pending requests whose open step I may decide."""

    serializer_class = AccessRequestSerializer
    filterset_class = AccessRequestFilter

    def get_queryset(self) -> QuerySet[AccessRequest]:
        if self.schema_generation():
            return AccessRequest.objects.none()
        inbox = AccessRequest.objects.awaiting_decision_by(self.request.user)
        return inbox.order_by("created_at", "id")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # The page's requests are chosen first, then loaded with their details:
        # joining every pending request's people and entitlement before choosing the
        # approver's (PostgreSQL's plan, thousands pending) costs ten times the page.
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        ids = [item.pk for item in page or []]
        found = with_details(AccessRequest.objects.filter(pk__in=ids)).in_bulk()
        rows = [found[pk] for pk in ids if pk in found]
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)

    @extend_schema(
        summary="Approve or deny several requests at once",
        request=BulkDecisionInputSerializer,
        responses={200: BulkDecisionResponseSerializer, 400: ERRORS_WRITE[400]},
    )
    @action(detail=False, methods=["post"], filterset_class=None, pagination_class=None)
    def decide(self, request: Request) -> Response:
        serializer = BulkDecisionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        outcomes = workflow.decide_many(
            data["requests"],
            approver=request.user,
            decision=data["decision"],
            comment=data["comment"],
        )
        return Response({"results": [bulk_result(*outcome) for outcome in outcomes]})


def bulk_result(request_id: int, outcome: Any) -> dict:
    """One line of a bulk decision's answer."""
    if isinstance(outcome, workflow.WorkflowError):
        error = api_error(outcome)
        return {
            "id": request_id,
            "ok": False,
            "status": error.status_code,
            "error": outcome.message,
        }
    return {"id": request_id, "ok": True, "status": 200, "state": outcome.state}
