"""SCIM discovery documents: ServiceProviderConfig, ResourceTypes and Schemas."""

from __future__ import annotations

from typing import Any

from connectors.simulator.scim_model import (
    CORE_GROUP,
    CORE_USER,
    ENTERPRISE,
    LIST_RESPONSE,
)

_USER_ATTRS = [
    ("userName", "string", True, "server"),
    ("externalId", "string", False, "none"),
    ("name", "complex", False, "none"),
    ("displayName", "string", False, "none"),
    ("nickName", "string", False, "none"),
    ("title", "string", False, "none"),
    ("preferredLanguage", "string", False, "none"),
    ("timezone", "string", False, "none"),
    ("active", "boolean", False, "none"),
    ("emails", "complex", True, "none"),
    ("phoneNumbers", "complex", False, "none"),
    ("groups", "complex", False, "none"),
    ("department", "string", False, "none"),
    ("organization", "string", False, "none"),
]
_GROUP_ATTRS = [
    ("displayName", "string", True, "server"),
    ("externalId", "string", False, "none"),
    ("members", "complex", False, "none"),
]
_ENTERPRISE_ATTRS = [
    ("department", "string", False, "none"),
    ("organization", "string", False, "none"),
    ("manager", "complex", False, "none"),
]


def _attributes(rows: list[tuple[str, str, bool, str]]) -> list[dict[str, Any]]:
    """Schema attribute definitions from compact rows."""
    return [
        {
            "name": name,
            "type": kind,
            "multiValued": kind == "complex"
            and name in ("emails", "phoneNumbers", "groups", "members"),
            "required": required,
            "caseExact": False,
            "mutability": "readOnly" if name == "groups" else "readWrite",
            "returned": "default",
            "uniqueness": uniqueness,
        }
        for name, kind, required, uniqueness in rows
    ]


def schemas(base: str) -> dict[str, dict[str, Any]]:
    """The Schemas resources by URN."""
    rows = {
        CORE_USER: ("User", "User Account", _USER_ATTRS),
        CORE_GROUP: ("Group", "Group", _GROUP_ATTRS),
        ENTERPRISE: ("EnterpriseUser", "Enterprise User", _ENTERPRISE_ATTRS),
    }
    return {
        urn: {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
            "id": urn,
            "name": name,
            "description": description,
            "attributes": _attributes(attrs),
            "meta": {"resourceType": "Schema", "location": f"{base}/Schemas/{urn}"},
        }
        for urn, (name, description, attrs) in rows.items()
    }


def resource_types(base: str) -> dict[str, dict[str, Any]]:
    """The ResourceTypes by name."""
    common = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"]}
    return {
        "User": {
            **common,
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "User Account",
            "schema": CORE_USER,
            "schemaExtensions": [{"schema": ENTERPRISE, "required": False}],
            "meta": {
                "resourceType": "ResourceType",
                "location": f"{base}/ResourceTypes/User",
            },
        },
        "Group": {
            **common,
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "Group",
            "schema": CORE_GROUP,
            "schemaExtensions": [],
            "meta": {
                "resourceType": "ResourceType",
                "location": f"{base}/ResourceTypes/Group",
            },
        },
    }


def service_provider_config(base: str) -> dict[str, Any]:
    """What this SCIM service supports (PATCH and a limited filter; no bulk, sort, etag)."""
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": "https://developer.atlassian.com/cloud/admin/user-provisioning/rest/intro/",
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": 100},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": False},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "OAuth Bearer Token",
                "description": "Authentication scheme using the directory API key as a bearer token",
                "primary": True,
            }
        ],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": f"{base}/ServiceProviderConfig",
        },
    }


def list_of(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """A ListResponse holding every resource."""
    return {
        "schemas": [LIST_RESPONSE],
        "totalResults": len(resources),
        "startIndex": 1,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }
