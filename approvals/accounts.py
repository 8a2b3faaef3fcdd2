"""The portal's side of Atlassian accounts during provisioning.

Finding or creating the account a job acts on, linking it to the identity, and
recording in the catalog what the job changed (Assignment rows of origin
"provisioned"), so the catalog agrees with Atlassian before the next reconciliation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from approvals import audit
from approvals.models import ProvisioningJob
from approvals.transitions import account_of
from connectors.base import AccountDraft, Conflict, Invalid, PermanentError
from connectors.models import Account, Assignment, AssignmentOrigin, Entitlement

if TYPE_CHECKING:
    from collections.abc import Iterable

    from accessportal.models import User
    from connectors.base import Connector, EntitlementRef
    from connectors.records import AccountRecord

CREATE_SENT = "account_create_sent"  # on job.result while a SCIM create is unanswered


def known_account(job: ProvisioningJob) -> Account | None:
    """The account the job acts on, as far as the portal knows it (no network)."""
    if job.account_id:
        return job.account
    if job.grant_id and job.grant.account_id:
        return job.grant.account
    identity = job.identity or (job.grant.beneficiary if job.grant_id else None)
    if identity is None:
        return None
    return account_of(identity, job.application_id)


def ensure_account(job: ProvisioningJob, connector: Connector) -> Account:
    """The beneficiary's account: known, found by email, else created through SCIM.

    A created account joins the Application's default product groups (the connector
    does that). The Account row is linked to the identity and to the job. Safe to
    repeat after an attempt whose SCIM create went unanswered: the job notes the create
    before sending it, and the next attempt sends it again, which Atlassian answers
    409 for the user it made; the connector then links that user and joins the
    default groups (each join idempotent). An account already linked to another
    identity is a Conflict, never silently re-linked.
    """
    account = known_account(job)
    if account is not None:
        _attach(job, account)
        return account
    identity = job.identity or (job.grant.beneficiary if job.grant_id else None)
    if identity is None:
        raise Invalid("The job names nobody to create an account for.")
    if not identity.email:
        raise Invalid(
            f"{identity.label} has no email address: no account can be created."
        )
    record, created = _find_or_create(job, connector, identity)
    account = _link(job, identity, record)
    audit.record(
        "account.created" if created else "account.linked",
        target=account,
        request=job.grant.request if job.grant_id else None,
        after={"account_id": account.account_id, "email": account.email},
        message=(
            f"Atlassian account created for {identity.label}"
            if created
            else f"Existing Atlassian account linked to {identity.label}"
        ),
    )
    _attach(job, account)
    return account


def _find_or_create(
    job: ProvisioningJob, connector: Connector, identity: User
) -> tuple[AccountRecord, bool]:
    """The account with the identity's email, else a new one; True when created."""
    record = connector.find_account_by_email(identity.email)
    unanswered = bool((job.result or {}).get(CREATE_SENT))
    if record is not None and not unanswered:
        return record, False
    _note_create(job, sent=True)
    try:
        result = connector.create_account(_draft(identity))
    except PermanentError:
        _note_create(job, sent=False)  # refused: nothing was made
        raise
    return result.account, result.created or unanswered


def _note_create(job: ProvisioningJob, *, sent: bool) -> None:
    """Keep on the job whether a SCIM create is out without an answer yet."""
    job.result = {**(job.result or {}), CREATE_SENT: sent}
    ProvisioningJob.objects.filter(pk=job.pk).update(result=job.result)


def _draft(identity: User) -> AccountDraft:
    return AccountDraft(
        email=identity.email,
        given_name=identity.first_name,
        family_name=identity.last_name,
        display_name=identity.label,
        title=identity.job_title,
        department=identity.department,
        organization=identity.organization_name,
        timezone=identity.timezone,
        nickname=identity.nickname,
    )


def _link(job: ProvisioningJob, identity: User, record: AccountRecord) -> Account:
    account, _ = Account.objects.get_or_create(
        application=job.application,
        account_id=record.account_id,
        defaults={"email": record.email or identity.email},
    )
    if account.identity_id not in (None, identity.pk):
        raise Conflict(
            f"The Atlassian account {record.email or record.account_id} is linked to "
            f"{account.identity.label} in the portal, not to {identity.label}."
        )
    account.identity = identity
    account.scim_id = record.scim_id or account.scim_id
    account.email = record.email or account.email or identity.email
    account.display_name = record.display_name or account.display_name
    account.status = record.status
    account.removed_at = None
    account.last_seen = timezone.now()
    account.save()
    return account


def _attach(job: ProvisioningJob, account: Account) -> None:
    if job.account_id != account.pk:
        ProvisioningJob.objects.filter(pk=job.pk).update(account=account)
        job.account = account


def set_status(account: Account, status: str, job: ProvisioningJob) -> None:
    """Record the account's new status, audited against the job."""
    before = account.status
    Account.objects.filter(pk=account.pk).update(status=status)
    account.status = status
    audit.record(
        f"account.{status}",
        target=account,
        before={"status": before},
        after={"status": status},
        message=job.reason,
    )


def record_assignments(
    account: Account,
    entitlement: Entitlement,
    side_effects: Iterable[EntitlementRef],
    *,
    held: bool,
) -> list[int]:
    """Write what a grant or revoke changed into the catalog; ids of side effects."""
    others = [
        found.pk
        for ref in side_effects
        if (
            found := Entitlement.objects.filter(
                application=account.application_id,
                kind=ref.kind,
                external_id=ref.external_id,
            ).first()
        )
    ]
    for entitlement_id in [entitlement.pk, *others]:
        _record_one(account, entitlement_id, held=held)
    return others


def _record_one(account: Account, entitlement_id: int, *, held: bool) -> None:
    now = timezone.now()
    current = Assignment.objects.filter(
        account=account,
        entitlement_id=entitlement_id,
        ended_at__isnull=True,
    )
    if not held:
        current.update(ended_at=now)
        return
    if current.update(origin=AssignmentOrigin.PROVISIONED, last_seen=now):
        return
    try:
        with transaction.atomic():
            Assignment.objects.create(
                application_id=account.application_id,
                entitlement_id=entitlement_id,
                account=account,
                origin=AssignmentOrigin.PROVISIONED,
            )
    except IntegrityError:  # reconciliation recorded it meanwhile
        current.update(origin=AssignmentOrigin.PROVISIONED, last_seen=now)
