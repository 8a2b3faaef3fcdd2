"""Trusted-source identities: match by email, update per the attribute mapping, create."""

from __future__ import annotations

import pytest

from accessportal.models import IdentitySource, User
from connectors.models import AttributeMapping, SyncDirection
from connectors.signals import identity_deactivated
from tests.connectors.reconcile_support import account, reconcile, sim_user

pytestmark = pytest.mark.django_db

ALICE = "alice.requester@acme.example"
BOB = "bob.manager@acme.example"


def test_new_application_gets_the_default_attribute_mapping(application):
    mappings = {m.atlassian_attribute: m for m in application.attribute_mappings.all()}

    assert mappings["email"].portal_attribute == "email"
    assert mappings["email"].is_recon_key
    assert mappings["givenName"].portal_attribute == "firstName"
    assert mappings["title"].portal_attribute == "jobTitle"
    assert mappings["userName"].portal_attribute == "login"
    assert mappings["id"].is_read_only
    assert len(mappings) == 12


def test_trusted_source_creates_identities_with_profile_and_manager(application):
    reconcile(application)

    alice = User.objects.get(email=ALICE)
    assert alice.source == IdentitySource.ATLASSIAN
    assert (alice.first_name, alice.last_name) == ("Alice", "Carter")
    assert alice.department == "Engineering"
    assert alice.job_title == "Software Engineer"
    assert alice.manager == User.objects.get(email=BOB)
    assert not alice.has_usable_password()
    assert account(ALICE).identity == alice


def test_existing_identity_is_matched_case_insensitively_and_updated(
    application, make_person
):
    alice = make_person("alice", email=ALICE.upper(), department="Old department")

    reconcile(application)

    alice.refresh_from_db()
    assert User.objects.filter(email__iexact=ALICE).count() == 1
    assert account(ALICE).identity == alice
    assert alice.username == "alice"  # logins are never renamed
    assert alice.department == "Engineering"
    assert alice.email == ALICE  # email flows both ways: Atlassian's spelling wins here
    assert alice.check_password("pw-alice")  # the local password is kept


def test_identity_follows_changes_in_atlassian(application, simulator):
    reconcile(application)
    simulator.state.users[sim_user(simulator, ALICE).seq].title = "Staff Engineer"

    reconcile(application, incremental=True)

    assert User.objects.get(email=ALICE).job_title == "Staff Engineer"


def test_mapping_with_direction_none_is_not_copied(application, make_person):
    AttributeMapping.objects.filter(
        application=application, atlassian_attribute="title"
    ).update(direction=SyncDirection.NONE)
    alice = make_person("alice", email=ALICE, job_title="Kept")

    reconcile(application)

    alice.refresh_from_db()
    assert alice.job_title == "Kept"
    assert alice.department == "Engineering"


def test_not_trusted_source_links_accounts_but_neither_creates_nor_updates(
    application, make_person
):
    application.is_trusted_source = False
    application.save()
    alice = make_person("alice", email=ALICE, department="Local")

    reconcile(application)

    alice.refresh_from_db()
    assert account(ALICE).identity == alice
    assert alice.department == "Local"
    assert not User.objects.filter(email=BOB).exists()


def test_external_and_app_accounts_create_no_identity(application, simulator):
    reconcile(application)

    outsiders = [u for u in simulator.state.users.values() if not u.managed]
    assert outsiders
    assert not User.objects.filter(email__in=[u.email for u in outsiders]).exists()


def test_suspended_account_deactivates_its_identity_and_says_so(application, simulator):
    reconcile(application)
    heard = []

    def listener(sender, identity, **kwargs):
        heard.append(identity.email)

    identity_deactivated.connect(listener)
    simulator.state.users[sim_user(simulator, ALICE).seq].suspended = True
    try:
        reconcile(application)
    finally:
        identity_deactivated.disconnect(listener)

    alice = User.objects.get(email=ALICE)
    assert not alice.is_active
    assert alice.deactivated_at is not None
    assert heard == [ALICE]


def test_superuser_is_never_deactivated_by_the_trusted_source(
    application, simulator, make_person
):
    make_person("carol", email=ALICE, is_staff=True, is_superuser=True)
    simulator.state.users[sim_user(simulator, ALICE).seq].suspended = True

    reconcile(application)

    assert User.objects.get(email=ALICE).is_active


def test_reconciliation_key_must_be_email_or_login(application):
    from django.core.exceptions import ValidationError

    department = AttributeMapping.objects.get(
        application=application, atlassian_attribute="department"
    )
    AttributeMapping.objects.filter(application=application, is_recon_key=True).update(
        is_recon_key=False
    )
    department.is_recon_key = True

    with pytest.raises(ValidationError, match="email or the login"):
        department.full_clean()
