"""Incremental runs from the change feed: read only what Atlassian says changed.

After a successful run that covered everything, an incremental run asks the connector
what changed since that run started (`iter_changes`, the org audit log), minus a
safety overlap, up to its own start. Then:

- accounts: the changed ones are fetched by id (`get_accounts`, concurrently) when
  they are few; otherwise every account is listed as before;
- group members: each changed account's own groups are read (one call each) and its
  memberships reconciled against the catalog (new ones written, vanished ones ended);
  a membership event names the member, so it is covered by that. Only groups an
  event names by themselves (created, renamed) have their members listed; the group
  list itself is read as before, so new groups appear and deleted ones are swept;
- projects and spaces: listed and compared as before (the org audit log is not known
  to record role actors or space permissions on every plan).

Without a usable feed (no Organizations API key, refused, cut short) the run lists
everything, as an incremental run did before, and says so in its warnings. The
nightly full run remains the safety net for anything the feed does not record.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Count

from connectors.base import EntitlementKind
from connectors.models import Account, Assignment, Entitlement, ReconciliationRun
from connectors.reconcile_identities import link_managers
from connectors.reconcile_phases import BATCH, Reconciliation
from connectors.reconcile_stream import batched, read_ahead
from connectors.records import Scope

if TYPE_CHECKING:
    from datetime import datetime

    from connectors.base import Connector
    from connectors.reconcile_assignments import AssignmentWriter
    from connectors.reconcile_progress import RunTracker
    from connectors.records import AccountRecord, ChangeSet

logger = logging.getLogger(__name__)

FEED_OVERLAP = timedelta(minutes=5)  # events stamped a little before they are visible
# Fetching one account costs about 3 calls (directory user, SCIM user, its manager);
# listing costs about 3 pages per 100 accounts (org users, SCIM users, Jira users):
# fetching is cheaper up to 1 % of the known accounts, and always for a few dozen.
FETCHED_PER_KNOWN = 100
MIN_FETCHED_ACCOUNTS = 25
MEMBERS_PAGE = 50  # Jira's group/member page: listing a group costs members // 50 + 1
GROUP = EntitlementKind.GROUP


def reconciliation_for(
    run: ReconciliationRun, connector: Connector, tracker: RunTracker
) -> Reconciliation:
    """The phases for a run: fed by the change feed for an unfiltered incremental run."""
    if run.is_incremental and not run.scope and settings.RECONCILE_CHANGE_FEED:
        return ChangeFeedReconciliation(run, connector, tracker)
    return Reconciliation(run, connector, tracker)


@dataclass(frozen=True)
class FeedPlan:
    """What an incremental run reads, from the change set; None means list as before."""

    changes: ChangeSet
    account_ids: frozenset[str] | None  # fetched one by one; None: listed
    # Memberships: these accounts' groups are read, these groups' members listed;
    # None: every group's members are listed.
    member_account_ids: frozenset[str] | None
    group_ids: frozenset[str] | None


class ChangeFeedReconciliation(Reconciliation):
    """An incremental run that reads only what the change feed names, where it can."""

    plan: FeedPlan | None = None
    streamed_groups: frozenset[int] = frozenset()
    judged_accounts: frozenset[int] = frozenset()  # their memberships were read

    def execute(self) -> None:
        """Read the feed, then the phases; without a feed, list as before."""
        if not self.full:
            self.plan = self.plan_from_feed()
        super().execute()

    # -- planning ---------------------------------------------------------------------

    def plan_from_feed(self) -> FeedPlan | None:
        """The plan from the changes since the last complete run; None to list."""
        since = self.last_complete_start()
        read = getattr(self.connector, "iter_changes", None)
        if since is None or read is None:
            self.tracker.warn("Incremental run listed everything: no change feed.")
            return None
        changes = read(since - FEED_OVERLAP, self.stamp)
        if changes is None:
            self.tracker.warn(
                "Incremental run listed everything: the change feed (the org audit "
                "log) is unavailable: no Organizations API key, or Atlassian refused it."
            )
            return None
        if not changes.is_complete:
            self.tracker.warn(
                f"Incremental run listed everything: the change feed held more than "
                f"{changes.events} events since {changes.since:%Y-%m-%d %H:%M} UTC."
            )
            return None
        memberships = self._memberships_to_read(changes)
        plan = FeedPlan(
            changes,
            self._accounts_to_fetch(changes),
            changes.account_ids if memberships else None,
            changes.group_ids if memberships else None,
        )
        self.tracker.warn(describe(plan))
        return plan

    def last_complete_start(self) -> datetime | None:
        """When the last successful run that covered everything started."""
        runs = (
            ReconciliationRun.objects.succeeded()
            .filter(application=self.application, scope={}, only=[])
            .exclude(pk=self.run.pk)
        )
        return runs.values_list("started_at", flat=True).first()

    def _accounts_to_fetch(self, changes: ChangeSet) -> frozenset[str] | None:
        known = Account.objects.present().filter(application=self.application).count()
        limit = max(MIN_FETCHED_ACCOUNTS, known // FETCHED_PER_KNOWN)
        return changes.account_ids if len(changes.account_ids) <= limit else None

    def _memberships_to_read(self, changes: ChangeSet) -> bool:
        """Whether reading the changed accounts' groups (one call each) and listing the
        groups named on their own costs fewer calls than listing every group's members.

        Both sides are estimated from the catalog: a page per 50 members and at least
        one per group. Listing every group costs at least one call per group, so the
        memberships are counted only when the plan costs more than that.
        """
        memberships = Assignment.objects.current().filter(
            application=self.application, entitlement__kind=GROUP
        )
        named = dict(
            memberships.filter(entitlement__external_id__in=changes.group_ids)
            .values("entitlement__external_id")
            .annotate(members=Count("pk"))
            .values_list("entitlement__external_id", "members")
        )
        plan = len(changes.account_ids) + sum(
            named.get(group_id, 0) // MEMBERS_PAGE + 1 for group_id in changes.group_ids
        )
        groups = Entitlement.objects.present().filter(
            application=self.application, kind=GROUP
        )
        floor = groups.count()
        return plan <= floor or plan <= floor + memberships.count() // MEMBERS_PAGE

    # -- reading ----------------------------------------------------------------------

    def reconcile_accounts(self) -> None:
        """The changed accounts fetched by id, or every account when there are many."""
        account_ids = self.plan.account_ids if self.plan else None
        if account_ids is None:
            super().reconcile_accounts()
            return
        self.tracker.start_phase("accounts", total=len(account_ids))
        found = self.connector.get_accounts(sorted(account_ids))
        for batch in batched(found, BATCH):
            self.write_account_batch(self._keep_last_active(batch))
            self.tracker.advance(len(batch))
        self.tracker.finish_phase()
        self.tracker.start_phase("managers")
        link_managers(self.application, self.tracker)
        self.tracker.finish_phase()

    def _keep_last_active(self, records: list[AccountRecord]) -> list[AccountRecord]:
        """One account's record carries no last-active date (Atlassian reports it only
        in the org user listing): keep the one the last listing stored."""
        stored = dict(
            Account.objects.filter(
                application=self.application,
                account_id__in=[r.account_id for r in records],
                last_active__isnull=False,
            ).values_list("account_id", "last_active")
        )
        return [
            replace(r, last_active=stored[r.account_id])
            if r.last_active is None and r.account_id in stored
            else r
            for r in records
        ]

    def stream_assignments(
        self, phase: str, writer: AssignmentWriter, kinds: list[EntitlementKind]
    ) -> None:
        """Memberships of the changed accounts and groups only, when the plan names them."""
        plan = self.plan
        if kinds != [GROUP] or plan is None or plan.group_ids is None:
            super().stream_assignments(phase, writer, kinds)
            return
        self.tracker.start_phase(phase)
        self._list_named_groups(plan.group_ids, writer)
        self._read_account_groups(plan.member_account_ids or frozenset(), writer)
        writer.flush()
        self.tracker.finish_phase()

    def _list_named_groups(
        self, group_ids: frozenset[str], writer: AssignmentWriter
    ) -> None:
        """Every member of the groups an event names on its own (created, renamed)."""
        groups = dict(
            Entitlement.objects.present()
            .filter(application=self.application, kind=GROUP, external_id__in=group_ids)
            .values_list("pk", "name")
        )
        # Only groups this run listed: a deleted one is swept, not read.
        listed = {
            pk: name
            for pk, name in groups.items()
            if pk in self.index.seen_entitlements
        }
        self.streamed_groups = frozenset(listed)
        if listed:
            scope = Scope(group_names=tuple(sorted(listed.values())))
            for record in read_ahead(self.connector.iter_assignments([GROUP], scope)):
                writer.add(record)

    def _read_account_groups(
        self, account_ids: frozenset[str], writer: AssignmentWriter
    ) -> None:
        """Each changed account's own groups, written like listed members; the account's
        memberships not among them are ended by the sweep."""
        present = dict(
            Account.objects.filter(
                application=self.application, account_id__in=account_ids
            ).values_list("account_id", "pk")
        )
        # Only accounts this run found: a vanished one is swept with its memberships.
        found = sorted(a for a, pk in present.items() if pk in self.index.seen_accounts)
        judged = set()
        for account_id, records in self.connector.iter_account_groups(found):
            if records is None:  # unknown to the target: leave its memberships be
                continue
            judged.add(present[account_id])
            for record in records:
                writer.add(record)
        self.judged_accounts = frozenset(judged)

    # -- sweeping ---------------------------------------------------------------------

    def sweep(self) -> None:
        """Sweep only what was read: unread accounts and memberships count as seen."""
        if self.plan is not None:
            self._keep_unread()
        super().sweep()

    def _keep_unread(self) -> None:
        plan = self.plan
        assert plan is not None  # noqa: S101 - called only with a plan
        application = self.application
        if plan.account_ids is not None:
            unread = (
                Account.objects.present()
                .filter(application=application)
                .exclude(account_id__in=plan.account_ids)
            )
            self.index.seen_accounts.update(
                unread.values_list("pk", flat=True).iterator(chunk_size=5000)
            )
        if plan.group_ids is not None:
            memberships = (
                Assignment.objects.current()
                .filter(application=application, entitlement__kind=GROUP)
                .exclude(entitlement_id__in=self.streamed_groups)
                .exclude(account_id__in=self.judged_accounts)
            )
            self.assignments_seen.update(
                memberships.values_list("pk", flat=True).iterator(chunk_size=10000)
            )


def describe(plan: FeedPlan) -> str:
    """What an incremental run read from the feed and what it listed, for its page."""
    changes = plan.changes
    fed, listed = [], ["projects and spaces (the audit log may not record them)"]
    if plan.account_ids is not None:
        fed.append(counted(len(plan.account_ids), "account"))
    else:
        listed.insert(0, f"accounts ({len(changes.account_ids)} changed: too many)")
    if plan.group_ids is not None:
        fed.append(
            f"the groups of {counted(len(plan.member_account_ids or ()), 'account')}, "
            f"members of {counted(len(plan.group_ids), 'group')}"
        )
    else:
        listed.insert(0, "group members (cheaper than reading each account's groups)")
    return (
        f"Incremental run from the change feed ({counted(changes.events, 'event')} since "
        f"{changes.since:%Y-%m-%d %H:%M} UTC): {', '.join(fed) or 'nothing'}; "
        f"listed: {', '.join(listed)}."
    )


def counted(number: int, noun: str) -> str:
    """'1 group', '3 groups'."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
