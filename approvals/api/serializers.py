"""Serializers of the REST API: people, the catalog, accounts, requests and grants."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accessportal.models import User
from approvals.api.request_form import request_form
from approvals.models import Policy
from approvals.policies import approvers_summary, resolve_policies, resolve_policy
from connectors.models import Account, Entitlement, Resource

KIND_TYPES = {
    "group": "Atlassian group",
    "project_role": "Jira project role",
    "space_permission": "Confluence space permission",
    "org_role": "Atlassian organization role",
}


class PersonSerializer(serializers.ModelSerializer):
    """An identity as others see it."""

    label = serializers.CharField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "label", "email"]
        read_only_fields = fields


class ResourceSerializer(serializers.ModelSerializer):
    """The project, space or site an entitlement belongs to."""

    class Meta:
        model = Resource
        fields = ["kind", "key", "name"]
        read_only_fields = fields


class PolicySummarySerializer(serializers.Serializer):
    """Who approves and the limits that apply, as the catalog shows them."""

    name = serializers.CharField()
    rule = serializers.CharField()
    approvers = serializers.CharField(help_text="Who decides, in words")
    justification_required = serializers.BooleanField()
    default_duration_days = serializers.IntegerField(allow_null=True)
    max_duration_days = serializers.IntegerField(allow_null=True)


class FormFieldSerializer(serializers.Serializer):
    """One field a requester fills in when asking for the entitlement."""

    name = serializers.CharField()
    type = serializers.CharField()
    label = serializers.CharField()
    required = serializers.BooleanField()
    default = serializers.IntegerField(allow_null=True, required=False)
    maximum = serializers.IntegerField(allow_null=True, required=False)


def policy_of(entitlement: Entitlement, context: dict[str, Any]) -> Policy:
    """The entitlement's policy, resolved once per serializer call."""
    cache = context.setdefault("_policies", {})
    if entitlement.pk not in cache:
        cache[entitlement.pk] = resolve_policy(entitlement)
    return cache[entitlement.pk]


def policy_summary(entitlement: Entitlement, context: dict[str, Any]) -> dict:
    """The policy summary of an entitlement for the person asking."""
    policy = policy_of(entitlement, context)
    request = context.get("request")
    user = getattr(request, "user", None)
    beneficiary = user if getattr(user, "is_authenticated", False) else None
    summary = approvers_summary(
        policy, beneficiary=beneficiary, entitlement=entitlement
    )
    return {
        "name": policy.name,
        "rule": policy.rule,
        "approvers": summary,
        "justification_required": policy.justification_required,
        "default_duration_days": policy.default_duration_days,
        "max_duration_days": policy.max_duration_days,
    }


class PoliciesResolvedListSerializer(serializers.ListSerializer):
    """Resolves the policies of a whole page in one query before serializing it."""

    def to_representation(self, data: Any) -> list:
        items = list(data.all() if hasattr(data, "all") else data)
        self.child.context.setdefault("_policies", {}).update(resolve_policies(items))
        return super().to_representation(items)


class EntitlementSerializer(serializers.ModelSerializer):
    """A requestable piece of access, with its parent, owner and policy."""

    resource = ResourceSerializer(read_only=True, allow_null=True)
    owner = PersonSerializer(read_only=True, allow_null=True)
    application = serializers.CharField(source="application.name", read_only=True)
    type = serializers.SerializerMethodField(help_text="The kind, in words")
    policy = serializers.SerializerMethodField()
    form = serializers.SerializerMethodField(
        help_text="The fields a request for this entitlement takes"
    )

    class Meta:
        model = Entitlement
        fields = [
            "id",
            "kind",
            "type",
            "name",
            "display_name",
            "description",
            "application",
            "resource",
            "owner",
            "is_requestable",
            "is_managed_externally",
            "policy",
            "form",
        ]
        read_only_fields = fields
        list_serializer_class = PoliciesResolvedListSerializer

    def get_type(self, entitlement: Entitlement) -> str:
        return KIND_TYPES.get(entitlement.kind, entitlement.kind)

    @extend_schema_field(PolicySummarySerializer)
    def get_policy(self, entitlement: Entitlement) -> dict:
        return policy_summary(entitlement, self.context)

    @extend_schema_field(FormFieldSerializer(many=True))
    def get_form(self, entitlement: Entitlement) -> list[dict]:
        return request_form(policy_of(entitlement, self.context))


class EntitlementBriefSerializer(serializers.ModelSerializer):
    """An entitlement as a request or grant mentions it."""

    resource = ResourceSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Entitlement
        fields = ["id", "kind", "name", "display_name", "resource"]
        read_only_fields = fields


class AccountSerializer(serializers.ModelSerializer):
    """An Atlassian account as reconciliation last saw it."""

    application = serializers.CharField(source="application.name", read_only=True)
    identity = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Account
        fields = [
            "id",
            "application",
            "account_id",
            "email",
            "display_name",
            "user_name",
            "given_name",
            "family_name",
            "title",
            "department",
            "organization",
            "account_type",
            "status",
            "is_managed",
            "identity",
            "last_active",
            "first_seen",
            "last_seen",
            "removed_at",
        ]
        read_only_fields = fields


@extend_schema_field(OpenApiTypes.OBJECT)
class JSONObjectField(serializers.JSONField):
    """A free-form JSON object, documented as an object."""
