"""Jira project operations: create (key, name, type, lead, template), update, delete;
and the read of a project's roles with their actors.

Creating a project runs once per job (`operations_idempotency.create_once`): after an
attempt whose answer was lost, the next one looks the project up by its key and adopts
it when it has the name and lead the job asked for. A key held by another project
fails with Jira's message. Deleting moves the project to Jira's recycle bin, and
deleting what is gone succeeds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils import timezone

from approvals.operations import Operation, OperationForm, Outcome, account_of, register
from approvals.operations_fields import PROJECT_KEY, IdentityField, ResourceField
from approvals.operations_idempotency import create_once
from connectors.atlassian.administration import ProjectResult
from connectors.base import Conflict, ResourceKind
from connectors.models import Account, Entitlement, Resource

if TYPE_CHECKING:
    from accessportal.models import User
    from approvals.operations import OperationContext
    from connectors.atlassian.connector import AtlassianConnector

PROJECT_TYPES = [
    ("software", "Software"),
    ("business", "Business (work management)"),
    ("service_desk", "Service management"),
]
TEMPLATE_KEY = RegexValidator(
    r"^[A-Za-z0-9.:_-]{3,200}$",
    "A template key looks like com.pyxis.greenhopper.jira:gh-simplified-scrum-classic.",
)


class LeadMixin:
    """A project lead: an identity with an Atlassian account."""

    application: Any

    def lead_account(self, lead: User | None) -> User | None:
        if lead is None:
            return None
        account = account_of(lead, self.application)
        if account is None:
            raise ValidationError(
                f"{lead.label} has no Atlassian account in {self.application} to lead a project."
            )
        self.lead_account_id = account.account_id
        return lead


class CreateProjectForm(LeadMixin, OperationForm):
    key = forms.CharField(
        max_length=10,
        validators=[PROJECT_KEY],
        help_text="2 to 10 capitals or digits, e.g. WEB.",
    )
    name = forms.CharField(max_length=80)
    project_type = forms.ChoiceField(choices=PROJECT_TYPES, initial="software")
    lead = IdentityField(help_text="The project lead: identity id, username or email.")
    template_key = forms.CharField(
        required=False,
        max_length=200,
        validators=[TEMPLATE_KEY],
        help_text="Optional project template.",
    )
    description = forms.CharField(
        required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean_key(self) -> str:
        key = self.cleaned_data["key"]
        if Resource.objects.filter(
            application=self.application,
            kind=ResourceKind.PROJECT,
            key=key,
            removed_at__isnull=True,
        ).exists():
            raise ValidationError(f"A project with key {key} already exists.")
        return key

    def clean_lead(self) -> User | None:
        return self.lead_account(self.cleaned_data["lead"])

    def arguments(self) -> dict[str, Any]:
        return {**super().arguments(), "lead_account_id": self.lead_account_id}


class UpdateProjectForm(LeadMixin, OperationForm):
    project = ResourceField(ResourceKind.PROJECT)
    name = forms.CharField(required=False, max_length=80)
    new_key = forms.CharField(required=False, max_length=10, validators=[PROJECT_KEY])
    description = forms.CharField(
        required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 3})
    )
    lead = IdentityField(required=False, help_text="A new project lead (optional).")

    def clean_lead(self) -> User | None:
        return self.lead_account(self.cleaned_data["lead"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not any(
            cleaned.get(name) for name in ("name", "new_key", "description", "lead")
        ):
            raise ValidationError(
                "Change at least one of name, new key, description or lead."
            )
        return cleaned

    def arguments(self) -> dict[str, Any]:
        values = super().arguments()
        if self.cleaned_data.get("lead"):
            values["lead_account_id"] = self.lead_account_id
        return values


class ProjectForm(OperationForm):
    project = ResourceField(ResourceKind.PROJECT)


# --- handlers --------------------------------------------------------------------------


def _project_view(resource: Resource | None) -> dict[str, Any]:
    if resource is None:
        return {}
    lead = (
        Account.objects.filter(
            application=resource.application_id, identity=resource.owner_id
        ).first()
        if resource.owner_id
        else None
    )
    return {
        "key": resource.key,
        "name": resource.name,
        "description": resource.description,
        "lead_account_id": lead.account_id if lead else None,
    }


def create_project(context: OperationContext) -> Outcome:
    a = context.arguments
    created = create_once(
        context,
        "project",
        ProjectResult,
        lambda: _send_create(context),
        find=lambda: _project_of_job(context),
    )
    made = created.made
    resource, _ = Resource.objects.update_or_create(
        application=context.application,
        kind=ResourceKind.PROJECT,
        external_id=made.project_id,
        defaults={
            "key": made.key,
            "name": a["name"],
            "description": a.get("description", ""),
            "owner_id": a.get("lead"),
            "removed_at": None,
        },
    )
    context.record(
        target_type="atlassian.project",
        target_id=made.project_id,
        target_label=f"{made.key} · {a['name']}",
        after=_project_view(resource)
        | {
            "project_type": a.get("project_type", "software"),
            "template_key": a.get("template_key", ""),
        },
        message=f"Jira project {made.key} created{created.note}",
    )
    return Outcome(
        f"Jira project {made.key} created{created.note}",
        {"project_id": made.project_id, "key": made.key} | created.result,
    )


def _send_create(context: OperationContext) -> ProjectResult:
    a = context.arguments
    return context.connector.create_project(
        a["key"],
        a["name"],
        project_type=a.get("project_type", "software"),
        lead_account_id=a["lead_account_id"],
        template_key=a.get("template_key", ""),
        description=a.get("description", ""),
    )


def _project_of_job(context: OperationContext) -> ProjectResult | None:
    """The project an unanswered create made: its key, with the name and lead asked for."""
    a = context.arguments
    found = context.connector.find_project(a["key"])
    if found is None:
        return None
    lead = found.lead_account_id
    if (
        found.is_deleted
        or found.name != a["name"]
        or lead not in (None, a["lead_account_id"])
    ):
        raise Conflict(
            f"The Jira project key {a['key']} is held by {found.name!r}, which is not the "
            "project this job asked for: choose another key.",
            family="jira",
        )
    return found


def update_project(context: OperationContext) -> Outcome:
    a = context.arguments
    resource = Resource.objects.get(
        application=context.application,
        kind=ResourceKind.PROJECT,
        key=a["project"],
        removed_at__isnull=True,
    )
    before = _project_view(resource)
    names = {
        "name": "name",
        "new_key": "key",
        "description": "description",
        "lead_account_id": "lead_account_id",
    }
    changes = {names[k]: v for k, v in a.items() if k in names}
    updated = context.connector.update_project(resource.key, **changes)
    resource.key, resource.name = (
        updated.key or resource.key,
        updated.name or resource.name,
    )
    resource.description = changes.get("description", resource.description)
    resource.owner_id = a.get("lead", resource.owner_id)
    resource.save(update_fields=["key", "name", "description", "owner"])
    context.record(
        target_type="atlassian.project",
        target_id=resource.external_id,
        target_label=str(resource),
        before=before,
        after=_project_view(resource),
        message=f"Jira project {before['key']} updated: {', '.join(sorted(changes))}",
    )
    return Outcome(
        f"Jira project {resource.key} updated",
        {
            "project_id": resource.external_id,
            "key": resource.key,
            "changed": sorted(changes),
        },
    )


def delete_project(context: OperationContext) -> Outcome:
    key = context.arguments["project"]
    resource = Resource.objects.filter(
        application=context.application, kind=ResourceKind.PROJECT, key=key
    ).first()
    result = context.connector.delete_project(key)
    now = timezone.now()
    if resource is not None:
        Resource.objects.filter(pk=resource.pk).update(removed_at=now)
        Entitlement.objects.filter(resource=resource, removed_at__isnull=True).update(
            removed_at=now
        )
    context.record(
        target_type="atlassian.project",
        target_id=resource.external_id if resource else key,
        target_label=str(resource or key),
        before=_project_view(resource),
        after={
            "deleted": True,
            "recycle_bin": True,
            "already_done": result.already_done,
        },
        message=f"Jira project {key} moved to the recycle bin",
    )
    state = "was already deleted" if result.already_done else "moved to the recycle bin"
    return Outcome(
        f"Jira project {key} {state}", {"key": key, "already_done": result.already_done}
    )


# --- reads -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleView:
    """A project role and who holds it, with names from the catalog."""

    role_id: int
    name: str
    users: list[str]
    groups: list[str]


def project_roles(connector: AtlassianConnector, project: Resource) -> list[RoleView]:
    """The project's roles with their user and group actors, as Jira shows them now."""
    roles = connector.list_project_roles(project.key)
    account_ids = {a for r in roles for a in r.account_ids}
    group_ids = {g for r in roles for g in r.group_ids}
    people = dict(
        Account.objects.filter(
            application=project.application_id, account_id__in=account_ids
        ).values_list("account_id", "display_name")
    )
    groups = dict(
        Entitlement.objects.filter(
            application=project.application_id, kind="group", external_id__in=group_ids
        ).values_list("external_id", "name")
    )
    return [
        RoleView(
            r.role_id,
            r.name,
            sorted(people.get(a) or a for a in r.account_ids),
            sorted(groups.get(g) or g for g in r.group_ids),
        )
        for r in roles
    ]


register(
    Operation(
        "projects.create",
        "projects",
        "Create a Jira project",
        CreateProjectForm,
        create_project,
        lambda a: f"Create the Jira project {a.get('key')} ({a.get('name')})",
    )
)
register(
    Operation(
        "projects.update",
        "projects",
        "Update a Jira project",
        UpdateProjectForm,
        update_project,
        lambda a: f"Update the Jira project {a.get('project')}",
    )
)
register(
    Operation(
        "projects.delete",
        "projects",
        "Delete a Jira project",
        ProjectForm,
        delete_project,
        lambda a: f"Delete the Jira project {a.get('project')}",
        notes="The project goes to Jira's recycle bin (restorable there for 60 days).",
    )
)
