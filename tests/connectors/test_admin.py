"""The catalog's admin: write-only secrets, test connection, reconcile now, the run page."""

from __future__ import annotations

import pytest
from django.contrib.admin import site
from django.urls import reverse
from django.utils import timezone

from connectors.admin import ApplicationAdmin, ApplicationForm
from connectors.models import (
    Application,
    Assignment,
    ReconciliationRun,
    RunStatus,
    RunTrigger,
)
from connectors.reconcile import execute_run, start_run
from tests.connectors.reconcile_support import reconcile

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def form_data(application: Application, **changes: str) -> dict[str, object]:
    data = {
        "name": application.name,
        "is_enabled": "on",
        "is_trusted_source": "on",
        "drift_policy": application.drift_policy,
        "site_url": application.site_url,
        "admin_email": application.admin_email,
        "scim_url": application.scim_url,
        "directory_id": application.directory_id,
        "admin_api_url": application.admin_api_url,
        "org_id": application.org_id,
        "default_groups": '["jira-software-users"]',
        "max_concurrency": "4",
        "api_token": "",
        "directory_api_key": "",
        "org_api_key": "",
    }
    data.update(changes)
    return data


# -- secrets ----------------------------------------------------------------------------------


def test_application_page_never_shows_a_secret(admin_client, application):
    page = admin_client.get(
        reverse("admin:connectors_application_change", args=[application.pk])
    )

    html = page.content.decode()
    assert page.status_code == 200
    for secret in (
        application.api_token,
        application.directory_api_key,
        application.org_api_key,
    ):
        assert secret not in html
    assert "Leave blank to keep it" in html


def test_blank_secret_keeps_the_stored_value_and_a_new_one_replaces_it(application):
    token, org_key = application.api_token, application.org_api_key
    form = ApplicationForm(
        form_data(application, org_api_key="new-org-key"), instance=application
    )

    assert form.is_valid(), form.errors
    form.save()

    application.refresh_from_db()
    assert application.api_token == token
    assert application.org_api_key == "new-org-key" != org_key


def test_saving_the_application_page_keeps_what_a_run_wrote_meanwhile(
    application, admin, rf
):
    on_the_page = Application.objects.get(pk=application.pk)
    Application.objects.filter(pk=application.pk).update(
        baseline_taken_at=timezone.now(),
        baseline_adopted=7,
        sync_state={"last_complete_run": "2026-12-02T06:00:00Z"},
    )
    form = ApplicationForm(
        form_data(on_the_page, max_concurrency="6"), instance=on_the_page
    )
    assert form.is_valid(), form.errors
    request = rf.post("/")
    request.user = admin

    ApplicationAdmin(Application, site).save_model(
        request, form.save(commit=False), form, change=True
    )

    application.refresh_from_db()
    assert application.max_concurrency == 6
    assert application.baseline_adopted == 7
    assert application.sync_state == {"last_complete_run": "2026-12-02T06:00:00Z"}


def test_secrets_are_stored_encrypted(application):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT api_token FROM connectors_application WHERE id = %s",
            [application.pk],
        )
        stored = cursor.fetchone()[0]

    assert application.api_token not in stored


# -- test connection ---------------------------------------------------------------------------


def test_test_connection_reports_each_api_family(admin_client, application):
    url = reverse("admin:connectors_application_test_connection", args=[application.pk])

    page = admin_client.post(url)

    html = page.content.decode()
    assert page.status_code == 200
    for family in (
        "User provisioning (SCIM)",
        "Organizations (Admin API)",
        "Jira",
        "Confluence",
    ):
        assert f'<th scope="row">{family}</th>' in html
    assert "Failed" not in html


def test_test_connection_shows_atlassians_message_for_a_wrong_key(
    admin_client, application, simulator
):
    simulator.config.org_api_key = "rotated"
    url = reverse("admin:connectors_application_test_connection", args=[application.pk])

    html = admin_client.post(url).content.decode()

    assert "Failed" in html
    assert "401" in html


# -- reconcile now and the run page -------------------------------------------------------------


def test_reconcile_now_queues_a_run_and_opens_its_page(
    admin_client, admin, application
):
    url = reverse("admin:connectors_application_reconcile", args=[application.pk])

    response = admin_client.post(url, {"mode": "incremental"})

    run = ReconciliationRun.objects.get()
    assert response.url == reverse(
        "admin:connectors_reconciliationrun_change", args=[run.pk]
    )
    assert (run.status, run.is_incremental, run.trigger) == (
        RunStatus.QUEUED,
        True,
        RunTrigger.ADMIN,
    )
    assert run.triggered_by == admin


