"""SCIM resources: rendering, attribute writes (POST/PUT/PATCH paths), projection, filters."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from connectors.simulator.wire import ApiError

if TYPE_CHECKING:
    from connectors.simulator.state import Group, State, User

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ATLASSIAN = "urn:scim:schemas:extension:atlassian-external:1.0"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
NAME_PARTS = {
    "givenname": "givenName",
    "familyname": "familyName",
    "middlename": "middleName",
    "formatted": "formatted",
    "honorificprefix": "honorificPrefix",
    "honorificsuffix": "honorificSuffix",
}
SIMPLE = {
    "displayname",
    "nickname",
    "title",
    "timezone",
    "preferredlanguage",
    "externalid",
    "department",
    "organization",
}
_FILTER = re.compile(r'^\s*(\w+)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$', re.IGNORECASE)
_EMAIL_TYPE = re.compile(r'^emails\[type eq "(\w+)"\]\.value$', re.IGNORECASE)


def bad(detail: str, scim_type: str = "invalidValue", status: int = 400) -> ApiError:
    """A SCIM 400 with a scimType."""
    return ApiError(status, detail, scim_type=scim_type)


def parse_filter(raw: str | None, allowed: tuple[str, ...]) -> tuple[str, str] | None:
    """Parse the one supported filter form `attr eq "value"`; anything else is invalidFilter."""
    if raw is None or not raw.strip():
        return None
    found = _FILTER.match(raw)
    if found is None or found.group(1).lower() not in {a.lower() for a in allowed}:
        supported = " or ".join(f'{a} eq "..."' for a in allowed)
        raise bad(
            f"Unsupported filter '{raw}'. Only {supported} is supported.",
            "invalidFilter",
        )
    return found.group(1).lower(), found.group(2).replace('\\"', '"')


def user_resource(state: State, user: User, base: str) -> dict[str, Any]:
    """Render a SCIM User."""
    profile = user.scim
    assert profile is not None  # noqa: S101 - only linked users are rendered
    name = {
        "givenName": user.given_name,
        "familyName": user.family_name,
        **(profile.name_extra or {}),
    }
    name.setdefault("formatted", f"{user.given_name} {user.family_name}".strip())
    emails = (
        profile.emails
        if profile.emails is not None
        else [{"value": user.email, "type": "work", "primary": True}]
    )
    enterprise: dict[str, Any] = {}
    if user.department:
        enterprise["department"] = user.department
    if user.organization:
        enterprise["organization"] = user.organization
    if profile.manager_id:
        # Returned as stored: {value: SCIM id, displayName}.
        enterprise["manager"] = {
            "value": profile.manager_id,
            "displayName": profile.manager_display or "",
        }
    resource: dict[str, Any] = {
        "schemas": [CORE_USER, ENTERPRISE, ATLASSIAN],
        "id": profile.scim_id,
        "externalId": profile.external_id,
        "userName": profile.user_name,
        "emails": emails,
        "name": {k: v for k, v in name.items() if v},
        "displayName": user.display_name,
        "nickName": user.nickname or None,
        "title": user.title or None,
        "preferredLanguage": profile.preferred_language,
        "timezone": user.timezone or None,
        "phoneNumbers": profile.phone_numbers,
        "active": not (user.suspended or user.disabled),
        "department": user.department or None,
        "organization": user.organization or None,
        "groups": [
            {
                "value": g.scim_id,
                "display": g.name,
                "type": "direct",
                "$ref": f"{base}/Groups/{g.scim_id}",
            }
            for g in (state.groups[seq] for seq in user.groups)
            if g.scim_id is not None
        ],
        ENTERPRISE: enterprise,
        ATLASSIAN: {"atlassianAccountId": user.account_id},
        "meta": {
            "resourceType": "User",
            "location": f"{base}/Users/{profile.scim_id}",
            "created": profile.created,
            "lastModified": profile.modified,
        },
    }
    return {k: v for k, v in resource.items() if v is not None}


def group_resource(state: State, group: Group, base: str) -> dict[str, Any]:
    """Render a SCIM Group (members are SCIM user ids)."""
    members = []
    for seq in group.members:
        user = state.users[seq]
        if user.scim is not None:
            members.append(
                {
                    "value": user.scim.scim_id,
                    "display": user.display_name,
                    "type": "User",
                    "$ref": f"{base}/Users/{user.scim.scim_id}",
                }
            )
    resource = {
        "schemas": [CORE_GROUP],
        "id": group.scim_id,
        "externalId": group.external_id,
        "displayName": group.name,
        "members": members,
        "meta": {
            "resourceType": "Group",
            "location": f"{base}/Groups/{group.scim_id}",
            "created": group.created,
            "lastModified": group.created,
        },
    }
    return {k: v for k, v in resource.items() if v is not None}


def project(
    resource: dict[str, Any], attributes: list[str], excluded: list[str]
) -> dict[str, Any]:
    """Apply `attributes`/`excludedAttributes` (id and schemas are always returned)."""
    if not attributes and not excluded:
        return resource
    by_lower = {k.lower(): k for k in resource}
    if attributes:
        out: dict[str, Any] = {"schemas": resource["schemas"], "id": resource["id"]}
        for attribute in attributes:
            top, sub = _split(attribute, by_lower)
            if top is None or top not in resource:
                continue
            value = resource[top]
            if sub is None:
                out[top] = value
            elif isinstance(value, dict):
                out.setdefault(top, {}).update(
                    {k: v for k, v in value.items() if k.lower() == sub}
                )
            elif isinstance(value, list):
                out[top] = [
                    {k: v for k, v in item.items() if k.lower() == sub}
                    for item in value
                ]
        return out
    out = dict(resource)
    for attribute in excluded:
        top, sub = _split(attribute, by_lower)
        if top is None or top in ("id", "schemas") or top not in out:
            continue
        if sub is None:
            del out[top]
        elif isinstance(out[top], dict):
            out[top] = {k: v for k, v in out[top].items() if k.lower() != sub}
    return out


def _split(attribute: str, by_lower: dict[str, str]) -> tuple[str | None, str | None]:
    """Split `a.b` or `urn:...:b` into (resource key, lower-case sub attribute)."""
    lower = attribute.strip().lower()
    for key_lower, key in by_lower.items():
        if key_lower.startswith("urn:") and lower.startswith(key_lower + ":"):
            return key, lower[len(key_lower) + 1 :]
        if lower == key_lower:
            return key, None
    top, _, sub = lower.partition(".")
    return by_lower.get(top), sub or None


def set_user_attribute(state: State, user: User, path: str, value: Any) -> None:
    """Write one SCIM attribute (None clears it); raise a SCIM 400 for bad paths or values."""
    profile = user.scim
    assert profile is not None  # noqa: S101
    lower = path.strip().lower()
    if lower.startswith(ENTERPRISE.lower()):
        rest = lower[len(ENTERPRISE) :].lstrip(":")
        if not rest:
            _set_enterprise(state, user, value)
            return
        lower = rest
    if lower.startswith(ATLASSIAN.lower()) or lower in (
        "id",
        "groups",
        "meta",
        "schemas",
    ):
        raise bad(f"Attribute '{path}' is read-only.", "mutability")
    if lower == "active":
        if not isinstance(value, bool):
            raise bad("'active' must be a boolean.")
        user.suspended = not value
    elif lower == "username":
        _set_user_name(state, user, value)
    elif lower in SIMPLE:
        _set_simple(user, lower, _string(path, value))
    elif lower == "name":
        if value is not None and not isinstance(value, dict):
            raise bad("'name' must be an object.")
        for key, part in (value or {}).items():
            set_user_attribute(state, user, f"name.{key}", part)
    elif lower.startswith("name."):
        _set_name_part(user, lower[5:], _string(path, value))
    elif lower == "emails":
        _set_emails(state, user, value)
    elif (found := _EMAIL_TYPE.match(lower)) is not None:
        _set_emails(
            state,
            user,
            [{"value": _string(path, value), "type": found.group(1), "primary": True}],
        )
    elif lower == "phonenumbers":
        if value is not None and not (
            isinstance(value, list) and all(isinstance(v, dict) for v in value)
        ):
            raise bad("'phoneNumbers' must be a list of objects.")
        profile.phone_numbers = value or None
    elif lower == "manager":
        _set_manager(state, user, value)
    else:
        raise bad(f"Unknown attribute path '{path}'.", "invalidPath")


def _string(path: str, value: Any) -> str | None:
    """Validate a string attribute value."""
    if value is not None and not isinstance(value, str):
        raise bad(f"'{path}' must be a string.")
    return value


def _set_simple(user: User, lower: str, value: str | None) -> None:
    """Write a plain string attribute."""
    profile = user.scim
    assert profile is not None  # noqa: S101
    if lower == "displayname":
        user.display_name = value or f"{user.given_name} {user.family_name}".strip()
    elif lower == "externalid":
        profile.external_id = value
    elif lower == "preferredlanguage":
        profile.preferred_language = value
    else:
        attribute = {
            "nickname": "nickname",
            "title": "title",
            "timezone": "timezone",
            "department": "department",
            "organization": "organization",
        }[lower]
        setattr(user, attribute, value or "")


def _set_user_name(state: State, user: User, value: Any) -> None:
    """Change userName, keeping it unique in the directory."""
    if not isinstance(value, str) or not value.strip():
        raise bad(
            "'userName' is required and must be a non-empty string.",
            "mutability" if value is None else "invalidValue",
        )
    other = state.scim_by_user_name.get(value.lower())
    if other is not None and other is not user:
        raise ApiError(
            409, f"User with userName '{value}' already exists.", scim_type="uniqueness"
        )
    state.rename_scim_user(user, value)


def _set_name_part(user: User, part: str, value: str | None) -> None:
    """Write one name sub-attribute."""
    key = NAME_PARTS.get(part)
    if key is None:
        raise bad(f"Unknown attribute path 'name.{part}'.", "invalidPath")
    if key == "givenName":
        user.given_name = value or ""
    elif key == "familyName":
        user.family_name = value or ""
    else:
        assert user.scim is not None  # noqa: S101
        extra = dict(user.scim.name_extra or {})
        if value:
            extra[key] = value
        else:
            extra.pop(key, None)
        user.scim.name_extra = extra or None


def _set_emails(state: State, user: User, value: Any) -> None:
    """Replace the emails; exactly one must be primary (a single email counts as primary)."""
    if not isinstance(value, list) or not value:
        raise bad("'emails' must be a non-empty list with one primary email.")
    emails = []
    for item in value:
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("value"), str)
            or "@" not in item["value"]
        ):
            raise bad("Each email needs a 'value' that is an email address.")
        unknown = set(item) - {"value", "type", "primary", "display"}
        if unknown:
            raise bad(
                f"Unknown email attribute(s): {', '.join(sorted(unknown))}.",
                "invalidSyntax",
            )
        emails.append(
            {
                "value": item["value"],
                "type": item.get("type", "work"),
                "primary": bool(item.get("primary")),
            }
        )
    primaries = [e for e in emails if e["primary"]]
    if len(emails) == 1 and not primaries:
        emails[0]["primary"] = True
        primaries = emails
    if len(primaries) != 1:
        raise bad("Exactly one email must be primary.")
    address = primaries[0]["value"]
    other = state.user_by_email(address)
    if other is not None and other is not user:
        raise ApiError(
            409,
            f"Email '{address}' belongs to another account.",
            scim_type="uniqueness",
        )
    state.change_email(user, address)
    assert user.scim is not None  # noqa: S101
    user.scim.emails = emails


def _set_enterprise(state: State, user: User, value: Any) -> None:
    """Write the whole enterprise extension object."""
    if value is None:
        value = {"department": None, "organization": None, "manager": None}
    if not isinstance(value, dict):
        raise bad(f"'{ENTERPRISE}' must be an object.")
    for key, part in value.items():
        if key.lower() not in ("department", "organization", "manager"):
            raise bad(f"Unsupported enterprise attribute '{key}'.", "invalidPath")
        set_user_attribute(state, user, key, part)


def _set_manager(state: State, user: User, value: Any) -> None:
    """Write the RFC 7643 manager: {value: SCIM id, displayName} (a bare id is accepted)."""
    assert user.scim is not None  # noqa: S101
    if isinstance(value, str):
        value = {"value": value}
    if (
        value is None
        or value == {}
        or (isinstance(value, dict) and not value.get("value"))
    ):
        user.scim.manager_id = user.scim.manager_display = None
        return
    if not isinstance(value, dict) or set(value) - {"value", "displayName", "$ref"}:
        raise bad(
            "'manager' must be an object with 'value' (a SCIM user id) and optional 'displayName'."
        )
    manager = state.user_by_scim.get(value["value"])
    if manager is None:
        raise bad(f"Manager '{value['value']}' is not a user of this directory.")
    user.scim.manager_id = value["value"]
    user.scim.manager_display = value.get("displayName") or manager.display_name
