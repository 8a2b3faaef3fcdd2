"""Confluence content restrictions: who may read or update a page or blog post."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError

from approvals.operations import (
    Operation,
    OperationForm,
    Outcome,
    account_of,
    register,
)
from approvals.operations_confluence import AREA, record_content
from approvals.operations_fields import GroupField, IdentityField, content_id_field

if TYPE_CHECKING:
    from approvals.operations import OperationContext
    from connectors.atlassian.connector import AtlassianConnector


class RestrictionForm(OperationForm):
    content_id = content_id_field("Page or blog post")
    operation = forms.ChoiceField(choices=[("read", "Read"), ("update", "Update")])
    identity = IdentityField(
        required=False, help_text="A person (identity id, username or email) ..."
    )
    group = GroupField(
        required=False, help_text="... or a group (name, groupId or catalog id)."
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        identity, group = cleaned.get("identity"), cleaned.get("group")
        if bool(identity) == bool(group):
            if not self.has_error("identity") and not self.has_error("group"):
                raise ValidationError("Give either a person or a group.")
            return cleaned
        if identity is not None:
            account = account_of(identity, self.application)
            if account is None:
                raise ValidationError(
                    {
                        "identity": f"{identity.label} has no Atlassian account in {self.application}."
                    }
                )
            cleaned["account_id"] = account.account_id
        else:
            cleaned["group_id"] = group.external_id
        cleaned["holder"] = identity.label if identity else group.name
        return cleaned


def _restriction(*, add: bool) -> Any:
    def run(context: OperationContext) -> Outcome:
        a = context.arguments
        call = (
            context.connector.add_restriction
            if add
            else context.connector.delete_restriction
        )
        before = restrictions_of(context.connector, a["content_id"])
        result = call(
            a["content_id"],
            a["operation"],
            account_id=a.get("account_id"),
            group_id=a.get("group_id"),
        )
        after = restrictions_of(context.connector, a["content_id"])
        verb = "restricted to" if add else "no longer restricted to"
        message = (
            f"{a['operation'].title()} of {a['content_id']} {verb} {a.get('holder')}"
        )
        record_content(
            context,
            "restriction",
            a["content_id"],
            f"{a['operation']} of {a['content_id']}",
            before,
            after,
            message,
        )
        return Outcome(
            message + (" (already so)" if result.already_done else ""),
            {"already_done": result.already_done, "restrictions": after},
        )

    return run


def restrictions_of(connector: AtlassianConnector, content_id: str) -> dict[str, Any]:
    """read/update → the accountIds and groupIds restricted to it."""
    return {
        v.operation: {"users": sorted(v.account_ids), "groups": sorted(v.group_ids)}
        for v in connector.get_restrictions(content_id)
    }


register(
    Operation(
        "restrictions.add",
        AREA,
        "Add a restriction",
        RestrictionForm,
        _restriction(add=True),
        lambda a: (
            f"Restrict {a.get('operation')} of {a.get('content_id')} to {a.get('holder')}"
        ),
    )
)
register(
    Operation(
        "restrictions.delete",
        AREA,
        "Remove a restriction",
        RestrictionForm,
        _restriction(add=False),
        lambda a: (
            f"Lift the {a.get('operation')} restriction of {a.get('content_id')} for {a.get('holder')}"
        ),
    )
)