def test_reconcile_now_while_a_run_is_active_says_so(admin_client, application):
    running = start_run(application)
    url = reverse("admin:connectors_application_reconcile", args=[application.pk])

    page = admin_client.post(url, {"mode": "full"}, follow=True)

    assert f"already running (run #{running.pk})" in page.content.decode()
    assert ReconciliationRun.objects.count() == 1


def test_run_page_refreshes_while_the_run_is_queued(admin_client, application):
    run = start_run(application)

    html = admin_client.get(
        reverse("admin:connectors_reconciliationrun_change", args=[run.pk])
    ).content.decode()

    assert 'http-equiv="refresh"' in html
    assert "Queued" in html


def test_run_page_shows_progress_counts_and_api_calls_when_done(
    admin_client, application
):
    run = execute_run(start_run(application).pk)

    html = admin_client.get(
        reverse("admin:connectors_reconciliationrun_change", args=[run.pk])
    ).content.decode()

    assert 'http-equiv="refresh"' not in html
    assert "Succeeded" in html
    assert '<progress max="100" value="100"' in html
    assert "group_assignments" in html
    assert "<td>Jira</td>" in html


def test_failed_run_page_shows_the_error(admin_client, application, simulator):
    simulator.config.org_api_key = "rotated"
    run = reconcile(application)

    html = admin_client.get(
        reverse("admin:connectors_reconciliationrun_change", args=[run.pk])
    ).content.decode()

    assert run.status == RunStatus.FAILED
    assert "errornote" in html
    assert "401" in html


# -- the catalog ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "query"),
    [
        ("account", "q=alice"),
        ("account", "present=no"),
        ("entitlement", "kind__exact=project_role"),
        ("resource", "kind__exact=space"),
        ("assignment", "current=yes&held=direct"),
        ("assignment", "held=group&entitlement__kind=space_permission"),
        ("reconciliationrun", "status__exact=succeeded"),
    ],
)
def test_catalog_lists_load_with_filters(admin_client, application, model, query):
    reconcile(application)

    page = admin_client.get(
        reverse(f"admin:connectors_{model}_changelist") + "?" + query
    )

    assert page.status_code == 200  # an unknown filter would redirect to ?e=1


def test_entitlement_holders_link_lists_its_assignments(admin_client, application):
    reconcile(application)
    from tests.connectors.reconcile_support import entitlement

    member = entitlement("API · Member")
    page = admin_client.get(
        reverse("admin:connectors_assignment_changelist")
        + f"?entitlement__exact={member.pk}&current=yes"
    )

    assert page.status_code == 200
    assert "Alice Carter" in page.content.decode()


def test_account_page_shows_access_through_groups(admin_client, application):
    reconcile(application)
    from tests.connectors.reconcile_support import account

    alice = account("alice.requester@acme.example")
    page = admin_client.get(reverse("admin:connectors_account_change", args=[alice.pk]))

    html = page.content.decode()
    assert "Access through groups" in html
    assert "MOB · Member <span class='quiet'>through engineering</span>" in html


def test_entitlement_page_counts_members_of_holding_groups(
    admin_client, application, simulator
):
    reconcile(application)
    from tests.connectors.reconcile_support import entitlement

    members = simulator.state.group_by_name("engineering").members
    mob = entitlement("MOB · Member")
    page = admin_client.get(
        reverse("admin:connectors_entitlement_change", args=[mob.pk])
    )

    html = page.content.decode()
    assert "Accounts holding it (directly or through a group)" in html
    held = {a.email for a in Assignment.objects.holders_of(mob)}
    assert {simulator.state.users[m].email for m in members} <= held
    assert f'<div class="readonly">{len(held)}</div>' in html


# -- drift baseline ---------------------------------------------------------------------------


def test_adopting_existing_access_is_switched_on_next_to_the_drift_policy(
    admin_client, application
):
    form = ApplicationForm(
        form_data(application, adopts_existing_access="on"), instance=application
    )
    assert form.is_valid(), form.errors
    form.save()

    page = admin_client.get(
        reverse("admin:connectors_application_change", args=[application.pk])
    )

    application.refresh_from_db()
    html = page.content.decode()
    assert application.adopts_existing_access
    assert "Adopt existing access at the first drift check" in html
    assert "Not taken yet: the next drift check takes it" in html


def test_application_page_shows_when_the_baseline_was_taken_and_how_many_adopted(
    admin_client, application
):
    application.adopts_existing_access = True
    application.save()
    reconcile(application)
    application.refresh_from_db()

    page = admin_client.get(
        reverse("admin:connectors_application_change", args=[application.pk])
    )

    assert application.baseline_adopted > 50
    assert f"Taken {application.baseline_taken_at:%Y-%m-%d}" in page.content.decode()
    assert f": {application.baseline_adopted} adopted" in page.content.decode()
