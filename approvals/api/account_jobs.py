"""Account changes asked by the connector resource API, queued as provisioning jobs.

Each function writes the job row and its audit event in one transaction (through the
same outbox as approvals) and enqueues it on commit; the worker does the Atlassian
calls. Nothing here talks to Atlassian.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.db import transaction

from accessportal.models import User
from approvals import audit
from approvals.models import JobKind, ProvisioningJob
from approvals.outbox import create_job
from approvals.workflow import InvalidRequest
from connectors.models import Account

if TYPE_CHECKING:
    from connectors.models import Application

REASON = "Connector API"


def request_account_creation(
    application: Application, *, email: str, profile: dict[str, str], by: User
) -> ProvisioningJob:
    """Queue the creation of an Atlassian account; refuse an email already there.

    Raises InvalidRequest when the catalog already has an account with this email.
    """
    email = email.strip()
    existing = Account.objects.filter(
        application=application, email__iexact=email, removed_at__isnull=True
    ).first()
    if existing is not None:
        raise InvalidRequest(
            "An account with this email exists.",
            field_errors={
                "email": [f"Account {existing.account_id} already has this email."]
            },
        )
    with transaction.atomic():
        identity = User.objects.with_email(email).first() or _new_identity(
            email, profile, by
        )
        return create_job(
            JobKind.CREATE_ACCOUNT,
            application=application,
            identity=identity,
            payload={"email": email, **profile},
            reason=f"{REASON}: create account {email}",
            created_by=by,
        )


def request_account_update(
    account: Account, *, changes: dict[str, str], active: bool | None, by: User
) -> list[ProvisioningJob]:
    """Queue attribute changes, then a disable or enable when `active` changes."""
    jobs: list[ProvisioningJob] = []
    with transaction.atomic():
        if changes:
            jobs.append(
                _account_job(JobKind.UPDATE_ACCOUNT, account, by, {"changes": changes})
            )
        if active is not None:
            kind = JobKind.ENABLE_ACCOUNT if active else JobKind.DISABLE_ACCOUNT
            jobs.append(_account_job(kind, account, by, {}))
    return jobs


def request_account_deletion(account: Account, *, by: User) -> ProvisioningJob:
    """Queue the removal of the account from the organization."""
    with transaction.atomic():
        return _account_job(JobKind.DELETE_ACCOUNT, account, by, {})


def _account_job(
    kind: JobKind, account: Account, by: User, payload: dict
) -> ProvisioningJob:
    return create_job(
        kind,
        application=account.application,
        identity=account.identity,
        account=account,
        payload={"account_id": account.account_id, **payload},
        reason=f"{REASON}: {JobKind(kind).label.lower()} {account.account_id}",
        created_by=by,
    )


def _new_identity(email: str, profile: dict[str, str], by: User) -> User:
    """The person the IGA system asks an account for, unknown to the portal so far.

    Provisioning creates accounts for identities (the draft comes from the identity's
    profile), so the person is recorded first; they cannot sign in with a password.
    """
    username = _free_username(email.split("@")[0] or "person")
    identity = User(
        username=username,
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
        after={"email": email, "username": username},
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
