"""Representations of the connector resource API (camelCase, as IGA connectors expect)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from approvals.api.fields import (
    StrictBooleanField,
    StrictCharField,
    StrictPrimaryKeyRelatedField,
)
from approvals.api.request_form import request_form
from approvals.api.serializers import (
    KIND_TYPES,
    FormFieldSerializer,
    JSONObjectField,
    PoliciesResolvedListSerializer,
    policy_of,
)
from approvals.models import ProvisioningJob
from connectors.models import Account, Application, Entitlement

# Attributes a client may set, as (API name, AccountRecord / AccountDraft name).
ACCOUNT_ATTRIBUTES = [
    ("displayName", "display_name"),
    ("givenName", "given_name"),
    ("familyName", "family_name"),
    ("nickname", "nickname"),
    ("title", "title"),
    ("department", "department"),
    ("organization", "organization"),
    ("timezone", "timezone"),
]


class ConnectorAccountSerializer(serializers.ModelSerializer):
    """An Atlassian account with the entitlements it holds directly."""

    id = serializers.CharField(source="account_id", help_text="Atlassian accountId")
    userName = serializers.CharField(source="user_name")
    displayName = serializers.CharField(source="display_name")
    givenName = serializers.CharField(source="given_name")
    familyName = serializers.CharField(source="family_name")
    accountType = serializers.CharField(source="account_type")
    active = serializers.SerializerMethodField()
    managed = serializers.BooleanField(source="is_managed")
    identity = serializers.CharField(
        source="identity.username", allow_null=True, default=None
    )
    application = serializers.CharField(source="application.name")
    applicationId = serializers.IntegerField(source="application_id")
    entitlements = serializers.SerializerMethodField(
        help_text="Ids of the entitlements held directly"
    )
    lastActive = serializers.DateTimeField(source="last_active", allow_null=True)
    lastSeen = serializers.DateTimeField(source="last_seen")

    class Meta:
        model = Account
        fields = [
            "id",
            "userName",
            "email",
            "displayName",
            "givenName",
            "familyName",
            "nickname",
            "title",
            "department",
            "organization",
            "timezone",
            "status",
            "active",
            "accountType",
            "managed",
            "identity",
            "application",
            "applicationId",
            "entitlements",
            "lastActive",
            "lastSeen",
        ]
        read_only_fields = fields

    def get_active(self, account: Account) -> bool:
        return account.status == "active"

    def get_entitlements(self, account: Account) -> list[int]:
        return sorted(
            assignment.entitlement_id
            for assignment in account.assignments.all()
            if assignment.ended_at is None
        )


def _attribute_fields() -> dict[str, serializers.Field]:
    return {
        api_name: StrictCharField(max_length=200, allow_blank=True, required=False)
        for api_name, _ in ACCOUNT_ATTRIBUTES
    }


class ConnectorAccountUpdateSerializer(serializers.Serializer):
    """Attributes to change (only those given), and `active` to disable or enable."""

    active = StrictBooleanField(required=False)

    def get_fields(self) -> dict[str, serializers.Field]:
        return {**_attribute_fields(), **super().get_fields()}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = set(self.initial_data) - set(self.fields) - {"id"}
        if unknown:
            raise serializers.ValidationError(
                {name: ["Unknown or read-only attribute."] for name in sorted(unknown)}
            )
        return attrs


class ConnectorAccountInputSerializer(serializers.Serializer):
    """A new account: the email is the key, the rest fills the profile."""

    email = serializers.EmailField(max_length=254)
    application = StrictPrimaryKeyRelatedField(
        queryset=Application.objects.filter(is_enabled=True),
        required=False,
        help_text="Defaults to the only enabled application",
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        return {**super().get_fields(), **_attribute_fields()}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "application" not in attrs:
            enabled = list(Application.objects.filter(is_enabled=True)[:2])
            if len(enabled) != 1:
                raise serializers.ValidationError(
                    {"application": ["Say which application (id)."]}
                )
            attrs["application"] = enabled[0]
        return attrs


class ConnectorResourceSerializer(serializers.Serializer):
    """The project, space or site an entitlement belongs to."""

    type = serializers.CharField(source="kind")
    key = serializers.CharField()
    name = serializers.CharField()


class ConnectorEntitlementSerializer(serializers.ModelSerializer):
    """An entitlement as IGA systems exchange it: description, displayName, type, form."""

    displayName = serializers.CharField(source="display_name")
    type = serializers.CharField(source="kind")
    typeLabel = serializers.SerializerMethodField()
    externalId = serializers.CharField(source="external_id")
    resource = ConnectorResourceSerializer(allow_null=True)
    owner = serializers.EmailField(source="owner.email", allow_null=True, default=None)
    application = serializers.CharField(source="application.name")
    applicationId = serializers.IntegerField(source="application_id")
    requestable = serializers.BooleanField(source="is_requestable")
    managedExternally = serializers.BooleanField(source="is_managed_externally")
    form = serializers.SerializerMethodField(
        help_text="The fields a request for it takes"
    )

    class Meta:
        model = Entitlement
        fields = [
            "id",
            "name",
            "displayName",
            "description",
            "type",
            "typeLabel",
            "form",
            "externalId",
            "resource",
            "owner",
            "application",
            "applicationId",
            "requestable",
            "managedExternally",
        ]
        read_only_fields = fields
        list_serializer_class = PoliciesResolvedListSerializer

    def get_typeLabel(self, entitlement: Entitlement) -> str:
        return KIND_TYPES.get(entitlement.kind, entitlement.kind)

    @extend_schema_field(FormFieldSerializer(many=True))
    def get_form(self, entitlement: Entitlement) -> list[dict]:
        return request_form(policy_of(entitlement, self.context))


class ConnectorJobSerializer(serializers.ModelSerializer):
    """A queued change and how it went."""

    operation = serializers.SerializerMethodField(
        help_text="accounts.create, accounts.update, accounts.disable, ..."
    )
    accountId = serializers.SerializerMethodField()
    attempts = serializers.IntegerField()
    maxAttempts = serializers.IntegerField(source="max_attempts")
    lastError = serializers.CharField(source="last_error")
    result = JSONObjectField()
    createdAt = serializers.DateTimeField(source="created_at")
    finishedAt = serializers.DateTimeField(source="finished_at", allow_null=True)

    class Meta:
        model = ProvisioningJob
        fields = [
            "id",
            "kind",
            "operation",
            "status",
            "accountId",
            "attempts",
            "maxAttempts",
            "lastError",
            "result",
            "createdAt",
            "finishedAt",
        ]
        read_only_fields = fields

    def get_operation(self, job: ProvisioningJob) -> str:
        return str((job.payload or {}).get("operation", ""))

    def get_accountId(self, job: ProvisioningJob) -> str | None:
        if job.account_id:
            return job.account.account_id
        return (job.result or {}).get("account_id")


def profile_changes(validated: dict[str, Any]) -> dict[str, str]:
    """The given attributes under their AccountRecord names."""
    return {
        field: validated[api_name]
        for api_name, field in ACCOUNT_ATTRIBUTES
        if api_name in validated
    }
