"""Query filters of the REST API (django-filter); bad values give a 400, never a 500."""

from __future__ import annotations

from typing import TYPE_CHECKING

import django_filters as filters
from django import forms
from django.db.models import Q

from accessportal.models import User
from approvals.api.fields import StrictBooleanFilter, UTCDateTimeFilter
from approvals.models import (
    AccessRequest,
    AuditEvent,
    Grant,
    GrantOrigin,
    GrantState,
    JobKind,
    JobStatus,
    ProvisioningJob,
    RequestState,
)
from connectors.base import AccountStatus, EntitlementKind
from connectors.models import (
    Account,
    Entitlement,
    ReconciliationRun,
    RunStatus,
)

if TYPE_CHECKING:
    from django.db.models import QuerySet

MAX_ID = 2**63 - 1
MAX_TERMS = 10  # search words combined with AND; more are ignored


class IdFilter(filters.NumberFilter):
    """A positive integer id (not a decimal, not out of the database's range)."""

    field_class = forms.IntegerField

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


class TextFilter(filters.CharFilter):
    """Free text, bounded in length (Django's form field refuses NUL bytes)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("max_length", 200)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


def search_terms(queryset: QuerySet, value: str, fields: list[str]) -> QuerySet:
    """Every word must appear in at least one of `fields` (case-insensitive)."""
    for term in value.split()[:MAX_TERMS]:
        condition = Q()
        for field in fields:
            condition |= Q(**{f"{field}__icontains": term})
        queryset = queryset.filter(condition)
    return queryset


class EntitlementFilter(filters.FilterSet):
    """?kind=, ?search=, ?project=KEY, ?space=KEY, ?application=, ?owner="""

    kind = filters.ChoiceFilter(choices=[(k.value, k.value) for k in EntitlementKind])
    search = TextFilter(method="filter_search", label="Words in name or description")
    project = TextFilter(method="filter_project", label="Jira project key")
    space = TextFilter(method="filter_space", label="Confluence space key")
    application = IdFilter(field_name="application_id")
    owner = IdFilter(field_name="owner_id")

    class Meta:
        model = Entitlement
        fields = ["kind", "search", "project", "space", "application", "owner"]

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Each word in the entitlement's names or description, or its parent's."""
        for term in value.split()[:MAX_TERMS]:
            queryset = queryset.matching(term)
        return queryset

    def filter_project(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(resource__kind="project", resource__key__iexact=value)

    def filter_space(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(resource__kind="space", resource__key__iexact=value)


class AccountFilter(filters.FilterSet):
    """?status=, ?search=, ?identity=, ?application=, ?is_managed="""

    status = filters.ChoiceFilter(choices=[(s.value, s.value) for s in AccountStatus])
    search = TextFilter(method="filter_search", label="Words in email or name")
    identity = IdFilter(field_name="identity_id")
    application = IdFilter(field_name="application_id")
    is_managed = StrictBooleanFilter()
    include_removed = StrictBooleanFilter(
        method="filter_removed", label="Include accounts no longer in Atlassian"
    )

    class Meta:
        model = Account
        fields = ["status", "search", "identity", "application", "is_managed"]

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return search_terms(
            queryset, value, ["email", "display_name", "user_name", "account_id"]
        )

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        if not self.form.cleaned_data.get("include_removed"):
            queryset = queryset.filter(removed_at__isnull=True)
        return super().filter_queryset(queryset)

    def filter_removed(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:  # noqa: FBT001 (django-filter's call)
        return queryset  # applied in filter_queryset: absent means "hide removed"


class AccessRequestFilter(filters.FilterSet):
    """?state=, ?mine=, ?entitlement=, ?beneficiary=, ?requester=, ?batch=, ?created_after="""

    mine = StrictBooleanFilter(
        method="filter_mine", label="Only requests I made or that are for me"
    )
    state = filters.MultipleChoiceFilter(choices=RequestState.choices)
    entitlement = IdFilter(field_name="entitlement_id")
    beneficiary = IdFilter(field_name="beneficiary_id")
    requester = IdFilter(field_name="requester_id")
    batch = filters.UUIDFilter()
    created_after = UTCDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UTCDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = AccessRequest
        fields = ["state", "mine", "entitlement", "beneficiary", "requester", "batch"]

    def filter_mine(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:  # noqa: FBT001 (django-filter's call)
        if value:
            user = self.request.user
            return queryset.filter(Q(requester=user) | Q(beneficiary=user))
        return queryset


class GrantFilter(filters.FilterSet):
    """?mine=true, ?state=, ?origin=, ?entitlement=, ?beneficiary=, ?ends_before="""

    mine = StrictBooleanFilter(
        method="filter_mine", label="Only the grants I hold myself"
    )
    state = filters.MultipleChoiceFilter(choices=GrantState.choices)
    origin = filters.MultipleChoiceFilter(choices=GrantOrigin.choices)
    entitlement = IdFilter(field_name="entitlement_id")
    beneficiary = IdFilter(field_name="beneficiary_id")
    ends_before = UTCDateTimeFilter(field_name="ends_at", lookup_expr="lt")

    class Meta:
        model = Grant
        fields = ["mine", "state", "origin", "entitlement", "beneficiary"]

    def filter_mine(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:  # noqa: FBT001 (django-filter's call)
        if value:
            return queryset.filter(beneficiary=self.request.user)
        return queryset


class AuditEventFilter(filters.FilterSet):
    """?action=, ?actor=, ?target=type:id, ?request=, ?since=, ?until=, ?search="""

    action = TextFilter(
        method="filter_action",
        label="Action, or several separated by commas; a trailing * matches a prefix",
    )
    actor = TextFilter(method="filter_actor", label="Actor's identity id or username")
    target = TextFilter(
        method="filter_target", label="target_type:target_id, or a target_type"
    )
    target_type = TextFilter()
    target_id = TextFilter()
    request = IdFilter(field_name="request_id")
    since = UTCDateTimeFilter(field_name="at", lookup_expr="gte")
    until = UTCDateTimeFilter(field_name="at", lookup_expr="lt")
    search = TextFilter(method="filter_search", label="Words in the event")

    class Meta:
        model = AuditEvent
        fields = ["action", "actor", "target", "request", "since", "until"]

    def filter_action(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        condition = Q()
        for action in filter(None, (part.strip() for part in value.split(","))):
            if action.endswith("*"):
                condition |= Q(action__startswith=action[:-1])
            else:
                condition |= Q(action=action)
        return queryset.filter(condition)

    def filter_actor(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value.isdigit() and int(value) <= MAX_ID:
            return queryset.filter(actor_id=int(value))
        user = User.objects.filter(username__iexact=value).first()
        if user is not None:
            return queryset.filter(actor=user)
        return queryset.filter(actor_label__iexact=value)

    def filter_target(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        target_type, _, target_id = value.partition(":")
        queryset = queryset.filter(target_type__iexact=target_type)
        return queryset.filter(target_id=target_id) if target_id else queryset

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return search_terms(
            queryset, value, ["message", "target_label", "actor_label", "action"]
        )


class ReconciliationRunFilter(filters.FilterSet):
    """?status=, ?application="""

    status = filters.MultipleChoiceFilter(choices=RunStatus.choices)
    application = IdFilter(field_name="application_id")

    class Meta:
        model = ReconciliationRun
        fields = ["status", "application"]


class ProvisioningJobFilter(filters.FilterSet):
    """?status=, ?kind=, ?grant=, ?identity="""

    status = filters.MultipleChoiceFilter(choices=JobStatus.choices)
    kind = filters.MultipleChoiceFilter(choices=JobKind.choices)
    grant = IdFilter(field_name="grant_id")
    identity = IdFilter(field_name="identity_id")

    class Meta:
        model = ProvisioningJob
        fields = ["status", "kind", "grant", "identity"]


class ConnectorAccountFilter(filters.FilterSet):
    """?email=, ?status=, ?application=, ?seenSince= for the connector API."""

    email = TextFilter(field_name="email", lookup_expr="iexact")
    status = filters.ChoiceFilter(choices=[(s.value, s.value) for s in AccountStatus])
    application = IdFilter(field_name="application_id")
    seenSince = UTCDateTimeFilter(field_name="last_seen", lookup_expr="gte")

    class Meta:
        model = Account
        fields = ["email", "status", "application"]


class ConnectorEntitlementFilter(filters.FilterSet):
    """?type=, ?application=, ?name= for the connector API."""

    type = filters.ChoiceFilter(
        field_name="kind", choices=[(k.value, k.value) for k in EntitlementKind]
    )
    application = IdFilter(field_name="application_id")
    name = TextFilter(field_name="name", lookup_expr="iexact")

    class Meta:
        model = Entitlement
        fields = ["type", "application", "name"]
