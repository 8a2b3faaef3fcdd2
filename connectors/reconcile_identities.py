"""Accounts → portal identities: match by the recon key, update, create, link managers.

Every account whose recon key (email by default, case-insensitive) matches an identity
is linked to it. When the Application is the trusted source for identities, the
identity also takes the account's attributes as the AttributeMapping rows say (those
flowing Atlassian → portal), follows the account's status, and an account with no
matching identity creates one (active, managed `atlassian` accounts only). Managers
come from the SCIM enterprise `manager` of the account, once all accounts are in.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models.functions import Lower
from django.utils.timezone import now

from accessportal.models import IdentitySource, User
from connectors.base import AccountStatus
from connectors.models import Account, AttributeMapping
from connectors.reconcile_rows import UNCHANGED
from connectors.reconcile_sql import RowInserter, update_by_pk
from connectors.reconcile_stream import batched
from connectors.signals import identities_changed, identity_deactivated

if TYPE_CHECKING:
    from connectors.models import Application
    from connectors.reconcile_catalog import CatalogIndex
    from connectors.reconcile_progress import RunTracker
    from connectors.records import AccountRecord

# Mapping names → AccountRecord fields and User fields.
RECORD_FIELDS = {
    "department": "department",
    "displayName": "display_name",
    "email": "email",
    "familyName": "family_name",
    "givenName": "given_name",
    "title": "title",
    "nickName": "nickname",
    "organization": "organization",
    "timezone": "timezone",
    "userName": "user_name",
}
IDENTITY_FIELDS = {
    "department": "department",
    "displayName": "display_name",
    "email": "email",
    "lastName": "last_name",
    "firstName": "first_name",
    "jobTitle": "job_title",
    "nickName": "nickname",
    "organizationName": "organization_name",
    "timezone": "timezone",
    "login": "username",
}
KEY_LOOKUPS = {"email": "email", "username": "username"}


@dataclass(frozen=True)
class IdentityRules:
    """What the attribute mapping of an Application says reconciliation does."""

    is_trusted_source: bool
    key: tuple[str, str] | None  # (AccountRecord field, User field) of the recon key
    copies: tuple[tuple[str, str], ...]  # (AccountRecord field, User field) to copy
    sets_manager: bool

    @classmethod
    def for_application(cls, application: Application) -> IdentityRules:
        """Read the Application's AttributeMapping rows."""
        key = None
        copies: list[tuple[str, str]] = []
        sets_manager = False
        for mapping in AttributeMapping.objects.filter(application=application):
            source = RECORD_FIELDS.get(mapping.atlassian_attribute)
            target = IDENTITY_FIELDS.get(mapping.portal_attribute)
            if mapping.is_recon_key and source and target in KEY_LOOKUPS:
                key = (source, target)
            if mapping.direction not in ("both", "to_portal"):
                continue
            if mapping.atlassian_attribute == "manager":
                sets_manager = True
            elif source and target and target != "username":  # logins never rename
                copies.append((source, target))
        return cls(application.is_trusted_source, key, tuple(copies), sets_manager)

    def key_of(self, record: AccountRecord) -> str:
        """The record's recon key value, lower-cased ('' when it has none)."""
        if self.key is None:
            return ""
        return (getattr(record, self.key[0]) or "").strip().lower()


