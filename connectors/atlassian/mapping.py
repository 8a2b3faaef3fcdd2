"""Attribute mapping between portal/AccountRecord names and SCIM user attributes.

Used by `create_account` (the SCIM user payload) and `update_account` (PatchOp
operations). A name may be the AccountRecord field (`given_name`) or the portal
attribute name (`givenName`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectors.atlassian.scim import ENTERPRISE_SCHEMA, USER_SCHEMA
from connectors.base import Invalid

if TYPE_CHECKING:
    from collections.abc import Mapping

    from connectors.atlassian.scim import ScimUser
    from connectors.base import AccountDraft


@dataclass(frozen=True, slots=True)
class AttributeMapping:
    """One mapped attribute: AccountRecord field, portal name, SCIM PATCH path."""

    field: str
    portal_name: str
    scim_path: str


MAPPINGS: tuple[AttributeMapping, ...] = (
    AttributeMapping("department", "department", f"{ENTERPRISE_SCHEMA}:department"),
    AttributeMapping("display_name", "displayName", "displayName"),
    AttributeMapping("email", "email", "emails"),
    AttributeMapping("family_name", "familyName", "name.familyName"),
    AttributeMapping("given_name", "givenName", "name.givenName"),
    AttributeMapping("title", "title", "title"),
    AttributeMapping("nickname", "nickName", "nickName"),
    AttributeMapping(
        "organization", "organization", f"{ENTERPRISE_SCHEMA}:organization"
    ),
    AttributeMapping("timezone", "timezone", "timezone"),
    AttributeMapping("user_name", "userName", "userName"),
)
_BY_NAME = {m.field: m for m in MAPPINGS} | {m.portal_name: m for m in MAPPINGS}


def resolve(name: str) -> AttributeMapping:
    """The mapping for a field or portal name; Invalid for an unmapped name."""
    mapping = _BY_NAME.get(name)
    if mapping is None:
        known = ", ".join(m.portal_name for m in MAPPINGS)
        message = (
            f"The attribute {name!r} cannot be written to Atlassian (mapped: {known})"
        )
        raise Invalid(message, family="scim")
    return mapping


def _emails(value: str) -> list[dict[str, Any]]:
    return [{"value": value, "type": "work", "primary": True}]


def patch_operations(changes: Mapping[str, Any]) -> list[dict[str, Any]]:
    """SCIM PatchOp operations for the changes; an empty value removes the attribute."""
    operations: list[dict[str, Any]] = []
    for name, value in changes.items():
        mapping = resolve(name)
        if value in (None, ""):
            if mapping.field in ("email", "user_name"):
                raise Invalid(f"{mapping.portal_name} cannot be cleared", family="scim")
            operations.append({"op": "remove", "path": mapping.scim_path})
            continue
        if not isinstance(value, str):
            raise Invalid(f"{mapping.portal_name} must be text", family="scim")
        written: Any = _emails(value) if mapping.field == "email" else value
        operations.append(
            {"op": "replace", "path": mapping.scim_path, "value": written}
        )
    return operations


def user_payload(draft: AccountDraft) -> dict[str, Any]:
    """The SCIM create body: userName = email, names, profile and enterprise fields."""
    display_name = draft.display_name or " ".join(
        part for part in (draft.given_name, draft.family_name) if part
    )
    payload: dict[str, Any] = {
        "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA],
        "userName": draft.email,
        "emails": _emails(draft.email),
        "active": True,
    }
    name = {"givenName": draft.given_name, "familyName": draft.family_name}
    if name := {key: value for key, value in name.items() if value}:
        payload["name"] = name
    optional = {
        "displayName": display_name,
        "nickName": draft.nickname,
        "title": draft.title,
        "timezone": draft.timezone,
    }
    payload.update({key: value for key, value in optional.items() if value})
    enterprise = {"department": draft.department, "organization": draft.organization}
    if enterprise := {key: value for key, value in enterprise.items() if value}:
        payload[ENTERPRISE_SCHEMA] = enterprise
    return payload


def account_fields(user: ScimUser) -> dict[str, Any]:
    """AccountRecord keyword arguments from a SCIM user (enterprise form preferred)."""
    enterprise = user.enterprise
    name = user.name
    return {
        "email": user.email or user.user_name,
        "display_name": user.display_name or user.user_name,
        "scim_id": user.id,
        "user_name": user.user_name,
        "given_name": name.given_name if name else None,
        "family_name": name.family_name if name else None,
        "nickname": user.nick_name,
        "title": user.title,
        "department": (enterprise.department if enterprise else None)
        or user.department,
        "organization": (enterprise.organization if enterprise else None)
        or user.organization,
        "timezone": user.timezone,
    }
