"""Group operations: create, rename (with a new description), delete.

Atlassian has no API that renames a group or edits its description, so a rename
follows Atlassian's documented workaround: create the group under the new name (with
the old or a new description), copy the members, delete the old group. The portal then
moves its own open grants, requests and policy to the new group. Groups an identity
provider manages are refused: they change only through SCIM, in the IdP.

Creating a group runs once per job (`operations_idempotency.create_once`): after an
attempt whose answer was lost, the next one finds the group by its name and adopts it.
A name already taken when the job first asks fails the job: the group is someone else's.
The members view (a read, not a job) is in `group_members.py`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from approvals import audit
from approvals.models import (
    OPEN_REQUEST_STATES,
    AccessRequest,
    Grant,
    GrantState,
    Policy,
)
from approvals.operations import Operation, OperationForm, Outcome, register
from approvals.operations_fields import GroupField
from approvals.operations_idempotency import Created, create_once
from connectors.atlassian.administration import GroupResult
from connectors.base import Conflict, EntitlementKind, EntitlementRef
from connectors.models import Assignment, Entitlement

if TYPE_CHECKING:
    from approvals.operations import OperationContext
    from connectors.models import Application


def _name_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=255,
        help_text="As people will see it, e.g. release-managers.",
    )


def _description_field() -> forms.CharField:
    return forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="Needs the Organizations API (org id and key) on the Application.",
    )


class GroupFormMixin:
    """Checks shared by the group forms."""

    application: Application

    def check_description(self, description: str) -> str:
        if description and not (
            self.application.org_id and self.application.org_api_key
        ):
            raise ValidationError(
                "A group description needs the Organizations API (org id and key)."
            )
        return description

    def is_name_taken(self, name: str) -> bool:
        return (
            Entitlement.objects.present()
            .filter(
                application=self.application,
                kind=EntitlementKind.GROUP,
                name__iexact=name,
            )
            .exists()
        )

    def check_unmanaged(self, group: Entitlement) -> Entitlement:
        if group.is_managed_externally:
            raise ValidationError(
                f"The group {group.name} is managed by your identity provider: change it there "
                "(Atlassian keeps IdP-synced groups read-only)."
            )
        return group


class CreateGroupForm(GroupFormMixin, OperationForm):
    name = _name_field("Name")
    description = _description_field()

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        if self.is_name_taken(name):
            raise ValidationError(f"A group named {name} already exists.")
        return name

    def clean_description(self) -> str:
        return self.check_description(self.cleaned_data["description"])


class RenameGroupForm(GroupFormMixin, OperationForm):
    group = GroupField()
    new_name = _name_field("New name")
    description = _description_field()

    def clean_group(self) -> Entitlement:
        group = self.check_unmanaged(self.cleaned_data["group"])
        held = (
            Assignment.objects.current()
            .filter(holder_group=group)
            .select_related("entitlement")
        )
        if held.exists():
            names = ", ".join(str(a.entitlement) for a in held[:3])
            raise ValidationError(
                f"The group {group.name} itself holds {held.count()} project roles or space "
                f"permissions (e.g. {names}); Atlassian cannot carry these over to a new group, "
                "so rename it in admin.atlassian.com."
            )
        return group

    def clean_description(self) -> str:
        return self.check_description(self.cleaned_data["description"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        group, new_name = cleaned.get("group"), cleaned.get("new_name")
        if group is None or not new_name:
            return cleaned
        if new_name.casefold() == group.name.casefold():
            self.add_error("new_name", "The new name is the group's current name.")
        elif self.is_name_taken(new_name):
            self.add_error("new_name", f"A group named {new_name} already exists.")
        return cleaned

    def links(self) -> dict[str, Any]:
        return {"entitlement": self.cleaned_data["group"]}


class DeleteGroupForm(GroupFormMixin, OperationForm):
    group = GroupField()

    def clean_group(self) -> Entitlement:
        return self.check_unmanaged(self.cleaned_data["group"])

    def links(self) -> dict[str, Any]:
        return {"entitlement": self.cleaned_data["group"]}


# --- handlers --------------------------------------------------------------------------


def create_group(context: OperationContext) -> Outcome:
    name, description = (
        context.arguments["name"],
        context.arguments.get("description", ""),
    )
    created = make_group(context, "group", name, description)
    made = created.made
    group = upsert_group(context.application, made.group_id, made.name, description)
    message = f"Group {made.name} created{created.note}"
    context.record(
        target_type="atlassian.group",
        target_id=made.group_id,
        target_label=made.name,
        after={
            "group_id": made.group_id,
            "name": made.name,
            "description": description,
        },
        message=message,
    )
    return Outcome(
        message,
        {"group_id": made.group_id, "entitlement": group.pk} | created.result,
    )


def make_group(
    context: OperationContext, step: str, name: str, description: str
) -> Created[GroupResult]:
    """Create the group once per job; a name already taken is a Conflict."""

    def create() -> GroupResult:
        made = context.connector.create_group(name, description)
        if not made.created:  # the connector found an existing group of that name
            raise Conflict(
                f"A group named {made.name} already exists in Atlassian "
                f"(group id {made.group_id}): choose another name.",
                family="jira",
            )
        return made

    return create_once(
        context,
        step,
        GroupResult,
        create,
        find=lambda: context.connector.find_group(name),
    )


def rename_group(context: OperationContext) -> Outcome:
    old = Entitlement.objects.get(pk=context.arguments["group"])
    new_name = context.arguments["new_name"]
    description = context.arguments.get("description") or old.description
    new_id = make_group(context, "new_group", new_name, description).made.group_id
    members = list(context.connector.iter_group_member_ids(old.external_id))
    ref = EntitlementRef(EntitlementKind.GROUP, new_id)
    for account_id in members:
        context.connector.grant(account_id, ref)
    context.connector.delete_group(old.external_id)
    new = _move_catalog(context, old, new_id, new_name, description)
    context.record(
        target_type="atlassian.group",
        target_id=new_id,
        target_label=new_name,
        before={
            "group_id": old.external_id,
            "name": old.name,
            "description": old.description,
        },
        after={
            "group_id": new_id,
            "name": new_name,
            "description": description,
            "members_copied": len(members),
        },
        message=f"Group {old.name} renamed to {new_name} (new group, {len(members)} members copied, old group deleted)",
    )
    return Outcome(
        f"Group {old.name} is now {new_name} ({len(members)} members copied)",
        {"group_id": new_id, "entitlement": new.pk, "members_copied": len(members)},
    )


def delete_group(context: OperationContext) -> Outcome:
    group = Entitlement.objects.get(pk=context.arguments["group"])
    result = context.connector.delete_group(group.external_id)
    Entitlement.objects.filter(pk=group.pk).update(removed_at=timezone.now())
    members = (
        Assignment.objects.current()
        .filter(entitlement=group, account__isnull=False)
        .count()
    )
    context.record(
        target_type="atlassian.group",
        target_id=group.external_id,
        target_label=group.name,
        before={
            "group_id": group.external_id,
            "name": group.name,
            "description": group.description,
            "members": members,
        },
        after={"deleted": True, "already_done": result.already_done},
        message=f"Group {group.name} deleted",
    )
    state = "was already gone" if result.already_done else "deleted"
    return Outcome(
        f"Group {group.name} {state}",
        {"group_id": group.external_id, "already_done": result.already_done},
    )


def upsert_group(
    application: Application, group_id: str, name: str, description: str = ""
) -> Entitlement:
    """The catalog row of a group the portal made, so it is requestable at once."""
    group, created = Entitlement.objects.get_or_create(
        application=application,
        kind=EntitlementKind.GROUP,
        external_id=group_id,
        defaults={"name": name, "display_name": name, "description": description},
    )
    if not created and (group.removed_at or group.name != name):
        group.name, group.display_name, group.removed_at = name, name, None
        group.save(update_fields=["name", "display_name", "removed_at"])
    return group


def _move_catalog(
    context: OperationContext,
    old: Entitlement,
    new_id: str,
    new_name: str,
    description: str,
) -> Entitlement:
    """The portal's rows follow the rename: open grants, requests and the policy move."""
    with transaction.atomic():
        new = upsert_group(context.application, new_id, new_name, description)
        Entitlement.objects.filter(pk=new.pk).update(
            owner=old.owner, is_requestable=old.is_requestable
        )
        grants = list(
            Grant.objects.filter(entitlement=old)
            .exclude(state__in=[GrantState.REVOKED, GrantState.EXPIRED])
            .values_list("pk", flat=True)
        )
        Grant.objects.filter(pk__in=grants).update(entitlement=new)
        AccessRequest.objects.filter(
            entitlement=old, state__in=OPEN_REQUEST_STATES
        ).update(entitlement=new)
        Policy.objects.filter(entitlement=old).update(entitlement=new)
        Entitlement.objects.filter(pk=old.pk).update(removed_at=timezone.now())
        audit.record(
            "entitlement.renamed",
            target=new,
            actor=context.job.created_by,
            before={"entitlement": old.pk, "name": old.name},
            after={"entitlement": new.pk, "name": new_name, "grants_moved": grants},
            message=f"Open grants, requests and the policy of {old.name} moved to {new_name}",
        )
    return new


