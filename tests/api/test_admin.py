"""The admin site as an administrator uses it (Django test client, signed in as admin).

Test connection, reconcile with visible progress (the reconciliation engineer's
Application and run pages), retry a failed job, revoke a grant, decide a request,
correct drift, and the read-only audit trail.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib import admin as django_admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from approvals.models import (
    AccessRequest,
    AuditEvent,
    DriftFinding,
    DriftStatus,
    Grant,
    GrantState,
    JobStatus,
    ProvisioningJob,
    RequestState,
)
from connectors.models import ReconciliationRun, RunStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_site(client, admin):
    client.force_login(admin)
    return client


@pytest.fixture
def approved(requester, manager, client_for, design_group):
    """A request for the design group, approved by the manager (job not run yet)."""
    made = client_for(requester).post(
        "/api/v1/requests/",
        {"entitlement": design_group.pk, "justification": "Design work"},
        format="json",
    )
    request_id = made.json()["id"]
    client_for(manager).post(
        f"/api/v1/requests/{request_id}/approve/", {}, format="json"
    )
    return AccessRequest.objects.get(pk=request_id)


def run_action(client, model: str, action: str, ids: list[int], **extra):
    url = reverse(f"admin:approvals_{model}_changelist")
    data = {"action": action, ACTION_CHECKBOX_NAME: [str(i) for i in ids], **extra}
    return client.post(url, data, follow=True)


def set_credentials(application, *, valid: bool) -> None:
    application.refresh_from_db()
    application.api_token = settings.ATLASSIAN_API_TOKEN if valid else "wrong"
    application.directory_api_key = (
        settings.ATLASSIAN_DIRECTORY_API_KEY if valid else "wrong"
    )
    application.org_api_key = settings.ATLASSIAN_ORG_API_KEY if valid else "wrong"
    application.save()


def test_every_admin_list_and_add_page_loads(admin_site, catalog, approved):
    for model, model_admin in django_admin.site._registry.items():
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")

        response = admin_site.get(changelist)

        assert response.status_code == 200, changelist
        if model_admin.has_add_permission(response.wsgi_request):
            add = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
            assert admin_site.get(add).status_code == 200, add


def test_admin_tests_the_connection_per_api_family(admin_site, catalog):
    url = reverse("admin:connectors_application_test_connection", args=[catalog.pk])

    page = admin_site.post(url).content.decode()

    for family in ("SCIM", "Admin", "Jira", "Confluence"):
        assert family.lower() in page.lower()
    assert "OK" in page


def test_admin_reconciles_and_sees_the_progress(admin_site, catalog):
    from connectors.reconcile import execute_run

    url = reverse("admin:connectors_application_reconcile", args=[catalog.pk])

    queued_page = admin_site.post(url, {"mode": "incremental"}, follow=True)
    run = ReconciliationRun.objects.filter(application=catalog).first()
    execute_run(run.pk)
    done_page = admin_site.get(
        reverse("admin:connectors_reconciliationrun_change", args=[run.pk])
    )

    assert run.is_incremental
    assert f"run #{run.pk}" in queued_page.content.decode()
    assert "refreshes every 2 seconds" in queued_page.content.decode()
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    assert "accounts" in done_page.content.decode()


def test_admin_retries_a_failed_job_and_the_access_arrives(
    admin_site, approved, run_jobs, simulator
):
    set_credentials(approved.entitlement.application, valid=False)
    run_jobs()
    job = ProvisioningJob.objects.get(grant__request=approved)
    failed_list = admin_site.get(
        reverse("admin:approvals_provisioningjob_changelist"),
        {"status__exact": "failed"},
    ).content.decode()
    set_credentials(approved.entitlement.application, valid=True)

    page = run_action(admin_site, "provisioningjob", "retry_jobs", [job.pk])
    run_jobs()

    assert job.status == JobStatus.FAILED
    assert job.last_error[:40] in failed_list
    assert "Sent again: 1 of 1" in page.content.decode()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert simulator.state.is_group_member("design", job.account.account_id)


def test_admin_retry_says_which_selected_jobs_had_not_failed(admin_site, approved):
    job = ProvisioningJob.objects.get(grant__request=approved)

    page = run_action(admin_site, "provisioningjob", "retry_jobs", [job.pk])

    assert job.status == JobStatus.PENDING
    assert "1 selected job(s) had not failed; left as they are." in (
        page.content.decode()
    )


def test_failed_job_page_offers_retry_and_the_button_sends_it_again(
    admin_site, approved, run_jobs, simulator
):
    set_credentials(approved.entitlement.application, valid=False)
    run_jobs()
    job = ProvisioningJob.objects.get(grant__request=approved)
    page = admin_site.get(
        reverse("admin:approvals_provisioningjob_change", args=[job.pk])
    ).content.decode()
    set_credentials(approved.entitlement.application, valid=True)

    done = run_action(admin_site, "provisioningjob", "retry_jobs", [job.pk])
    run_jobs()

    assert '<button type="submit" class="object-tool-button">Retry</button>' in page
    assert 'name="action" value="retry_jobs"' in page
    assert "Sent again: 1 of 1" in done.content.decode()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED


def test_retry_from_the_job_page_comes_back_to_the_job_page(
    admin_site, approved, run_jobs
):
    set_credentials(approved.entitlement.application, valid=False)
    run_jobs()
    job = ProvisioningJob.objects.get(grant__request=approved)
    set_credentials(approved.entitlement.application, valid=True)

    done = run_action(
        admin_site, "provisioningjob", "retry_jobs", [job.pk], from_object="1"
    )

    job_page = reverse("admin:approvals_provisioningjob_change", args=[job.pk])
    assert done.redirect_chain[-1][0] == job_page
    assert "Sent again: 1 of 1" in done.content.decode()


def test_job_page_offers_no_retry_unless_the_job_failed(admin_site, approved):
    job = ProvisioningJob.objects.get(grant__request=approved)

    page = admin_site.get(
        reverse("admin:approvals_provisioningjob_change", args=[job.pk])
    ).content.decode()

    assert 'class="object-tool-button"' not in page


def test_job_list_shows_the_cause_of_a_long_atlassian_message(
    admin_site, approved, run_jobs, simulator
):
    members = len(simulator.state.group_by_name("design").members)
    simulator.config.product_group_limits["design"] = members
    run_jobs()

    page = admin_site.get(
        reverse("admin:approvals_provisioningjob_changelist"),
        {"status__exact": "failed"},
    ).content.decode()

    assert f"would exceed the license limit ({members} users)" in page


def test_grant_page_offers_revoke_until_the_grant_ends(admin_site, approved, run_jobs):
    run_jobs()
    grant = Grant.objects.get(request=approved)
    url = reverse("admin:approvals_grant_change", args=[grant.pk])
    active_page = admin_site.get(url).content.decode()

    run_action(
        admin_site,
        "grant",
        "revoke_grants",
        [grant.pk],
        confirmed="yes",
        reason="No longer needed",
    )
    run_jobs()

    assert '<button type="submit" class="object-tool-button">Revoke</button>' in (
        active_page
    )
    assert 'name="action" value="revoke_grants"' in active_page
    assert 'class="object-tool-button"' not in admin_site.get(url).content.decode()


def test_admin_revokes_a_grant_with_a_reason(admin_site, approved, run_jobs, simulator):
    run_jobs()
    grant = Grant.objects.get(request=approved)

    asked = run_action(admin_site, "grant", "revoke_grants", [grant.pk])
    done = run_action(
        admin_site,
        "grant",
        "revoke_grants",
        [grant.pk],
        confirmed="yes",
        reason="Left the design team",
    )
    run_jobs()

    assert "reason" in asked.content.decode().lower()
    assert "Revoking: 1 of 1" in done.content.decode()
    grant.refresh_from_db()
    assert grant.state == GrantState.REVOKED
    assert grant.end_reason == "Left the design team"
    assert not simulator.state.is_group_member("design", grant.account.account_id)


def test_revoke_from_the_grant_page_asks_why_then_comes_back_to_the_grant(
    admin_site, approved, run_jobs
):
    run_jobs()
    grant = Grant.objects.get(request=approved)

    asked = run_action(
        admin_site, "grant", "revoke_grants", [grant.pk], from_object="1"
    )
    done = run_action(
        admin_site,
        "grant",
        "revoke_grants",
        [grant.pk],
        confirmed="yes",
        reason="Project over",
        from_object="1",
    )

    assert 'name="from_object" value="1"' in asked.content.decode()
    grant_page = reverse("admin:approvals_grant_change", args=[grant.pk])
    assert done.redirect_chain[-1][0] == grant_page
    assert "Revoking: 1 of 1" in done.content.decode()


def test_revoke_without_a_reason_asks_again(admin_site, approved, run_jobs):
    run_jobs()
    grant = Grant.objects.get(request=approved)

    page = run_action(
        admin_site, "grant", "revoke_grants", [grant.pk], confirmed="yes", reason=""
    )

    grant.refresh_from_db()
    assert "This field is required" in page.content.decode()
    assert grant.state == GrantState.ACTIVE


def test_request_page_shows_steps_decisions_and_timeline(admin_site, approved):
    url = reverse("admin:approvals_accessrequest_change", args=[approved.pk])

    page = admin_site.get(url).content.decode()

    assert "Timeline" in page
    assert "Requested" in page
    assert "Manager: Approve" in page


def test_admin_decides_a_request_as_override(
    admin_site, requester, client_for, finance_group
):
    made = client_for(requester).post(
        "/api/v1/requests/",
        {"entitlement": finance_group.pk, "justification": "Budget review"},
        format="json",
    )
    request_id = made.json()["id"]

    run_action(
        admin_site,
        "accessrequest",
        "approve_requests",
        [request_id],
        confirmed="yes",
        reason="Quarter close; manager away",
    )

    access_request = AccessRequest.objects.get(pk=request_id)
    decision = access_request.steps.get().decisions.get()
    assert access_request.state == RequestState.APPROVED
    assert decision.is_override
    assert decision.comment == "Quarter close; manager away"


def test_admin_corrects_drift(admin_site, catalog):
    finding = DriftFinding.objects.filter(status=DriftStatus.OPEN).first()

    page = run_action(admin_site, "driftfinding", "correct_findings", [finding.pk])

    finding.refresh_from_db()
    assert "Correction queued: 1 of 1" in page.content.decode()
    assert finding.status == DriftStatus.CORRECTING
    assert finding.job.status == JobStatus.PENDING


def test_audit_trail_is_read_only_in_the_admin(admin_site, approved):
    event = AuditEvent.objects.first()
    change = reverse("admin:approvals_auditevent_change", args=[event.pk])
    delete = reverse("admin:approvals_auditevent_delete", args=[event.pk])

    view_page = admin_site.get(change).content.decode()
    posted = admin_site.post(change, {"action": "tampered"})
    delete_page = admin_site.get(delete)
    add_page = admin_site.get(reverse("admin:approvals_auditevent_add"))
    changelist = admin_site.get(reverse("admin:approvals_auditevent_changelist"))

    assert 'name="_save"' not in view_page
    assert posted.status_code == 403
    assert delete_page.status_code == 403
    assert add_page.status_code == 403
    assert "delete_selected" not in changelist.content.decode()
    assert AuditEvent.objects.get(pk=event.pk).action == event.action


def test_audit_trail_search_and_export(admin_site, approved):
    changelist = reverse("admin:approvals_auditevent_changelist")

    found = admin_site.get(changelist, {"q": "request.approved"})
    exported = run_action(
        admin_site,
        "auditevent",
        "export_csv",
        list(AuditEvent.objects.values_list("pk", flat=True)),
    )

    assert "request.approved" in found.content.decode()
    assert exported["Content-Type"].startswith("text/csv")
    assert b"request.submitted" in b"".join(exported.streaming_content)


def test_admin_deactivates_a_leaver_and_their_access_goes(
    admin_site, approved, run_jobs, simulator
):
    run_jobs()
    grant = Grant.objects.get(request=approved)
    person = approved.beneficiary
    page = admin_site.get(reverse("admin:accessportal_user_change", args=[person.pk]))

    done = run_action_on(
        admin_site, "accessportal_user", "deactivate_identities", [person.pk]
    )
    run_jobs()

    assert "design" in page.content.decode()
    assert "Deactivated: 1 of 1" in done.content.decode()
    grant.refresh_from_db()
    person.refresh_from_db()
    assert grant.state == GrantState.REVOKED
    assert not person.is_active
    assert not simulator.state.is_group_member("design", grant.account.account_id)


def run_action_on(client, changelist: str, action: str, ids: list[int]):
    url = reverse(f"admin:{changelist}_changelist")
    data = {"action": action, ACTION_CHECKBOX_NAME: [str(i) for i in ids]}
    return client.post(url, data, follow=True)