class IdentitySync:
    """Links, updates and creates identities for batches of reconciled accounts."""

    def __init__(
        self,
        application: Application,
        index: CatalogIndex,
        tracker: RunTracker,
        *,
        full: bool,
    ) -> None:
        self.application = application
        self.index = index
        self.tracker = tracker
        self.full = full
        self.rules = IdentityRules.for_application(application)
        if self.rules.key is None:
            tracker.warn(
                "No usable reconciliation key in the attribute mapping: accounts are not matched to identities."
            )

    def sync(
        self, records: list[AccountRecord], outcomes: dict[str, tuple[int, str]]
    ) -> None:
        """Match one batch of accounts (all of them in a full run, changes otherwise)."""
        chosen: dict[str, AccountRecord] = {}
        for record in records:
            key = self.rules.key_of(record)
            if not key or record.account_id not in outcomes:
                continue
            linked = self.index.accounts[record.account_id][1]
            if not self.full and outcomes[record.account_id][1] == UNCHANGED and linked:
                continue
            previous = chosen.get(key)
            if previous is None or (
                previous.status != AccountStatus.ACTIVE
                and record.status == AccountStatus.ACTIVE
            ):
                chosen[key] = record
        if not chosen:
            return
        users = self._load(chosen)
        identity_ids = {key: user.pk for key, user in users.items()}
        if self.rules.is_trusted_source:
            matched = {key: record for key, record in chosen.items() if key in users}
            self._update(matched, users)
            identity_ids.update(self._create(chosen, users))
        self._link(chosen, identity_ids)

    def _load(self, chosen: dict[str, AccountRecord]) -> dict[str, User]:
        assert self.rules.key is not None  # noqa: S101 - sync() returns early without a key
        field = self.rules.key[1]
        # "<> ''" lets the database use the unique index on lower(email), which is
        # partial (blank emails are not indexed).
        found = (
            User.objects.annotate(recon_key=Lower(field))
            .filter(recon_key__in=list(chosen))
            .exclude(**{field: ""})
        )
        return {getattr(user, "recon_key"): user for user in found}  # noqa: B009 - annotation

    def _load_ids(self, chosen: dict[str, AccountRecord]) -> dict[str, int]:
        """Recon key → identity id, for identities only to be linked (no instances)."""
        assert self.rules.key is not None  # noqa: S101 - sync() returns early without a key
        field = self.rules.key[1]
        found = (
            User.objects.annotate(recon_key=Lower(field))
            .filter(recon_key__in=list(chosen))
            .exclude(**{field: ""})
            .values_list("recon_key", "pk")
        )
        return dict(found)

    def _create(
        self, chosen: dict[str, AccountRecord], users: dict[str, User]
    ) -> dict[str, int]:
        """Identities for the unmatched accounts that qualify; recon key → new id."""
        new = {
            key: record
            for key, record in chosen.items()
            if key not in users
            and record.is_managed
            and record.account_type == "atlassian"
            and record.status == AccountStatus.ACTIVE
            and record.email
        }
        if not new:
            return {}
        usernames = self._free_usernames(new)
        copies = [
            (s, t) for s, t in self.rules.copies if t not in ("email", "username")
        ]
        rows = [
            (
                usernames[key],
                record.email or "",
                IdentitySource.ATLASSIAN.value,
                UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30),
                *(_clip(t, getattr(record, s) or "") for s, t in copies),
            )
            for key, record in new.items()
        ]
        columns = ("username", "email", "source", "password", *(t for _, t in copies))
        # ON CONFLICT DO NOTHING: a sign-up racing us with the same email wins. Every
        # column is text, already clipped: the values go to the database as they are.
        RowInserter(User, columns, fill_defaults=True).insert(rows, prepared=True)
        created = self._load_ids(new)
        self.tracker.count("identities", "created", len(created))
        identities_changed.send(
            sender=Account,
            application=self.application,
            created=list(created.values()),
            changed={},
        )
        return created

    def _free_usernames(self, new: dict[str, AccountRecord]) -> dict[str, str]:
        wanted = {
            key: _clip("username", (r.user_name or r.email or key).strip())
            for key, r in new.items()
        }
        taken = set(
            User.objects.filter(username__in=set(wanted.values())).values_list(
                "username", flat=True
            )
        )
        result: dict[str, str] = {}
        for key, name in wanted.items():
            candidate, number = name, 1
            while candidate in taken:
                number += 1
                candidate = f"{name[:140]}-{number}"
            taken.add(candidate)
            result[key] = candidate
        return result

    def _update(
        self, matched: dict[str, AccountRecord], users: dict[str, User]
    ) -> None:
        changed: list[User] = []
        previous: dict[int, dict[str, object]] = {}
        fields: set[str] = set()
        for key, record in matched.items():
            user = users[key]
            updates = {
                target: _clip(target, getattr(record, source) or "")
                for source, target in self.rules.copies
            }
            updates = {
                name: value
                for name, value in updates.items()
                if value and getattr(user, name) != value
            }
            if user.source != IdentitySource.ATLASSIAN:
                updates["source"] = IdentitySource.ATLASSIAN
            if updates:
                previous[user.pk] = {name: getattr(user, name) for name in updates}
                for name, value in updates.items():
                    setattr(user, name, value)
                fields.update(updates)
                changed.append(user)
            self._follow_status(user, record)
        if changed:
            User.objects.bulk_update(changed, sorted(fields), batch_size=500)
            identities_changed.send(
                sender=Account,
                application=self.application,
                created=[],
                changed=previous,
            )
        self.tracker.count("identities", "updated", len(changed))
        self.tracker.count("identities", "unchanged", len(matched) - len(changed))

    def _follow_status(self, user: User, record: AccountRecord) -> None:
        """The trusted source deactivates and restores identities (never superusers)."""
        active = record.status == AccountStatus.ACTIVE
        if user.is_active == active or user.is_superuser:
            return
        user.is_active = active
        user.deactivated_at = None if active else now()
        user.save(update_fields=["is_active", "deactivated_at"])
        if not active:
            identity_deactivated.send(
                sender=Account, identity=user, application=self.application
            )

    def _link(
        self, chosen: dict[str, AccountRecord], identity_ids: dict[str, int]
    ) -> None:
        relink: list[tuple[int, int]] = []
        for key, record in chosen.items():
            identity_id = identity_ids.get(key)
            pk, linked = self.index.accounts[record.account_id]
            if identity_id is not None and linked != identity_id:
                relink.append((identity_id, pk))
                self.index.accounts[record.account_id] = (pk, identity_id)
        update_by_pk(Account, "identity_id", relink)


def _clip(field: str, value: str) -> str:
    limit = User._meta.get_field(field).max_length or len(value)
    return value[:limit]


def link_managers(application: Application, tracker: RunTracker) -> None:
    """Set each identity's manager from its SCIM account's manager; idempotent."""
    if not (
        application.is_trusted_source
        and IdentityRules.for_application(application).sets_manager
    ):
        return
    accounts = Account.objects.present().filter(
        application=application, identity__isnull=False
    )
    identity_of = dict(
        accounts.values_list("account_id", "identity_id").iterator(chunk_size=5000)
    )
    wanted: dict[int, int | None] = {}
    for identity_id, manager_account_id in (
        accounts.exclude(scim_id="")
        .values_list("identity_id", "manager_account_id")
        .iterator(chunk_size=5000)
    ):
        manager = identity_of.get(manager_account_id) if manager_account_id else None
        wanted[identity_id] = manager if manager != identity_id else None
    del identity_of
    updated = 0
    for chunk in batched(wanted.items(), 2000):
        current = dict(
            User.objects.filter(pk__in=[pk for pk, _ in chunk]).values_list(
                "pk", "manager_id"
            )
        )
        stale = [
            User(pk=pk, manager_id=manager)
            for pk, manager in chunk
            if pk in current and current[pk] != manager
        ]
        User.objects.bulk_update(stale, ["manager"], batch_size=500)
        updated += len(stale)
    tracker.count("managers", "updated", updated)
    tracker.count("managers", "unchanged", len(wanted) - updated)
