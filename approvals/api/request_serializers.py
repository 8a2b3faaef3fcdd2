"""Serializers of access requests, their steps and timeline, and decisions."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accessportal.models import User
from approvals.api.fields import (
    StrictCharField,
    StrictIntegerField,
    StrictPrimaryKeyRelatedField,
)
from approvals.api.serializers import EntitlementBriefSerializer, PersonSerializer
from approvals.models import (
    AccessRequest,
    ApprovalDecision,
    ApprovalStep,
    Decision,
    RequestState,
)
from approvals.timeline import timeline_for
from approvals.workflow import can_decide
from connectors.models import Entitlement

MAX_CART = 50
MAX_TEXT = 4000
MAX_DAYS = 3650


class DecisionSerializer(serializers.ModelSerializer):
    """One person's approve or deny on a step."""

    decided_by = PersonSerializer(read_only=True)

    class Meta:
        model = ApprovalDecision
        fields = ["decided_by", "decision", "comment", "is_override", "created_at"]
        read_only_fields = fields


class StepSerializer(serializers.ModelSerializer):
    """One approval stage: who may decide, and what they decided."""

    approvers = PersonSerializer(many=True, read_only=True)
    decisions = DecisionSerializer(many=True, read_only=True)

    class Meta:
        model = ApprovalStep
        fields = [
            "order",
            "rule",
            "state",
            "required_approvals",
            "approvers",
            "decisions",
            "opened_at",
            "decided_at",
        ]
        read_only_fields = fields


class TimelineEntrySerializer(serializers.Serializer):
    """One line of a request's story."""

    at = serializers.DateTimeField()
    kind = serializers.CharField()
    actor_label = serializers.CharField()
    text = serializers.CharField()


class GrantBriefSerializer(serializers.Serializer):
    """The grant a request produced."""

    id = serializers.IntegerField()
    state = serializers.CharField()
    ends_at = serializers.DateTimeField(allow_null=True)


class AccessRequestSerializer(serializers.ModelSerializer):
    """An access request as lists show it."""

    state = serializers.ChoiceField(choices=RequestState.choices, read_only=True)
    requester = PersonSerializer(read_only=True)
    beneficiary = PersonSerializer(read_only=True)
    entitlement = EntitlementBriefSerializer(read_only=True)
    grant = serializers.SerializerMethodField()

    class Meta:
        model = AccessRequest
        fields = [
            "id",
            "batch",
            "state",
            "state_reason",
            "requester",
            "beneficiary",
            "entitlement",
            "justification",
            "duration_days",
            "ends_at",
            "extends_grant",
            "grant",
            "ticket_key",
            "created_at",
            "decided_at",
        ]
        read_only_fields = fields

    @extend_schema_field(GrantBriefSerializer(allow_null=True))
    def get_grant(self, access_request: AccessRequest) -> dict | None:
        grant = getattr(access_request, "grant", None)
        if grant is None:
            return None
        return {"id": grant.pk, "state": grant.state, "ends_at": grant.ends_at}


class AccessRequestDetailSerializer(AccessRequestSerializer):
    """One request with its approval steps, its timeline and what I may do."""

    steps = StepSerializer(many=True, read_only=True)
    timeline = serializers.SerializerMethodField()
    can_decide = serializers.SerializerMethodField()
    can_cancel = serializers.SerializerMethodField()

    class Meta(AccessRequestSerializer.Meta):
        fields = [
            *AccessRequestSerializer.Meta.fields,
            "steps",
            "timeline",
            "can_decide",
            "can_cancel",
        ]
        read_only_fields = fields

    @extend_schema_field(TimelineEntrySerializer(many=True))
    def get_timeline(self, access_request: AccessRequest) -> list[dict]:
        return [
            {
                "at": entry.at,
                "kind": entry.kind,
                "actor_label": entry.actor_label,
                "text": entry.text,
            }
            for entry in timeline_for(access_request)
        ]

    def get_can_decide(self, access_request: AccessRequest) -> bool:
        return can_decide(self.context["request"].user, access_request)

    def get_can_cancel(self, access_request: AccessRequest) -> bool:
        user = self.context["request"].user
        return (
            access_request.state == RequestState.PENDING
            and access_request.requester_id == user.pk
        )


class AccessRequestCreateSerializer(serializers.Serializer):
    """Ask for one entitlement (`entitlement`) or several at once (`entitlements`)."""

    entitlement = StrictPrimaryKeyRelatedField(
        queryset=Entitlement.objects.requestable(), required=False
    )
    entitlements = StrictPrimaryKeyRelatedField(
        queryset=Entitlement.objects.requestable(),
        many=True,
        required=False,
        allow_empty=False,
        help_text=f"A cart: up to {MAX_CART} entitlement ids",
    )
    beneficiary = StrictPrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="Someone else's identity id (managers, for their reports)",
    )
    justification = StrictCharField(
        max_length=MAX_TEXT, allow_blank=True, required=False, default=""
    )
    duration_days = StrictIntegerField(
        min_value=1, max_value=MAX_DAYS, required=False, allow_null=True
    )
    ends_at = serializers.DateTimeField(required=False, allow_null=True)

    def to_internal_value(self, data: Any) -> Any:
        # Refuse an oversized cart before looking each id up.
        cart = data.get("entitlements") if hasattr(data, "get") else None
        if isinstance(cart, list) and len(cart) > MAX_CART:
            raise serializers.ValidationError(
                {"entitlements": [f"At most {MAX_CART} entitlements at once."]}
            )
        return super().to_internal_value(data)

    def validate_entitlements(self, value: list[Entitlement]) -> list[Entitlement]:
        if len({e.pk for e in value}) != len(value):
            raise serializers.ValidationError("An entitlement is listed twice.")
        return value

    def validate_ends_at(self, value: Any) -> Any:
        if value is not None and value <= timezone.now():
            raise serializers.ValidationError("The end must be in the future.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("entitlement" in attrs) == ("entitlements" in attrs):
            raise serializers.ValidationError(
                {"entitlement": ["Give either `entitlement` or `entitlements`."]}
            )
        if attrs.get("duration_days") and attrs.get("ends_at"):
            raise serializers.ValidationError(
                {"ends_at": ["Give either `duration_days` or `ends_at`, not both."]}
            )
        return attrs


class CartSerializer(serializers.Serializer):
    """The requests made from one cart."""

    batch = serializers.UUIDField()
    requests = AccessRequestSerializer(many=True)


class DecisionInputSerializer(serializers.Serializer):
    """An approver's comment (an admin's override reason)."""

    comment = StrictCharField(
        max_length=MAX_TEXT, allow_blank=True, required=False, default=""
    )


class BulkDecisionInputSerializer(DecisionInputSerializer):
    """The same decision on several requests."""

    requests = serializers.ListField(
        child=StrictIntegerField(min_value=1, max_value=2**63 - 1),
        allow_empty=False,
        max_length=200,
    )
    decision = serializers.ChoiceField(choices=Decision.choices)


class BulkDecisionResultSerializer(serializers.Serializer):
    """What happened to one request of a bulk decision."""

    id = serializers.IntegerField()
    ok = serializers.BooleanField()
    state = serializers.CharField(required=False)
    status = serializers.IntegerField(help_text="The HTTP status a single call gives")
    error = serializers.CharField(required=False)


class BulkDecisionResponseSerializer(serializers.Serializer):
    """One result per request, in the order asked."""

    results = BulkDecisionResultSerializer(many=True)
