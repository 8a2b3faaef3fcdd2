"""What a run covers: the kinds (`--only`) and the filter (`--filter`) of a limited run.

A run reconciles *kinds* — accounts, groups, projects, spaces, sites — and may be
limited by a filter. A filter limits the kinds it names and drops the others:
`group=eng` reconciles the group `eng` and its members, nothing else. Only what a run
covered can be swept, so the same filter also bounds the sweep (`sweep_filters`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Q

from connectors.base import EntitlementKind, ResourceKind
from connectors.reconcile_errors import InvalidRunRequest
from connectors.records import Scope

if TYPE_CHECKING:
    from collections.abc import Iterable

ACCOUNTS, GROUPS, PROJECTS, SPACES, SITES = (
    "accounts",
    "groups",
    "projects",
    "spaces",
    "sites",
)
ALL_KINDS = (ACCOUNTS, GROUPS, PROJECTS, SPACES, SITES)
# --filter key → the Scope field it sets, and the kind it limits.
FILTER_KEYS = {
    "group": ("group_names", GROUPS),
    "project": ("project_keys", PROJECTS),
    "space": ("space_keys", SPACES),
    "domain": ("email_domains", ACCOUNTS),
    "scim": ("scim_filter", ACCOUNTS),
}
ENTITLEMENT_KINDS = {
    GROUPS: EntitlementKind.GROUP,
    PROJECTS: EntitlementKind.PROJECT_ROLE,
    SPACES: EntitlementKind.SPACE_PERMISSION,
    SITES: EntitlementKind.ORG_ROLE,
}
RESOURCE_KINDS = {
    PROJECTS: ResourceKind.PROJECT,
    SPACES: ResourceKind.SPACE,
    SITES: ResourceKind.SITE,
}


def parse_filters(values: Iterable[str]) -> dict[str, Any]:
    """`["group=eng", "project=WEB"]` → `{"group": ["eng"], "project": ["WEB"]}`."""
    parsed: dict[str, Any] = {}
    for value in values:
        key, sep, argument = value.partition("=")
        key, argument = key.strip().lower(), argument.strip()
        if not sep or key not in FILTER_KEYS or not argument:
            known = ", ".join(f"{k}=…" for k in FILTER_KEYS)
            raise InvalidRunRequest(f"Not a filter: {value!r} (use {known})")
        if key == "scim":
            if "scim" in parsed:
                raise InvalidRunRequest("Give at most one SCIM filter.")
            parsed["scim"] = argument
        else:
            parsed.setdefault(key, []).append(argument)
    return parsed


def validate_scope(scope: dict[str, Any] | None) -> dict[str, Any]:
    """A clean copy of a stored filter; InvalidRunRequest for unknown keys or values."""
    clean: dict[str, Any] = {}
    for key, value in (scope or {}).items():
        if key not in FILTER_KEYS:
            raise InvalidRunRequest(f"Unknown filter {key!r}.")
        if key == "scim":
            if not isinstance(value, str) or not value.strip():
                raise InvalidRunRequest("The SCIM filter must be a non-empty text.")
            clean[key] = value.strip()
            continue
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(
            isinstance(i, str) and i.strip() for i in items
        ):
            raise InvalidRunRequest(f"The {key} filter must be a list of names.")
        if items:
            clean[key] = [i.strip() for i in items]
    return clean


def to_scope(scope: dict[str, Any]) -> Scope:
    """The connector's Scope for a stored filter."""
    fields: dict[str, Any] = {}
    for key, value in scope.items():
        field_name, _ = FILTER_KEYS[key]
        fields[field_name] = value if key == "scim" else tuple(value)
    return Scope(**fields)


def active_kinds(only: Iterable[str] | None, scope: dict[str, Any]) -> list[str]:
    """The kinds a run reconciles; InvalidRunRequest when none remain."""
    wanted = list(only) if only else [k for k in ALL_KINDS]
    unknown = [k for k in wanted if k not in ALL_KINDS]
    if unknown:
        raise InvalidRunRequest(
            f"Unknown kind(s) {', '.join(unknown)} (use {', '.join(ALL_KINDS)})."
        )
    if scope:
        limited = {FILTER_KEYS[key][1] for key in scope}
        wanted = [k for k in wanted if k in limited]
    if not wanted:
        raise InvalidRunRequest(
            "Nothing to reconcile: the filter limits kinds that --only leaves out."
        )
    return [k for k in ALL_KINDS if k in wanted]


@dataclass(frozen=True)
class SweepFilters:
    """Q filters of the catalog rows a run covered, per model; None = not covered."""

    accounts: Q | None
    resources: Q | None
    entitlements: Q | None


def sweep_filters(kinds: list[str], scope: dict[str, Any]) -> SweepFilters:
    """What a run may mark removed: exactly what its fetch was authoritative for."""
    accounts = None
    if ACCOUNTS in kinds and "scim" not in scope:  # a SCIM filter's reach is unknown
        accounts = Q()
        for domain in scope.get("domain", []):
            accounts |= Q(email__iendswith="@" + domain.lstrip("@"))
    resources: Q | None = None
    entitlements: Q | None = None
    for kind in (PROJECTS, SPACES, SITES):
        if kind not in kinds:
            continue
        resource_q = Q(kind=RESOURCE_KINDS[kind])
        keys = scope.get(kind[:-1], [])  # "projects" → "project"
        if keys:
            resource_q &= Q(key__in=keys)
        resources = resource_q if resources is None else resources | resource_q
        entitlement_q = Q(kind=ENTITLEMENT_KINDS[kind])
        if keys:
            entitlement_q &= Q(
                resource__kind=RESOURCE_KINDS[kind], resource__key__in=keys
            )
        entitlements = (
            entitlement_q if entitlements is None else entitlements | entitlement_q
        )
    if GROUPS in kinds:
        group_q = Q(kind=EntitlementKind.GROUP)
        if scope.get("group"):
            group_q &= Q(name__in=scope["group"])
        entitlements = group_q if entitlements is None else entitlements | group_q
    return SweepFilters(accounts, resources, entitlements)
