"""Account lifecycle operations for an identity: create, update, disable, enable, delete.

Creating goes through the same `approvals.accounts.ensure_account` as provisioning
(found by email and linked, else created through SCIM with the default product
groups). Updating pushes the identity's profile through the Application's attribute
mapping, and only the attributes whose direction lets the portal write to Atlassian.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError

from accessportal.models import User
from approvals import accounts
from approvals.operations import (
    Operation,
    OperationContext,
    OperationForm,
    Outcome,
    account_of,
    register,
)
from approvals.operations_fields import IdentityField
from connectors.base import AccountStatus, Invalid
from connectors.models import Account, AttributeMapping, SyncDirection
from connectors.reconcile_identities import IDENTITY_FIELDS, RECORD_FIELDS

if TYPE_CHECKING:
    from connectors.base import ChangeResult
    from connectors.records import AccountRecord

# Atlassian attributes the connector can write (id and manager are read-only there).
WRITABLE = frozenset(RECORD_FIELDS)
TO_ATLASSIAN = (SyncDirection.BOTH, SyncDirection.TO_ATLASSIAN)


class IdentityForm(OperationForm):
    """An identity that already has an Atlassian account in the Application."""

    identity = IdentityField()

    def clean_identity(self) -> User:
        identity = self.cleaned_data["identity"]
        self.account = account_of(identity, self.application)
        if self.account is None:
            raise ValidationError(
                f"{identity.label} has no Atlassian account in {self.application} "
                "that the portal knows of (create it, or reconcile first)."
            )
        return identity

    def links(self) -> dict[str, Any]:
        return {"identity": self.cleaned_data["identity"], "account": self.account}

    def arguments(self) -> dict[str, Any]:
        return {
            "identity": self.cleaned_data["identity"].pk,
            "account_id": self.account.account_id,
        }


class CreateAccountForm(OperationForm):
    """An active identity with an email address."""

    identity = IdentityField()

    def clean_identity(self) -> User:
        identity = self.cleaned_data["identity"]
        if not identity.is_active:
            raise ValidationError(
                f"{identity.label} is deactivated: no account is created for a leaver."
            )
        if not identity.email:
            raise ValidationError(
                f"{identity.label} has no email address, which Atlassian needs."
            )
        return identity

    def links(self) -> dict[str, Any]:
        return {"identity": self.cleaned_data["identity"]}


class UpdateAccountForm(IdentityForm):
    """Which mapped attributes to push from the identity's profile."""

    attributes = forms.MultipleChoiceField(
        required=False,
        choices=[(name, name) for name in IDENTITY_FIELDS],
        widget=forms.CheckboxSelectMultiple,
        help_text="Portal attributes to write to Atlassian; none chosen means all that the mapping allows.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.mappings = writable_mappings(self.application)
        allowed = ", ".join(self.mappings) or "none"
        field = self.fields["attributes"]
        field.choices = [(name, name) for name in self.mappings]
        field.error_messages["invalid_choice"] = (
            f"%(value)s does not flow portal → Atlassian in the attribute mapping (allowed: {allowed})."
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        identity = cleaned.get("identity")
        if identity is None or "attributes" not in cleaned:
            return cleaned
        chosen = cleaned["attributes"] or list(self.mappings)
        changes = {
            self.mappings[name]: value
            for name in chosen
            if (value := getattr(identity, IDENTITY_FIELDS[name], "") or "")
        }
        if not changes:
            raise ValidationError(
                "Nothing to write: the mapping lets no attribute flow portal → Atlassian, "
                f"or {identity.label}'s chosen attributes are empty."
            )
        cleaned["changes"] = changes
        return cleaned

    def arguments(self) -> dict[str, Any]:
        return {**super().arguments(), "changes": self.cleaned_data["changes"]}


def writable_mappings(application: Any) -> dict[str, str]:
    """Portal attribute → Atlassian attribute, for mappings flowing portal → Atlassian."""
    rows = AttributeMapping.objects.filter(
        application=application, direction__in=TO_ATLASSIAN, is_read_only=False
    )
    return {
        row.portal_attribute: row.atlassian_attribute
        for row in rows
        if row.atlassian_attribute in WRITABLE
        and row.portal_attribute in IDENTITY_FIELDS
    }


# --- handlers --------------------------------------------------------------------------


def create_account(context: OperationContext) -> Outcome:
    identity = context.job.identity
    known = account_of(identity, context.application) if identity else None
    account = accounts.ensure_account(context.job, context.connector)
    state = "already had" if known is not None else "now has"
    context.record(
        target_type="connectors.Account",
        target_id=account.pk,
        target_label=str(account),
        before={"account_id": known.account_id} if known else {},
        after={"account_id": account.account_id, "status": account.status},
        message=f"{identity} {state} Atlassian account {account.account_id}",
    )
    return Outcome(
        f"{identity} {state} Atlassian account {account}",
        {"account_id": account.account_id, "already_done": known is not None},
    )


def update_account(context: OperationContext) -> Outcome:
    account = _account(context)
    changes: dict[str, str] = context.arguments["changes"]
    current = context.connector.get_account(account.account_id)
    if current is None:
        raise Invalid(f"Atlassian has no account {account.account_id}.")
    before = _attributes(current, changes)
    if before == changes:
        updated, already = current, True
    else:
        updated, already = (
            context.connector.update_account(account.account_id, changes),
            False,
        )
    _copy_record(account, updated)
    context.record(
        target_type="connectors.Account",
        target_id=account.pk,
        target_label=str(account),
        before=before,
        after=_attributes(updated, changes),
        message=f"Attributes written to Atlassian: {', '.join(sorted(changes))}",
    )
    verb = "already had" if already else "updated with"
    return Outcome(
        f"{account} {verb} {', '.join(sorted(changes))}",
        {"already_done": already, "changes": changes},
    )


def _attributes(record: AccountRecord, changes: dict[str, str]) -> dict[str, str]:
    return {name: getattr(record, RECORD_FIELDS[name]) or "" for name in changes}


def _copy_record(account: Account, record: AccountRecord) -> None:
    values = {
        name: getattr(record, name) or ""
        for name in RECORD_FIELDS.values()
        if hasattr(account, name) and getattr(record, name, None) is not None
    }
    Account.objects.filter(pk=account.pk).update(**values)


def _status_change(verb: str, status: AccountStatus, call: str) -> Any:
    def run(context: OperationContext) -> Outcome:
        account = _account(context)
        result: ChangeResult = getattr(context.connector, call)(account.account_id)
        before = account.status
        Account.objects.filter(pk=account.pk).update(status=status)
        context.record(
            target_type="connectors.Account",
            target_id=account.pk,
            target_label=str(account),
            before={"status": before},
            after={"status": str(status), "already_done": result.already_done},
            message=f"Account {account.account_id} {verb}",
        )
        state = f"was already {verb}" if result.already_done else verb
        return Outcome(
            f"Account {account} {state}",
            {"already_done": result.already_done, "account_id": account.account_id},
        )

    return run


def _account(context: OperationContext) -> Account:
    account = (
        context.job.account
        or Account.objects.filter(
            application=context.application,
            account_id=context.arguments.get("account_id", ""),
        ).first()
    )
    if account is None:
        raise Invalid("The operation names no Atlassian account the portal knows.")
    return account


def _who(arguments: dict[str, Any]) -> str:
    identity = User.objects.filter(pk=arguments.get("identity")).first()
    return identity.label if identity else f"identity #{arguments.get('identity')}"


register(
    Operation(
        "accounts.create",
        "accounts",
        "Create the Atlassian account",
        CreateAccountForm,
        create_account,
        lambda a: f"Create the Atlassian account of {_who(a)}",
        notes="Links the existing account with the same email, else creates it through SCIM; "
        "a new account joins the Application's default product groups.",
    )
)
register(
    Operation(
        "accounts.update",
        "accounts",
        "Update the account from the identity",
        UpdateAccountForm,
        update_account,
        lambda a: (
            f"Write {', '.join(sorted(a.get('changes', {})))} of {_who(a)} to Atlassian"
        ),
        notes="Writes the identity's values of the chosen attributes, limited to those the attribute "
        "mapping lets flow portal → Atlassian. Empty values are not written.",
    )
)
register(
    Operation(
        "accounts.disable",
        "accounts",
        "Disable the account",
        IdentityForm,
        _status_change("disabled", AccountStatus.SUSPENDED, "disable_account"),
        lambda a: f"Disable the Atlassian account of {_who(a)}",
        notes="Suspends access (SCIM active=false, or the Organizations API); reversible.",
    )
)
register(
    Operation(
        "accounts.enable",
        "accounts",
        "Enable the account",
        IdentityForm,
        _status_change("enabled", AccountStatus.ACTIVE, "enable_account"),
        lambda a: f"Enable the Atlassian account of {_who(a)}",
    )
)
register(
    Operation(
        "accounts.delete",
        "accounts",
        "Delete the account",
        IdentityForm,
        _status_change("deleted", AccountStatus.CLOSED, "delete_account"),
        lambda a: f"Delete the Atlassian account of {_who(a)}",
        notes="Removes the account from the organization's directory (SCIM users are deleted "
        "through SCIM). Not reversible from the portal.",
    )
)
