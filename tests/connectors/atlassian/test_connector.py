"""AtlassianConnector end to end against the in-process simulator: what Atlassian now holds."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from connectors.atlassian.connector import AtlassianConnector
from connectors.atlassian.http import RetryPolicy
from connectors.base import (
    AccountDraft,
    AccountStatus,
    ApiFamily,
    AuthenticationFailed,
    Connector,
    EntitlementKind,
    EntitlementRef,
    FeatureNotEnabled,
    HolderType,
    Invalid,
    LicenceLimitReached,
    ManagedExternally,
)
from connectors.records import Scope
from tests.connectors.atlassian.conftest import account_id, settings_for

ALICE = "alice.requester@acme.example"
BOB = "bob.manager@acme.example"
CAROL = "carol.admin@acme.example"
HANA = "hana.yilmaz@acme.example"  # managed, not provisioned through SCIM
MATEO = "mateo.silva@acme.example"  # SCIM user with active=false
VICTOR = "victor.hugo@northwind-partners.example"  # external product user


def group_ref(sim, name):
    return EntitlementRef(EntitlementKind.GROUP, sim.state.group_by_name(name).group_id)


def role_ref(sim, project_key, role_name):
    project = sim.state.project_by_key[project_key]
    role = next(r for r in sim.state.roles.values() if r.name == role_name)
    return EntitlementRef(
        EntitlementKind.PROJECT_ROLE, f"{project.id}:{role.id}", project_key
    )


def space_ref(sim, space_key, key, target):
    space = sim.state.space_by_key[space_key]
    return EntitlementRef(
        EntitlementKind.SPACE_PERMISSION, f"{space.id}:{key}:{target}", space_key
    )


def user_permissions(sim, space_key, aaid):
    return {
        (key, target)
        for kind, pid, key, target in sim.state.space_permissions(space_key)
        if pid == aaid
    }


# -- the interface and the connection ----------------------------------------------------------


def test_connector_implements_the_interface(connector):
    assert isinstance(connector, Connector)


def test_connection_test_reports_every_family_ok(connector):
    checks = connector.test_connection()

    assert [c.family for c in checks] == [
        ApiFamily.SCIM,
        ApiFamily.ADMIN,
        ApiFamily.JIRA,
        ApiFamily.CONFLUENCE,
    ]
    assert all(c.ok for c in checks), checks


@pytest.mark.parametrize(
    ("setting", "family"),
    [
        ("directory_api_key", ApiFamily.SCIM),
        ("org_api_key", ApiFamily.ADMIN),
        ("api_token", ApiFamily.JIRA),
    ],
)
def test_a_wrong_credential_is_reported_with_atlassians_message(sim, setting, family):
    connector = AtlassianConnector(
        settings_for(sim, **{setting: "wrong-key"}), transport=sim.transport()
    )

    checks = {c.family: c for c in connector.test_connection()}

    assert checks[family].ok is False
    assert checks[family].status == 401
    assert checks[family].message
    assert "wrong-key" not in checks[family].message


def test_wrong_token_fails_confluence_too(sim):
    connector = AtlassianConnector(
        settings_for(sim, api_token="wrong"), transport=sim.transport()
    )

    checks = {c.family: c for c in connector.test_connection()}

    assert checks[ApiFamily.CONFLUENCE].ok is False
    assert checks[ApiFamily.CONFLUENCE].status == 401


def test_capabilities_cover_every_kind_and_account_operation(connector):
    capabilities = connector.capabilities()

    assert capabilities.provision_kinds == frozenset(EntitlementKind)
    assert capabilities.account_operations == {
        "create",
        "update",
        "disable",
        "enable",
        "delete",
    }


# -- reading -----------------------------------------------------------------------------------


def test_accounts_merge_scim_profile_with_org_status(connector, sim):
    accounts = {a.email: a for a in connector.iter_accounts()}

    alice = accounts[ALICE]
    assert alice.account_id == account_id(sim, ALICE)
    assert alice.is_managed and alice.scim_id
    assert alice.department == "Engineering"
    assert alice.manager_account_id == account_id(sim, BOB)
    assert accounts[MATEO].status == AccountStatus.SUSPENDED
    assert accounts[HANA].is_managed and accounts[HANA].scim_id is None


def test_product_users_outside_the_org_are_catalogued_as_unmanaged(connector):
    accounts = list(connector.iter_accounts())

    external = {a.email: a for a in accounts if not a.is_managed}
    assert VICTOR in external
    assert any(a.account_type == "app" for a in external.values())
    assert len({a.account_id for a in accounts}) == len(accounts)


def test_accounts_can_be_limited_to_email_domains(connector):
    accounts = list(
        connector.iter_accounts(Scope(email_domains=("northwind-partners.example",)))
    )

    assert {a.email for a in accounts} == {
        VICTOR,
        "maya.chen@northwind-partners.example",
    }


def test_group_entitlements_flag_idp_synced_groups(connector):
    groups = {e.name: e for e in connector.iter_entitlements([EntitlementKind.GROUP])}

    assert groups["engineering"].is_managed_externally is True
    assert groups["product"].is_managed_externally is False
    assert "jira-software-users" in groups


def test_every_space_offers_the_fourteen_permissions(connector, sim):
    entitlements = list(connector.iter_entitlements([EntitlementKind.SPACE_PERMISSION]))

    eng = [e for e in entitlements if e.ref.resource_key == "ENG"]
    assert len(eng) == 14
    assert {e.name for e in eng} >= {"read/space", "create/page", "administer/space"}
    assert len(entitlements) == 14 * len(sim.state.space_by_key)


def test_project_roles_are_entitlements_per_project(connector):
    roles = list(
        connector.iter_entitlements(
            [EntitlementKind.PROJECT_ROLE], Scope(project_keys=("WEB",))
        )
    )

    assert {r.display_name for r in roles} >= {"WEB · Administrators", "WEB · Member"}
    assert all(r.ref.resource_key == "WEB" for r in roles)


def test_org_roles_are_offered_per_workspace(connector):
    roles = list(connector.iter_entitlements([EntitlementKind.ORG_ROLE]))

    assert {r.name for r in roles} == {"atlassian/user", "atlassian/admin"}
    assert all("@ari:cloud:" in r.ref.external_id for r in roles)


def test_group_assignments_match_the_members(connector, sim):
    alice = account_id(sim, ALICE)

    held = {
        a.entitlement.external_id
        for a in connector.iter_assignments([EntitlementKind.GROUP])
        if a.holder_id == alice
    }

    expected = {
        g.group_id
        for g in sim.state.groups.values()
        if sim.state.is_group_member(g.name, alice)
    }
    assert held == expected


def test_an_accounts_groups_are_its_memberships_as_the_listing_reads_them(
    connector, sim
):
    alice, bob = account_id(sim, ALICE), account_id(sim, BOB)
    listed = {
        (a.holder_id, a.entitlement.external_id)
        for a in connector.iter_assignments([EntitlementKind.GROUP])
        if a.holder_id in (alice, bob)
    }
    sim.reset_calls()

    read = dict(connector.iter_account_groups([alice, bob, "no-such-account"]))

    assert {
        (a.holder_id, a.entitlement.external_id) for a in read[alice] + read[bob]
    } == listed
    assert read["no-such-account"] is None  # unknown to Jira: not judged
    assert [c.path for c in sim.calls] == ["/rest/api/3/user/groups"] * 3


def test_members_of_groups_of_many_pages_are_read_whole_and_once(connector, sim):
    sim.seed_large(users=420, groups=8, projects=1, spaces=1, memberships_per_user=3)
    sim.reset_calls()

    found = [
        (a.entitlement.external_id, a.holder_id)
        for a in connector.iter_assignments([EntitlementKind.GROUP])
    ]

    state = sim.state
    expected = {
        (g.group_id, state.users[seq].account_id)
        for g in state.groups.values()
        for seq in g.members
    }
    pages = sum(max(1, -(-len(g.members) // 50)) for g in state.groups.values())
    member_calls = sum(
        n for (_, _, route), n in sim.call_counts().items() if "group/member" in route
    )
    assert len(found) == len(set(found)) and set(found) == expected
    assert max(len(g.members) for g in state.groups.values()) > 400
    assert member_calls == pages


def test_project_role_assignments_include_users_and_groups(connector, sim):
    assignments = list(connector.iter_assignments([EntitlementKind.PROJECT_ROLE]))

    ref = role_ref(sim, "WEB", "Member")
    users = {
        a.holder_id
        for a in assignments
        if a.entitlement == ref and a.holder_type == HolderType.USER
    }
    groups = {
        a.holder_id
        for a in assignments
        if a.entitlement == ref and a.holder_type == HolderType.GROUP
    }
    assert users == sim.state.project_role_actors("WEB", "Member")
    assert groups == sim.state.project_role_groups("WEB", "Member")


def test_space_permission_assignments_match_the_space(connector, sim):
    assignments = list(
        connector.iter_assignments(
            [EntitlementKind.SPACE_PERMISSION], Scope(space_keys=("ENG",))
        )
    )

    found = {
        (a.holder_type.value, a.holder_id, *a.entitlement.external_id.split(":")[1:])
        for a in assignments
    }
    expected = {
        p for p in sim.state.space_permissions("ENG") if p[0] in ("user", "group")
    }
    assert found == expected


def test_find_account_by_email_and_get_account(connector, sim):
    found = connector.find_account_by_email(ALICE)

    assert found.account_id == account_id(sim, ALICE)
    assert connector.get_account(found.account_id).email == ALICE
    assert connector.find_account_by_email("nobody@acme.example") is None


def test_get_account_keeps_the_directory_account_type_of_a_scim_user(connector, sim):
    alice = account_id(sim, ALICE)
    sim.state.user_by_email(ALICE).account_type = "customer"

    assert connector.get_account(alice).account_type == "customer"
    listed = {a.account_id: a for a in connector.iter_accounts()}
    assert listed[alice].account_type == "customer"


def test_get_account_reads_each_answer_once(connector, sim):
    alice = account_id(sim, ALICE)  # SCIM-provisioned, Bob is her manager
    connector.families.directory_id()  # cached once per connector
    sim.reset_calls()

    record = connector.get_account(alice)

    assert record.manager_account_id == account_id(sim, BOB)
    calls = sorted((c.family, c.path) for c in sim.calls)
    directory = connector.families.directory_id()
    org = sim.config.org_id
    manager_scim_id = sim.state.user_by_email(BOB).scim.scim_id
    assert calls == [
        ("admin", f"/admin/v2/orgs/{org}/directories/{directory}/users/{alice}"),
        ("scim", f"/scim/directory/{sim.config.directory_id}/Users"),  # by userName
        ("scim", f"/scim/directory/{sim.config.directory_id}/Users/{manager_scim_id}"),
    ]


@pytest.mark.parametrize("email", [ALICE, MATEO, HANA, VICTOR])
def test_a_fetched_account_says_what_the_listing_says(connector, sim, email):
    connector.disable_account(account_id(sim, HANA))  # suspended outside SCIM
    listed = {a.account_id: a for a in connector.iter_accounts()}

    fetched = connector.get_account(account_id(sim, email))

    # Only the last-active date is the listing's alone (one account has none).
    assert fetched == replace(listed[fetched.account_id], last_active=None)


def test_get_accounts_returns_those_found_in_order(connector, sim):
    ids = [account_id(sim, e) for e in (BOB, HANA, ALICE, VICTOR)]

    found = list(connector.get_accounts([ids[0], "no-such-account", *ids[1:]]))

    assert [a.account_id for a in found] == ids
    assert found == [connector.get_account(i) for i in ids]


# -- groups ------------------------------------------------------------------------------------


def test_granting_a_group_twice_makes_one_membership(connector, sim):
    hana = account_id(sim, HANA)
    ref = group_ref(sim, "design")

    first = connector.grant(hana, ref)
    second = connector.grant(hana, ref)

    assert first.already_done is False
    assert second.already_done is True
    assert sim.state.is_group_member("design", hana)
    assert connector.has_assignment(hana, ref)


def test_revoking_an_absent_membership_is_already_done(connector, sim):
    alice = account_id(sim, ALICE)

    result = connector.revoke(alice, group_ref(sim, "finance"))

    assert result.already_done is True


def test_revoking_a_membership_removes_it(connector, sim):
    alice = account_id(sim, ALICE)

    result = connector.revoke(alice, group_ref(sim, "confluence-users"))

    assert result.already_done is False
    assert not sim.state.is_group_member("confluence-users", alice)


def test_idp_synced_group_is_changed_through_scim(connector, sim):
    priya = account_id(sim, "priya.raman@acme.example")

    result = connector.grant(priya, group_ref(sim, "engineering"))

    assert result.already_done is False
    assert sim.state.is_group_member("engineering", priya)


def test_idp_synced_group_for_a_user_outside_scim_says_use_the_identity_provider(
    connector, sim
):
    hana = account_id(sim, HANA)

    with pytest.raises(ManagedExternally, match="identity provider"):
        connector.grant(hana, group_ref(sim, "engineering"))

    assert not sim.state.is_group_member("engineering", hana)


def test_licence_limit_is_an_error_not_success(sim):
    sim.config.product_group_limits["jira-software-users"] = 1
    connector = AtlassianConnector(settings_for(sim), transport=sim.transport())
    outsider = next(
        u.account_id
        for u in sim.state.users.values()
        if u.managed
        and not sim.state.is_group_member("jira-software-users", u.account_id)
    )

    with pytest.raises(LicenceLimitReached):
        connector.grant(outsider, group_ref(sim, "jira-software-users"))

    assert not sim.state.is_group_member("jira-software-users", outsider)


# -- project roles -----------------------------------------------------------------------------


def test_granting_a_project_role_twice_adds_one_actor(connector, sim):
    hana = account_id(sim, HANA)
    ref = role_ref(sim, "WEB", "Viewer")

    first = connector.grant(hana, ref)
    second = connector.grant(hana, ref)

    assert (first.already_done, second.already_done) == (False, True)
    assert hana in sim.state.project_role_actors("WEB", "Viewer")


def test_revoking_a_project_role_twice(connector, sim):
    hana = account_id(sim, HANA)
    ref = role_ref(sim, "WEB", "Viewer")
    connector.grant(hana, ref)

    first = connector.revoke(hana, ref)
    second = connector.revoke(hana, ref)

    assert (first.already_done, second.already_done) == (False, True)
    assert hana not in sim.state.project_role_actors("WEB", "Viewer")


# -- space permissions -------------------------------------------------------------------------


def test_granting_a_space_permission_grants_read_first_and_says_so(connector, sim):
    hana = account_id(sim, HANA)
    ref = space_ref(sim, "ENG", "create", "page")

    result = connector.grant(hana, ref)

    assert result.also_granted == (space_ref(sim, "ENG", "read", "space"),)
    assert user_permissions(sim, "ENG", hana) == {("read", "space"), ("create", "page")}


def test_granting_a_held_space_permission_is_already_done(connector, sim):
    hana = account_id(sim, HANA)
    ref = space_ref(sim, "ENG", "read", "space")
    connector.grant(hana, ref)

    result = connector.grant(hana, ref)

    assert result.already_done is True


def test_revoking_read_space_reports_the_other_permissions_it_took(connector, sim):
    hana = account_id(sim, HANA)
    connector.grant(hana, space_ref(sim, "ENG", "create", "page"))

    result = connector.revoke(hana, space_ref(sim, "ENG", "read", "space"))

    assert result.also_revoked == (space_ref(sim, "ENG", "create", "page"),)
    assert user_permissions(sim, "ENG", hana) == set()


def test_revoking_an_absent_space_permission_is_already_done(connector, sim):
    hana = account_id(sim, HANA)

    result = connector.revoke(hana, space_ref(sim, "ENG", "delete", "page"))

    assert result.already_done is True


# -- org roles and invite ----------------------------------------------------------------------


def org_role_ref(sim, role="atlassian/user"):
    workspace = next(w for w in sim.config.workspaces if "confluence" in w)
    return EntitlementRef(EntitlementKind.ORG_ROLE, f"{role}@{workspace}")


def test_org_role_endpoint_not_enabled_says_what_to_do(connector, sim):
    with pytest.raises(FeatureNotEnabled, match="ask Atlassian support"):
        connector.grant(account_id(sim, HANA), org_role_ref(sim))


def test_org_role_assign_and_revoke_when_enabled(sim):
    sim.config.org_roles_enabled = True
    connector = AtlassianConnector(settings_for(sim), transport=sim.transport())
    hana = account_id(sim, HANA)
    ref = org_role_ref(sim)

    granted = connector.grant(hana, ref)
    again = connector.grant(hana, ref)
    revoked = connector.revoke(hana, ref)

    assert (granted.already_done, again.already_done, revoked.already_done) == (
        False,
        True,
        False,
    )
    assert sim.state.user_by_email(HANA).roles == []


def test_invite_not_enabled_is_feature_not_enabled(connector):
    with pytest.raises(FeatureNotEnabled):
        connector.invite_user("new.person@acme.example")


# -- accounts ----------------------------------------------------------------------------------


def draft(email="new.hire@acme.example"):
    return AccountDraft(
        email=email,
        given_name="New",
        family_name="Hire",
        title="Engineer",
        department="Engineering",
        organization="Acme",
        timezone="Europe/Berlin",
    )


def test_create_account_provisions_through_scim_and_joins_default_groups(
    connector, sim
):
    result = connector.create_account(draft())

    user = sim.state.user_by_email("new.hire@acme.example")
    assert result.created is True
    assert result.account.account_id == user.account_id
    assert (
        user.scim is not None
        and user.department == "Engineering"
        and user.title == "Engineer"
    )
    assert sim.state.is_group_member("jira-software-users", user.account_id)
    assert sim.state.is_group_member("confluence-users", user.account_id)


def test_creating_an_existing_account_links_it(connector, sim):
    result = connector.create_account(draft(ALICE))

    assert result.created is False
    assert result.account.account_id == account_id(sim, ALICE)


def test_update_account_patches_mapped_attributes(connector, sim):
    alice = account_id(sim, ALICE)

    record = connector.update_account(
        alice, {"department": "Platform", "title": "Staff Engineer"}
    )

    assert (record.department, record.title) == ("Platform", "Staff Engineer")
    assert sim.state.user_by_email(ALICE).department == "Platform"


def test_update_rejects_unmapped_attributes(connector, sim):
    with pytest.raises(Invalid, match="cannot be written"):
        connector.update_account(account_id(sim, ALICE), {"shoe_size": "44"})


def test_disable_and_enable_a_scim_user(connector, sim):
    alice = account_id(sim, ALICE)

    disabled = connector.disable_account(alice)
    again = connector.disable_account(alice)
    suspended = sim.state.user_by_email(ALICE).suspended
    enabled = connector.enable_account(alice)

    assert (disabled.already_done, again.already_done, enabled.already_done) == (
        False,
        True,
        False,
    )
    assert suspended is True
    assert sim.state.user_by_email(ALICE).suspended is False


def test_disable_a_user_outside_scim_suspends_access(connector, sim):
    hana = account_id(sim, HANA)

    result = connector.disable_account(hana)

    assert result.already_done is False
    assert sim.state.user_by_email(HANA).suspended is True


def test_delete_a_scim_user_twice(connector, sim):
    alice = account_id(sim, ALICE)

    first = connector.delete_account(alice)
    second = connector.delete_account(alice)

    assert first.already_done is False
    assert second.already_done is True
    assert sim.state.user_by_email(ALICE).scim is None


def test_delete_a_user_outside_scim_removes_them_from_the_directory(connector, sim):
    hana = account_id(sim, HANA)

    result = connector.delete_account(hana)

    assert result.already_done is False
    assert sim.state.user_by_email(HANA).in_directory is False


# -- statistics and secrets --------------------------------------------------------------------


def test_call_stats_count_calls_per_family(connector):
    list(connector.iter_entitlements([EntitlementKind.GROUP]))

    stats = connector.call_stats()

    assert stats.by_family["jira"] >= 1
    assert stats.by_family["admin"] >= 1
    assert stats.total == sum(stats.by_family.values())


def test_secrets_never_reach_logs_reprs_or_errors(sim, caplog):
    caplog.set_level(logging.DEBUG)
    settings = settings_for(sim)
    connector = AtlassianConnector(
        settings, transport=sim.transport(), policy=RetryPolicy(sleep=lambda _: None)
    )
    wrong = AtlassianConnector(
        settings_for(sim, api_token="wrong-token-xyz"), transport=sim.transport()
    )
    list(connector.iter_accounts())
    checks = wrong.test_connection()
    with pytest.raises(AuthenticationFailed) as caught:
        wrong.grant(account_id(sim, ALICE), group_ref(sim, "design"))

    text = (
        caplog.text
        + repr(settings)
        + repr(connector)
        + repr(checks)
        + repr(connector.families.jira.api.http.auth)
        + str(caught.value)
        + repr(caught.value)
    )

    for secret in (
        settings.api_token,
        settings.directory_api_key,
        settings.org_api_key,
        "wrong-token-xyz",
    ):
        assert secret not in text
