"""The connector resource API that external IGA systems call (HTTP Basic)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from approvals.models import JobStatus, ProvisioningJob
from connectors.models import Account, Entitlement
from tests.api.conftest import SERVICE_PASSWORD, basic

pytestmark = pytest.mark.django_db

BASE = "/api/v1/connector"


def test_no_credentials_is_401_with_a_basic_challenge(catalog, service_account):
    response = APIClient().get(f"{BASE}/Account")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic")


def test_wrong_password_is_401(catalog, service_account):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic("idhub", "not-the-password"))

    assert client.get(f"{BASE}/Account").status_code == 401


def test_a_person_who_is_not_the_service_account_gets_403(catalog, requester):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic("requester", "pw-requester"))

    response = client.get(f"{BASE}/Entitlement")

    assert response.status_code == 403
    assert "connector service account" in response.json()["detail"]


def test_a_portal_token_does_not_open_the_connector_api(
    catalog, service_account, client_for
):
    response = client_for(service_account).get(f"{BASE}/Account")

    assert response.status_code == 401


def test_accounts_are_listed_page_by_page(catalog, connector_client):
    body = connector_client.get(f"{BASE}/Account", {"page_size": 20}).json()

    assert body["count"] == Account.objects.filter(removed_at__isnull=True).count()
    assert len(body["results"]) == 20
    assert body["next"]
    assert {"id", "email", "displayName", "active", "entitlements"} <= set(
        body["results"][0]
    )


def test_account_by_id_shows_what_it_holds(catalog, connector_client, simulator):
    alice = Account.objects.get(email="alice.requester@acme.example")
    held = set(alice.assignments.current().values_list("entitlement_id", flat=True))

    body = connector_client.get(f"{BASE}/Account/{alice.account_id}").json()

    assert body["id"] == alice.account_id
    assert body["email"] == "alice.requester@acme.example"
    assert body["active"] is True
    assert set(body["entitlements"]) == held


def test_unknown_account_is_404(catalog, connector_client):
    assert connector_client.get(f"{BASE}/Account/557058:nobody").status_code == 404


def test_filter_accounts_by_email(catalog, connector_client):
    body = connector_client.get(
        f"{BASE}/Account", {"email": "BOB.manager@acme.example"}
    ).json()

    assert [a["email"] for a in body["results"]] == ["bob.manager@acme.example"]


def test_entitlements_carry_description_display_name_type_and_form(
    catalog, connector_client
):
    role = Entitlement.objects.filter(kind="project_role").first()

    body = connector_client.get(f"{BASE}/Entitlement/{role.pk}").json()

    assert body["id"] == role.pk
    assert body["displayName"] == role.display_name
    assert body["description"] == role.description
    assert body["type"] == "project_role"
    assert body["resource"]["key"] == role.resource.key
    assert {field["name"] for field in body["form"]} >= {
        "justification",
        "duration_days",
    }


def test_entitlements_filter_by_type(catalog, connector_client):
    body = connector_client.get(
        f"{BASE}/Entitlement", {"type": "group", "page_size": 500}
    ).json()

    assert body["count"] == Entitlement.objects.filter(kind="group").count()
    assert {e["type"] for e in body["results"]} == {"group"}


def test_create_account_queues_a_job_that_creates_it_in_atlassian(
    catalog, connector_client, run_jobs, simulator
):
    response = connector_client.post(
        f"{BASE}/Account",
        {
            "email": "new.joiner@acme.example",
            "displayName": "New Joiner",
            "givenName": "New",
            "familyName": "Joiner",
            "department": "Design",
        },
        format="json",
    )
    run_jobs()
    job = connector_client.get(response["Location"]).json()

    assert response.status_code == 202
    assert response.json()["operation"] == "accounts.create"
    assert job["status"] == JobStatus.SUCCEEDED
    created = simulator.state.user_by_email("new.joiner@acme.example")
    assert created is not None
    assert job["accountId"] == created.account_id
    assert (
        connector_client.get(f"{BASE}/Account/{created.account_id}").status_code == 200
    )


def test_creating_an_existing_email_is_a_400(catalog, connector_client):
    response = connector_client.post(
        f"{BASE}/Account", {"email": "alice.requester@acme.example"}, format="json"
    )

    assert response.status_code == 400
    assert "email" in response.json()


def test_create_without_a_valid_email_is_a_400(catalog, connector_client):
    response = connector_client.post(
        f"{BASE}/Account", {"email": "not an email"}, format="json"
    )

    assert response.status_code == 400
    assert "email" in response.json()


def test_disabling_an_account_suspends_it_in_atlassian(
    catalog, connector_client, run_jobs, simulator
):
    alice = Account.objects.get(email="alice.requester@acme.example")

    response = connector_client.patch(
        f"{BASE}/Account/{alice.account_id}", {"active": False}, format="json"
    )
    run_jobs()

    assert response.status_code == 202
    assert response.json()["operation"] == "accounts.disable"
    assert not simulator.state.user_by_email("alice.requester@acme.example").active
    body = connector_client.get(f"{BASE}/Account/{alice.account_id}").json()
    assert body["active"] is False


def test_updating_attributes_writes_them_to_atlassian(
    catalog, connector_client, run_jobs, simulator
):
    alice = Account.objects.get(email="alice.requester@acme.example")

    response = connector_client.patch(
        f"{BASE}/Account/{alice.account_id}",
        {"department": "Platform", "title": "Staff Engineer"},
        format="json",
    )
    run_jobs()

    assert response.status_code == 202
    assert response.json()["operation"] == "accounts.update"
    person = simulator.state.user_by_email("alice.requester@acme.example")
    assert (person.department, person.title) == ("Platform", "Staff Engineer")
    body = connector_client.get(f"{BASE}/Account/{alice.account_id}").json()
    assert body["department"] == "Platform"


def test_attribute_the_mapping_keeps_from_atlassian_is_a_400(catalog, connector_client):
    from connectors.models import AttributeMapping, SyncDirection

    AttributeMapping.objects.filter(
        application=catalog, atlassian_attribute="title"
    ).update(direction=SyncDirection.TO_PORTAL)
    alice = Account.objects.get(email="alice.requester@acme.example")

    response = connector_client.patch(
        f"{BASE}/Account/{alice.account_id}", {"title": "CEO"}, format="json"
    )

    assert response.status_code == 400
    assert "title" in response.json()


def test_updating_an_unknown_attribute_is_a_400(catalog, connector_client):
    alice = Account.objects.get(email="alice.requester@acme.example")

    response = connector_client.patch(
        f"{BASE}/Account/{alice.account_id}", {"accountType": "app"}, format="json"
    )

    assert response.status_code == 400
    assert "accountType" in response.json()


def test_update_with_nothing_to_change_is_a_400(catalog, connector_client):
    alice = Account.objects.get(email="alice.requester@acme.example")

    response = connector_client.patch(
        f"{BASE}/Account/{alice.account_id}", {}, format="json"
    )

    assert response.status_code == 400


def test_deleting_an_account_queues_its_removal(
    catalog, connector_client, run_jobs, simulator
):
    alice = Account.objects.get(email="alice.requester@acme.example")

    response = connector_client.delete(f"{BASE}/Account/{alice.account_id}")
    run_jobs()

    job = ProvisioningJob.objects.get(pk=response.json()["id"])
    assert response.status_code == 202
    assert job.payload["operation"] == "accounts.delete"
    assert job.status == JobStatus.SUCCEEDED
    assert not simulator.state.user_by_email("alice.requester@acme.example").active
    alice.refresh_from_db()
    assert alice.status == "closed"
    assert job.created_by.username == "idhub"


def test_a_job_of_someone_else_is_not_visible(catalog, connector_client):
    from tests.factories import ProvisioningJobFactory

    job = ProvisioningJobFactory(grant__entitlement__application=catalog)

    assert connector_client.get(f"{BASE}/Job/{job.pk}").status_code == 404


def test_service_account_command_is_idempotent_and_keeps_the_password(
    service_account,
):
    from io import StringIO

    from django.core.management import call_command

    call_command("create_connector_service_account", "idhub", stdout=StringIO())

    service_account.refresh_from_db()
    assert service_account.check_password(SERVICE_PASSWORD)
    assert service_account.groups.filter(name="connector-service").count() == 1


def test_service_account_command_generates_a_password_and_audits(db):
    from io import StringIO

    from django.core.management import call_command

    from accessportal.models import User
    from approvals.models import AuditEvent

    out = StringIO()
    call_command("create_connector_service_account", "sailpoint", stdout=out)

    password = out.getvalue().split("Password (shown once): ")[1].split()[0]
    user = User.objects.get(username="sailpoint")
    assert user.check_password(password)
    assert not user.is_staff
    event = AuditEvent.objects.get(action="identity.service_account")
    assert password not in str(event.after) + event.message


def test_an_administrator_cannot_become_the_service_account(admin):
    from io import StringIO

    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="administrator"):
        call_command("create_connector_service_account", "admin", stdout=StringIO())


def test_an_account_in_two_applications_needs_the_application(
    catalog, connector_client
):
    from tests.factories import AccountFactory, ApplicationFactory

    alice = Account.objects.get(email="alice.requester@acme.example")
    other = ApplicationFactory(name="Second organization")
    AccountFactory(application=other, account_id=alice.account_id)

    ambiguous = connector_client.delete(f"{BASE}/Account/{alice.account_id}")
    chosen = connector_client.get(
        f"{BASE}/Account/{alice.account_id}", {"application": other.pk}
    )

    assert ambiguous.status_code == 400
    assert "application" in ambiguous.json()
    assert chosen.json()["applicationId"] == other.pk


def test_a_nul_byte_in_the_account_id_is_a_404(catalog, connector_client):
    assert connector_client.get(f"{BASE}/Account/abc%00def").status_code == 404
