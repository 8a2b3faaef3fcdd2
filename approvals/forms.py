"""Forms of the web pages: catalog filters, the request cart, decisions, extensions."""

from __future__ import annotations

from datetime import UTC, datetime, time
from html import escape
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from accessportal.models import User
from connectors.base import EntitlementKind, ResourceKind
from connectors.models import Resource

if TYPE_CHECKING:
    from connectors.models import EntitlementQuerySet

KIND_LABELS = {
    EntitlementKind.GROUP: "Atlassian group",
    EntitlementKind.PROJECT_ROLE: "Jira project role",
    EntitlementKind.SPACE_PERMISSION: "Confluence space permission",
    EntitlementKind.ORG_ROLE: "Organization role",
}
FILTERABLE_KINDS = (
    EntitlementKind.GROUP,
    EntitlementKind.PROJECT_ROLE,
    EntitlementKind.SPACE_PERMISSION,
)


class PlainSelect(forms.Select):
    """A <select> built in Python rather than one template per option.

    The catalog's project and space filters list every project and space (thousands in
    a large organization); Django's per-option templates would take most of the page's
    render time. Long option lists go in `options` (not `choices`, which Django
    normalises item by item on every assignment).
    """

    options: list[tuple[Any, str]] | None = None

    def render(
        self, name: str, value: Any, attrs: dict | None = None, renderer: Any = None
    ) -> SafeString:
        chosen = {str(v) for v in self.format_value(value)}
        options = "".join(
            f'<option value="{escape(str(key))}"'
            f"{' selected' if str(key) in chosen else ''}>{escape(str(label))}</option>"
            for key, label in (
                self.options if self.options is not None else self.choices
            )
        )
        final_attrs = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        return format_html(
            "<select{}>{}</select>",
            flatatt(final_attrs),
            mark_safe(options),  # noqa: S308 (each part escaped above)
        )


def resource_choices(kind: ResourceKind, everything: str) -> list[tuple[Any, str]]:
    """Projects or spaces still present in Atlassian, by name, for a filter."""
    rows = (
        Resource.objects.filter(kind=kind, removed_at__isnull=True)
        .order_by("name", "pk")
        .values_list("pk", "name", "key")
    )
    return [("", everything), *((pk, f"{name} ({key})") for pk, name, key in rows)]


class CatalogFilterForm(forms.Form):
    """Search and filters of the catalog (a GET form: every field optional)."""

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": "Name, project, space or description",
                "autocomplete": "off",
            }
        ),
    )
    kind = forms.ChoiceField(
        label="Kind",
        required=False,
        widget=PlainSelect,
        choices=[
            ("", "All kinds"),
            *((k.value, KIND_LABELS[k]) for k in FILTERABLE_KINDS),
        ],
    )
    # Plain integers: an unknown id matches nothing. The options are set on the widget
    # directly, which skips the per-choice normalisation of a ChoiceField.
    project = forms.IntegerField(
        label="Jira project", required=False, widget=PlainSelect
    )
    space = forms.IntegerField(
        label="Confluence space", required=False, widget=PlainSelect
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Read per form, so a newly reconciled project shows up without a restart.
        self.fields["project"].widget.options = resource_choices(
            ResourceKind.PROJECT, "All projects"
        )
        self.fields["space"].widget.options = resource_choices(
            ResourceKind.SPACE, "All spaces"
        )

    def apply(self, entitlements: EntitlementQuerySet) -> EntitlementQuerySet:
        """The entitlements matching the valid filters."""
        data = self.cleaned_data if self.is_valid() else {}
        query = (data.get("q") or "").strip()
        if query:
            entitlements = entitlements.matching(query)
        if data.get("kind"):
            entitlements = entitlements.filter(kind=data["kind"])
        resource_id = data.get("project") or data.get("space")
        if data.get("project") and data.get("space"):
            return entitlements.none()  # an entitlement has one parent
        if resource_id:
            entitlements = entitlements.filter(resource_id=resource_id)
        return entitlements


class DurationFields(forms.Form):
    """How long access should last: a number of days or an end date (or the policy's default)."""

    duration_days = forms.IntegerField(
        label="For how many days",
        required=False,
        min_value=1,
        max_value=3650,
        help_text="Leave empty for the policy's default.",
    )
    ends_on = forms.DateField(
        label="Or until",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Access ends at the end of this day (UTC).",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("duration_days") and data.get("ends_on"):
            self.add_error("ends_on", "Give a number of days or an end date, not both.")
        return data

    @property
    def ends_at(self) -> datetime | None:
        """The end date as the last moment of that day, in UTC."""
        day = self.cleaned_data.get("ends_on")
        if day is None:
            return None
        return datetime.combine(day, time(23, 59), tzinfo=UTC)

    def add_workflow_errors(self, field_errors: dict[str, list[str]]) -> None:
        """Show the workflow's validation messages next to the right fields."""
        names = {"ends_at": "ends_on"}
        for field, messages in field_errors.items():
            target = names.get(field, field)
            for message in messages:
                self.add_error(target if target in self.fields else None, message)


class RequestForm(DurationFields):
    """The cart's request: why, for whom, how long."""

    justification = forms.CharField(
        label="Why do you need this access?",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Your approvers read this. Mention the ticket or project if there is one.",
    )
    beneficiary = forms.ModelChoiceField(
        label="Request for",
        required=False,
        queryset=User.objects.none(),
        empty_label="Myself",
    )
    field_order = ["beneficiary", "justification", "duration_days", "ends_on"]
    required_hint: frozenset[str] | set[str] = frozenset()  # shown as "(required)"

    def __init__(self, *args: Any, requester: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        reports = User.objects.reports_of(requester).filter(is_active=True)
        self.fields["beneficiary"].queryset = reports.order_by(
            "display_name", "username"
        )
        self.has_reports = reports.exists()
        if not self.has_reports:
            del self.fields["beneficiary"]


class ExtensionForm(DurationFields):
    """Ask to keep a grant longer."""

    justification = forms.CharField(
        label="Why do you need it longer?",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    field_order = ["justification", "duration_days", "ends_on"]


class DecisionForm(forms.Form):
    """Approve or deny one request."""

    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("deny", "Deny")])
    comment = forms.CharField(
        label="Comment", required=False, max_length=2000, widget=forms.Textarea
    )


class IdListField(forms.Field):
    """Several ids from checkboxes of the same name."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        try:
            return sorted({int(item) for item in value})
        except (TypeError, ValueError) as error:
            raise ValidationError("That selection is not valid.") from error


class BulkDecisionForm(DecisionForm):
    """Approve or deny several requests at once; who may decide what is the workflow's call."""

    request_ids = IdListField(
        error_messages={"required": "Select at least one request first."}
    )


class RevokeForm(forms.Form):
    """Give up access (or take it away, for admins)."""

    reason = forms.CharField(label="Reason (optional)", required=False, max_length=1000)
