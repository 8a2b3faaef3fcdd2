"""Account changes asked by the connector resource API, queued as provisioning jobs.

They are the account operations of the admin site and /api/v1/ops/ (issue 9:
`accounts.create`, `accounts.update`, `accounts.disable`, `accounts.enable`,
`accounts.delete`): the same job rows, handlers, retries and audit events. Each
function writes its job(s) in one transaction, enqueued on commit; the worker does the
Atlassian calls. Nothing here talks to Atlassian.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.db import transaction

from accessportal.models import User
from approvals import audit
from approvals.operations import queue_operation
from approvals.operations_accounts import writable_mappings
from approvals.workflow import InvalidRequest
from connectors.models import Account

if TYPE_CHECKING:
    from approvals.models import OperationJob
    from connectors.models import Application

REASON = "Connector API"
# Account attribute (AccountRecord name) → its Atlassian name in the attribute mapping.
ATLASSIAN_NAMES = {
    "display_name": "displayName",
    "given_name": "givenName",
    "family_name": "familyName",
    "nickname": "nickName",
    "title": "title",
    "department": "department",
    "organization": "organization",
    "timezone": "timezone",
}


def request_account_creation(
    application: Application, *, email: str, profile: dict[str, str], by: User
) -> OperationJob:
    """Queue the creation of an Atlassian account; refuse an email already there.

    The account is created for the identity with this email, recorded first when the
    portal does not know the person yet. Raises InvalidRequest for a known email.
    """
    email = email.strip()
    existing = Account.objects.filter(
        application=application, email__iexact=email, removed_at__isnull=True
    ).first()
    if existing is not None:
        message = f"Account {existing.account_id} already has this email."
        raise InvalidRequest(message, {"email": [message]})
    with transaction.atomic():
        identity = User.objects.with_email(email).first() or _new_identity(
            email, profile, by
        )
        return queue_operation(
            "accounts.create",
            {"identity": identity.pk},
            application=application,
            by=by,
            identity=identity,
        )


def request_account_update(
    account: Account, *, changes: dict[str, str], active: bool | None, by: User
) -> list[OperationJob]:
    """Queue attribute changes, then a disable or enable when `active` is given.

    Only attributes the Application's attribute mapping lets flow portal → Atlassian
    may change; others raise InvalidRequest naming them.
    """
    writes = _writable_changes(account, changes)
    jobs: list[OperationJob] = []
    with transaction.atomic():
        if writes:
            jobs.append(_account_operation("accounts.update", account, by, writes))
        if active is not None:
            name = "accounts.enable" if active else "accounts.disable"
            jobs.append(_account_operation(name, account, by))
    return jobs


def request_account_deletion(account: Account, *, by: User) -> OperationJob:
    """Queue the removal of the account from the organization."""
    return _account_operation("accounts.delete", account, by)


def _writable_changes(account: Account, changes: dict[str, str]) -> dict[str, str]:
    allowed = set(writable_mappings(account.application).values())
    writes = {ATLASSIAN_NAMES[field]: value for field, value in changes.items()}
    refused = sorted(name for name in writes if name not in allowed)
    if refused:
        message = "The attribute mapping does not let this flow to Atlassian."
        raise InvalidRequest(message, {name: [message] for name in refused})
    return writes


def _account_operation(
    name: str, account: Account, by: User, changes: dict[str, str] | None = None
) -> OperationJob:
    arguments: dict[str, object] = {
        "identity": account.identity_id,
        "account_id": account.account_id,
    }
    if changes:
        arguments["changes"] = changes
    return queue_operation(
        name,
        arguments,
        application=account.application,
        by=by,
        identity=account.identity,
        account=account,
    )


def _new_identity(email: str, profile: dict[str, str], by: User) -> User:
    """The person the IGA system asks an account for, unknown to the portal so far.

    Accounts are created for identities (the SCIM draft comes from the identity's
    profile), so the person is recorded first; they cannot sign in with a password.
    """
    identity = User(
        username=_free_username(email.split("@")[0]),
        email=email,
        first_name=profile.get("given_name", "")[:150],
        last_name=profile.get("family_name", "")[:150],
        display_name=profile.get("display_name", ""),
        nickname=profile.get("nickname", "")[:100],
        job_title=profile.get("title", ""),
        department=profile.get("department", ""),
        organization_name=profile.get("organization", ""),
        timezone=profile.get("timezone", "")[:64],
    )
    identity.set_unusable_password()
    identity.save()
    audit.record(
        "identity.created",
        target=identity,
        actor=by,
        after={"email": email, "username": identity.username},
        message=f"{REASON}: identity recorded for a new account",
    )
    return identity


def _free_username(base: str) -> str:
    base = re.sub(r"[^\w.@+-]", "", base)[:140] or "person"
    candidate, number = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        number += 1
        candidate = f"{base}{number}"
    return candidate
