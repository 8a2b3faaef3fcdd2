"""Incremental runs fed by the org audit log: only what changed is read, the catalog ends right.

Changes go through the connector (as the portal or an admin would make them), so the
simulator records them in its audit log as Atlassian does.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest
from django.contrib.auth import get_user_model

from connectors.base import AccountDraft, EntitlementKind, EntitlementRef
from connectors.models import Account, Assignment, Entitlement, RunStatus
from connectors.registry import connector_for, use_transport
from tests.connectors.reconcile_support import reconcile, sim_group, sim_user

pytestmark = pytest.mark.django_db

ALICE = "alice.requester@acme.example"
BOB = "bob.manager@acme.example"
SAM = "samuel.adeyemi@acme.example"
NEW = "nina.newcomer@acme.example"
LEAVER = "william.harris@acme.example"
HANA = "hana.yilmaz@acme.example"  # managed, not provisioned by SCIM, has a title
PARTNER = "victor.hugo@northwind-partners.example"
OUTCOMES = ("created", "updated", "removed")
USER_GROUPS = "/rest/api/3/user/groups"


@pytest.fixture(autouse=True)
def change_feed_on(settings):
    settings.RECONCILE_CHANGE_FEED = True


def group_ref(simulator, name):
    return EntitlementRef(EntitlementKind.GROUP, sim_group(simulator, name).group_id)


def make_changes(application, simulator):
    """A new user, an updated one, a deactivated one, a member in, one out, a group
    gone; a managed user outside SCIM with a new title, another one suspended."""
    connector = connector_for(application)
    hana = sim_user(simulator, HANA)  # as the user management API's profile PATCH
    hana.title = "Art Director"
    simulator.record_event("user_profile_updated", ("user", hana.account_id))
    connector.disable_account(sim_user(simulator, LEAVER).account_id)  # Admin suspend
    connector.create_account(
        AccountDraft(email=NEW, given_name="Nina", family_name="N")
    )
    connector.update_account(sim_user(simulator, ALICE).account_id, {"title": "Staff"})
    connector.disable_account(sim_user(simulator, SAM).account_id)
    connector.grant(sim_user(simulator, BOB).account_id, group_ref(simulator, "design"))
    engineering = sim_group(simulator, "engineering")
    member = simulator.state.users[engineering.members[0]]
    connector.revoke(member.account_id, group_ref(simulator, "engineering"))
    admin = connector.families.admin
    admin.delete_group(
        connector.families.directory_id(), sim_group(simulator, "contractors").group_id
    )
    connector.close()


def catalog():
    """What the catalog says, without the dates a run stamps."""
    accounts = {
        a.account_id: (
            a.email,
            a.display_name,
            a.status,
            a.title,
            a.nickname,
            a.department,
            a.organization,
            a.timezone,
            a.manager_account_id,
            a.is_managed,
            a.identity_id,
            a.removed_at is None,
        )
        for a in Account.objects.all()
    }
    entitlements = set(
        Entitlement.objects.present().values_list("kind", "external_id", "name")
    )
    assignments = set(
        Assignment.objects.current().values_list(
            "entitlement__external_id",
            "account__account_id",
            "holder_group__external_id",
        )
    )
    identities = set(
        get_user_model().objects.values_list(
            "email", "job_title", "department", "nickname", "timezone", "is_active"
        )
    )
    return accounts, entitlements, assignments, identities


def group_ids_of(simulator, email):
    user = sim_user(simulator, email)
    return {simulator.state.groups[seq].group_id for seq in user.groups}


def listed_group_ids(simulator):
    return {
        c.query["groupId"][0]
        for c in simulator.calls
        if c.path == "/rest/api/3/group/member"
    }


def test_incremental_run_from_the_feed_ends_where_a_full_run_would(
    application, simulator
):
    reconcile(application)
    make_changes(application, simulator)

    run = reconcile(application, incremental=True)
    after_incremental = catalog()
    full = reconcile(application)

    assert run.status == RunStatus.SUCCEEDED
    assert "from the change feed" in " ".join(run.errors)
    assert catalog() == after_incremental
    assert all(full.counts[kind][o] == 0 for kind in full.counts for o in OUTCOMES)


def user_groups_calls(simulator):
    return [c.query["accountId"][0] for c in simulator.calls if c.path == USER_GROUPS]


def test_incremental_run_reads_only_what_changed(application, simulator):
    reconcile(application)
    make_changes(application, simulator)
    simulator.reset_calls()

    reconcile(application, incremental=True)

    paths = {c.path for c in simulator.calls}
    scim_listings = [
        c
        for c in simulator.calls
        if c.path.endswith("/Users") and "filter" not in c.query
    ]
    assert scim_listings == []  # lookups by userName only (`filter=`)
    assert f"/admin/v1/orgs/{simulator.config.org_id}/users" not in paths
    assert "/rest/api/3/users/search" not in paths  # no Jira user listing
    # Memberships come from each changed account's own groups: no group is listed
    # whole (a deleted group is swept, not read), one user/groups call per account.
    assert listed_group_ids(simulator) == set()
    changed = {sim_user(simulator, e).account_id for e in (NEW, ALICE, SAM, BOB)}
    assert changed <= set(user_groups_calls(simulator))
    assert len(user_groups_calls(simulator)) == len(set(user_groups_calls(simulator)))


def test_membership_changes_of_an_account_end_and_create_exactly_those(
    application, simulator
):
    reconcile(application)
    bob = sim_user(simulator, BOB).account_id
    connector = connector_for(application)
    connector.grant(bob, group_ref(simulator, "design"))
    connector.revoke(bob, group_ref(simulator, "engineering"))
    connector.close()
    before = catalog()[2]
    simulator.reset_calls()

    run = reconcile(application, incremental=True)

    design = sim_group(simulator, "design").group_id
    engineering = sim_group(simulator, "engineering").group_id
    assert catalog()[2] ^ before == {(design, bob, None), (engineering, bob, None)}
    assert (design, bob, None) in catalog()[2]
    assert run.counts["group_assignments"]["created"] == 1
    assert run.counts["group_assignments"]["removed"] == 1
    assert user_groups_calls(simulator) == [bob]
    assert listed_group_ids(simulator) == set()


def test_a_group_created_has_its_members_listed(application, simulator):
    reconcile(application)
    connector = connector_for(application)
    created = connector.families.jira.create_group("auditors")
    connector.close()
    simulator.reset_calls()

    run = reconcile(application, incremental=True)

    assert listed_group_ids(simulator) == {created.group_id}
    assert run.counts["groups"]["created"] == 1


def test_when_reading_each_accounts_groups_costs_more_every_group_is_listed(
    application, simulator
):
    reconcile(application)
    for user in simulator.state.users.values():  # the feed names every account
        simulator.record_event("user_updated", ("user", user.account_id))
    simulator.reset_calls()

    run = reconcile(application, incremental=True)

    assert "group members (cheaper" in " ".join(run.errors)
    assert user_groups_calls(simulator) == []
    assert listed_group_ids(simulator) == {
        g.group_id for g in simulator.state.groups.values() if g.propagated
    }


def test_incremental_run_catalogs_the_changes(application, simulator):
    reconcile(application)
    make_changes(application, simulator)

    run = reconcile(application, incremental=True)

    assert Account.objects.get(email=NEW).removed_at is None
    assert Account.objects.get(email=ALICE).title == "Staff"
    assert Account.objects.get(email=SAM).status != "active"
    assert Entitlement.objects.get(name="contractors").removed_at is not None
    assert run.counts["groups"]["removed"] == 1
    assert run.counts["group_assignments"]["removed"] >= 1


def test_an_account_fetched_for_a_change_keeps_its_last_active_date(
    application, simulator
):
    reconcile(application)
    seen = Account.objects.get(email=ALICE).last_active
    make_changes(application, simulator)

    reconcile(application, incremental=True)

    alice = Account.objects.get(email=ALICE)
    assert seen is not None  # the org's user listing reported it
    assert alice.title == "Staff"  # fetched again, and changed
    assert alice.last_active == seen  # one account's answer carries no such date


def test_account_removed_from_the_directory_stays_managed_and_leaves_its_groups(
    application, simulator
):
    reconcile(application)
    leaver = sim_user(simulator, LEAVER)  # managed, not provisioned by SCIM
    connector = connector_for(application)
    connector.delete_account(leaver.account_id)  # removed from the org directory
    connector.close()

    reconcile(application, incremental=True)
    account = Account.objects.get(account_id=leaver.account_id)
    after_incremental = catalog()
    full = reconcile(application)

    assert account.is_managed  # the org still manages it: not an external user
    assert not Assignment.objects.current().filter(account=account).exists()
    assert catalog() == after_incremental
    assert full.counts["accounts"]["updated"] == 0


def test_external_user_the_feed_names_stays_external_without_an_identity(
    application, simulator
):
    reconcile(application)
    partner = sim_user(simulator, PARTNER)  # in the directory, not the org's
    connector = connector_for(application)
    connector.disable_account(partner.account_id)  # suspended and restored: the
    connector.enable_account(partner.account_id)  # feed names the account
    connector.close()

    reconcile(application, incremental=True)

    account = Account.objects.get(account_id=partner.account_id)
    assert not account.is_managed
    assert account.identity is None  # external users get no portal identity


def test_without_an_org_api_key_the_run_lists_everything_and_says_so(
    application, simulator
):
    reconcile(application)
    application.org_api_key = ""
    application.save()
    simulator.reset_calls()

    run = reconcile(application, incremental=True)

    assert run.status == RunStatus.SUCCEEDED
    assert "listed everything" in " ".join(run.errors)
    assert any(
        c.path.endswith("/Users") and "filter" not in c.query for c in simulator.calls
    )


def test_feed_refused_by_atlassian_lists_everything_and_says_so(application, simulator):
    reconcile(application)
    inner = simulator.transport()

    def refuse_audit_log(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/events-stream"):
            return httpx.Response(403, json={"errors": [{"title": "Forbidden"}]})
        return inner.handle_request(request)

    with use_transport(httpx.MockTransport(refuse_audit_log)):
        run = reconcile(application, incremental=True)

    assert run.status == RunStatus.SUCCEEDED
    assert "unavailable" in " ".join(run.errors)
    assert len(listed_group_ids(simulator)) == len(simulator.state.groups)


def test_changes_older_than_the_last_run_are_not_read_again(application, simulator):
    make_changes(application, simulator)
    for event in simulator.state.events:  # long before the full run below
        event.time = hours_ago(event.time, 2)
    reconcile(application)
    simulator.reset_calls()

    run = reconcile(application, incremental=True)

    assert "0 accounts" in " ".join(run.errors)
    assert listed_group_ids(simulator) == set()


def hours_ago(iso: str, hours: int) -> str:
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00")) - timedelta(hours=hours)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