def _group_name(arguments: dict[str, Any]) -> str:
    group = Entitlement.objects.filter(pk=arguments.get("group")).first()
    return group.name if group else f"group #{arguments.get('group')}"


register(
    Operation(
        "groups.create",
        "groups",
        "Create a group",
        CreateGroupForm,
        create_group,
        lambda a: f"Create the group {a.get('name')}",
        notes="A name already taken in Atlassian fails the operation; a retry after a lost "
        "answer finds the group it made instead of making another.",
    )
)
register(
    Operation(
        "groups.rename",
        "groups",
        "Rename a group / change its description",
        RenameGroupForm,
        rename_group,
        lambda a: f"Rename the group {_group_name(a)} to {a.get('new_name')}",
        notes="Atlassian has no rename API: the portal creates the group under the new name (with "
        "the old description unless you give one), copies the members, deletes the old group and "
        "moves its open grants, requests and policy. Refused for IdP-managed groups and for groups "
        "that themselves hold project roles or space permissions.",
    )
)
register(
    Operation(
        "groups.delete",
        "groups",
        "Delete a group",
        DeleteGroupForm,
        delete_group,
        lambda a: f"Delete the group {_group_name(a)}",
        notes="Refused for groups an identity provider manages. Deleting a deleted group succeeds.",
    )
)
