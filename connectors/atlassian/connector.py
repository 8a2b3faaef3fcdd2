"""`AtlassianConnector`: the Atlassian Cloud organization behind `connectors.base.Connector`.

It translates between the records of `connectors.base` and the four API families
(SCIM, Organizations, Jira, Confluence). Build it from `ConnectionSettings`; tests pass
the simulator's transport and, for resilience tests, a `RetryPolicy` with a fake clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from connectors.atlassian import accounts, changes, provisioning
from connectors.atlassian.administration import AtlassianAdministration
from connectors.atlassian.assignments import iter_account_groups, iter_assignments
from connectors.atlassian.families import Families
from connectors.atlassian.fanout import fan_out
from connectors.atlassian.reading import (
    iter_accounts,
    iter_entitlements,
    iter_resources,
)
from connectors.base import (
    ApiFamily,
    CallStats,
    Capabilities,
    ChangeResult,
    ConnectorError,
    EntitlementKind,
    FamilyCheck,
    Invalid,
)
from connectors.records import Scope

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping
    from datetime import datetime

    import httpx

    from connectors.atlassian.admin_models import InviteResult
    from connectors.atlassian.http import RetryPolicy
    from connectors.base import AccountDraft, AccountResult, EntitlementRef
    from connectors.records import (
        AccountRecord,
        AssignmentRecord,
        ChangeSet,
        EntitlementRecord,
        ResourceRecord,
    )

ALL_KINDS = frozenset(EntitlementKind)
ACCOUNT_OPERATIONS = frozenset({"create", "update", "disable", "enable", "delete"})


@dataclass(frozen=True)
class ConnectionSettings:
    """Where and how to reach one Atlassian organization and site; secrets never print."""

    site_url: str
    admin_email: str
    api_token: str = field(repr=False)
    scim_url: str = ""
    directory_id: str = ""
    directory_api_key: str = field(default="", repr=False)
    admin_api_url: str = "https://api.atlassian.com"
    org_id: str = ""
    org_api_key: str = field(default="", repr=False)
    default_groups: tuple[str, ...] = ()
    max_concurrency: int = 8
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_attempts: int = 6
    max_retry_seconds: float = 120.0


class AtlassianConnector(AtlassianAdministration):
    """Atlassian Cloud (SCIM + Organizations + Jira + Confluence) as a Connector."""

    def __init__(
        self,
        settings: ConnectionSettings,
        transport: httpx.BaseTransport | None = None,
        *,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.settings = settings
        self.families = Families(settings, transport=transport, policy=policy)

    def __repr__(self) -> str:
        return f"AtlassianConnector({self.settings.site_url})"

    def close(self) -> None:
        """Close the pooled HTTP connections."""
        self.families.close()

    # -- about the connection -----------------------------------------------------------

    def capabilities(self) -> Capabilities:
        """What this connection can sync and provision, given the configured families."""
        families = self.families
        has_admin, has_scim = families.admin is not None, families.scim is not None
        kinds = ALL_KINDS if has_admin else ALL_KINDS - {EntitlementKind.ORG_ROLE}
        operations = set()
        if has_scim:
            operations |= {"create", "update"}
        if has_scim or has_admin:
            operations |= {"disable", "enable", "delete"}
        notes = [
            "Org role assignments are not read during reconciliation (one call per user).",
            "Org role assign/revoke and invite work only where Atlassian has enabled them.",
            "Groups synced from an identity provider change only through SCIM.",
        ]
        if not has_scim:
            notes.append(
                "No SCIM directory configured: accounts cannot be created or updated."
            )
        if not has_admin:
            notes.append(
                "No Organizations API key: org roles, last activity and suspension are off."
            )
        return Capabilities(
            sync_kinds=kinds,
            provision_kinds=kinds,
            account_operations=frozenset(operations),
            notes=tuple(notes),
        )

    def test_connection(self) -> list[FamilyCheck]:
        """One cheap read per family; Atlassian's message when the credential fails."""
        families = self.families
        return [
            _check(ApiFamily.SCIM, self._probe_scim if families.scim else None),
            _check(ApiFamily.ADMIN, self._probe_admin if families.admin else None),
            _check(ApiFamily.JIRA, self._probe_jira),
            _check(ApiFamily.CONFLUENCE, self._probe_confluence),
        ]

    def _probe_scim(self) -> str:
        assert self.families.scim is not None  # noqa: S101 - only called when configured
        return f"OK: {self.families.scim.count_users()} users in the SCIM directory"

    def _probe_admin(self) -> str:
        admin = self.families.admin
        assert admin is not None  # noqa: S101 - only called when configured
        return f"OK: organization {admin.get_org().name or admin.org_id}"

    def _probe_jira(self) -> str:
        return f"OK: {self.families.jira.count_groups()} groups visible in Jira"

    def _probe_confluence(self) -> str:
        visible = self.families.confluence.check_spaces()
        return "OK: spaces visible" if visible else "OK: no spaces visible"

    def call_stats(self) -> CallStats:
        """HTTP attempts (retries included) per family since this connector was built."""
        return CallStats(by_family=self.families.counter.snapshot())

    # -- reading ------------------------------------------------------------------------------

    def iter_accounts(self, scope: Scope | None = None) -> Iterator[AccountRecord]:
        """SCIM + org users merged, then Jira-only product users as unmanaged."""
        return iter_accounts(self.families, scope or Scope())

    def iter_resources(self, scope: Scope | None = None) -> Iterator[ResourceRecord]:
        """Projects, spaces and workspaces."""
        return iter_resources(self.families, scope or Scope())

    def iter_entitlements(
        self, kinds: Iterable[EntitlementKind] | None = None, scope: Scope | None = None
    ) -> Iterator[EntitlementRecord]:
        """Groups, project roles, the 14 permissions of each space, workspace roles."""
        wanted = frozenset(kinds) if kinds is not None else ALL_KINDS
        return iter_entitlements(self.families, wanted, scope or Scope())

    def iter_assignments(
        self, kinds: Iterable[EntitlementKind] | None = None, scope: Scope | None = None
    ) -> Iterator[AssignmentRecord]:
        """Group members, role actors and space permission holders."""
        wanted = frozenset(kinds) if kinds is not None else ALL_KINDS
        return iter_assignments(self.families, wanted, scope or Scope())

    def get_account(self, account_id: str) -> AccountRecord | None:
        """One account by accountId (with its SCIM manager, as listed), or None."""
        return accounts.get_account(self.families, account_id)

    def get_accounts(self, account_ids: Iterable[str]) -> Iterator[AccountRecord]:
        """The accounts found of these, read `max_concurrency` at a time, in order."""
        found = fan_out(
            lambda account_id: accounts.get_account(self.families, account_id),
            account_ids,
            max_workers=self.families.settings.max_concurrency,
        )
        return (record for _, record in found if record is not None)

    def iter_account_groups(
        self, account_ids: Iterable[str]
    ) -> Iterator[tuple[str, list[AssignmentRecord] | None]]:
        """Each account's direct groups (Jira `user/groups`, one call each)."""
        return iter_account_groups(self.families, account_ids)

    def iter_changes(self, since: datetime, until: datetime) -> ChangeSet | None:
        """What the org audit log says changed; None without a usable feed."""
        return changes.read_changes(self.families, since, until)

    def find_account_by_email(self, email: str) -> AccountRecord | None:
        """The account with this email, or None."""
        return accounts.find_account_by_email(self.families, email)

    def has_assignment(self, account_id: str, entitlement: EntitlementRef) -> bool:
        """Read back whether the account holds the entitlement directly."""
        return provisioning.has_assignment(self.families, account_id, entitlement)

    # -- changing -----------------------------------------------------------------------------

    def grant(self, account_id: str, entitlement: EntitlementRef) -> ChangeResult:
        """Give the account the entitlement; idempotent."""
        return provisioning.grant(self.families, account_id, entitlement)

    def revoke(self, account_id: str, entitlement: EntitlementRef) -> ChangeResult:
        """Take the entitlement from the account; idempotent."""
        return provisioning.revoke(self.families, account_id, entitlement)

    def create_account(self, draft: AccountDraft) -> AccountResult:
        """Create through SCIM and join the default groups, or link the existing account."""
        return accounts.create_account(self.families, draft)

    def update_account(
        self, account_id: str, changes: Mapping[str, Any]
    ) -> AccountRecord:
        """Change mapped attributes (see mapping.py) through SCIM."""
        return accounts.update_account(self.families, account_id, changes)

    def disable_account(self, account_id: str) -> ChangeResult:
        """SCIM active=false, or Admin suspend access; idempotent."""
        return accounts.set_active(self.families, account_id, active=False)

    def enable_account(self, account_id: str) -> ChangeResult:
        """SCIM active=true, or Admin restore access; idempotent."""
        return accounts.set_active(self.families, account_id, active=True)

    def delete_account(self, account_id: str) -> ChangeResult:
        """SCIM DELETE for SCIM users, else removal from the org directory; idempotent."""
        return accounts.delete_account(self.families, account_id)

    def invite_user(
        self,
        email: str,
        *,
        roles: Iterable[EntitlementRef] = (),
        group_ids: Iterable[str] = (),
        send_notification: bool = True,
    ) -> list[InviteResult]:
        """Invite by email with org_role entitlements and groups (FeatureNotEnabled if off)."""
        admin = self.families.admin
        if admin is None:
            raise Invalid(
                "Inviting needs the Organizations API (org id and key)", family="admin"
            )
        rules = []
        for ref in roles:
            role, resource = provisioning.parse_org_role(ref)
            rules.append((resource or "", role))
        return admin.invite_users(
            [email],
            permission_rules=rules,
            group_ids=group_ids,
            send_notification=send_notification,
        )


def _check(family: ApiFamily, probe: Callable[[], str] | None) -> FamilyCheck:
    if probe is None:
        return FamilyCheck(family, ok=False, message="Not configured")
    try:
        return FamilyCheck(family, ok=True, message=probe())
    except ConnectorError as exc:
        return FamilyCheck(family, ok=False, message=exc.message, status=exc.status)
