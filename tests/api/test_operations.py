"""Running the system over the API: reconciliations, provisioning jobs, accounts."""

from __future__ import annotations

import pytest
from django.conf import settings

from approvals.models import AuditEvent, JobStatus, ProvisioningJob
from connectors.models import ReconciliationRun, RunStatus

pytestmark = pytest.mark.django_db


def set_credentials(application, *, valid: bool) -> None:
    """Wrong keys make Atlassian answer 401: a permanent failure."""
    application.refresh_from_db()
    application.api_token = settings.ATLASSIAN_API_TOKEN if valid else "wrong"
    application.directory_api_key = (
        settings.ATLASSIAN_DIRECTORY_API_KEY if valid else "wrong"
    )
    application.org_api_key = settings.ATLASSIAN_ORG_API_KEY if valid else "wrong"
    application.save()


def test_admin_starts_a_reconciliation_and_gets_202_with_the_run(
    admin, client_for, catalog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = client_for(admin).post(
            "/api/v1/reconciliations/",
            {"incremental": True, "only": ["groups", "accounts"]},
            format="json",
        )

    body = response.json()
    run = ReconciliationRun.objects.get(pk=body["id"])
    assert response.status_code == 202
    assert response["Location"].endswith(f"/api/v1/reconciliations/{run.pk}/")
    assert (run.status, run.is_incremental, run.trigger) == ("queued", True, "api")
    assert sorted(run.only) == ["accounts", "groups"]
    assert run.triggered_by == admin
    assert len(callbacks) == 1  # the worker is told once the run row is committed
    event = AuditEvent.objects.get(action="reconciliation.queued", target_id=run.pk)
    assert (event.actor, event.target_id) == (admin, str(run.pk))


def test_second_reconciliation_while_one_is_active_is_409(admin, client_for, catalog):
    client = client_for(admin)
    client.post("/api/v1/reconciliations/", {}, format="json")

    response = client.post("/api/v1/reconciliations/", {}, format="json")

    assert response.status_code == 409
    assert "already running" in response.json()["detail"]


def test_reconciliation_with_an_unknown_kind_is_a_400(admin, client_for, catalog):
    response = client_for(admin).post(
        "/api/v1/reconciliations/", {"only": ["printers"]}, format="json"
    )

    assert response.status_code == 400
    assert "only" in response.json()


def test_run_detail_shows_status_phase_progress_and_counts(admin, client_for, catalog):
    run = ReconciliationRun.objects.get(application=catalog)

    body = client_for(admin).get(f"/api/v1/reconciliations/{run.pk}/").json()

    assert body["status"] == RunStatus.SUCCEEDED
    assert body["counts"]["accounts"]["created"] > 0
    assert isinstance(body["progress"], dict)
    assert "phase" in body


def test_only_admins_reconcile(requester, client_for, catalog):
    client = client_for(requester)

    assert client.post("/api/v1/reconciliations/", {}, format="json").status_code == 403
    assert client.get("/api/v1/reconciliations/").status_code == 403


def test_admin_retries_a_failed_job_and_the_access_arrives(
    requester, manager, admin, client_for, design_group, run_jobs, simulator
):
    set_credentials(design_group.application, valid=False)
    made = client_for(requester).post(
        "/api/v1/requests/",
        {"entitlement": design_group.pk, "justification": "Design work"},
        format="json",
    )
    request_id = made.json()["id"]
    client_for(manager).post(
        f"/api/v1/requests/{request_id}/approve/", {}, format="json"
    )
    run_jobs()
    failed = client_for(admin).get("/api/v1/provisioning-jobs/", {"status": "failed"})
    job_id = failed.json()["results"][0]["id"]
    set_credentials(design_group.application, valid=True)

    response = client_for(admin).post(f"/api/v1/provisioning-jobs/{job_id}/retry/")
    run_jobs()

    assert failed.json()["count"] == 1
    assert failed.json()["results"][0]["last_error"]
    assert response.status_code == 200
    assert response.json()["status"] == JobStatus.PENDING
    assert (
        client_for(requester).get(f"/api/v1/requests/{request_id}/").json()["state"]
        == "active"
    )
    account = ProvisioningJob.objects.get(pk=job_id).account
    assert simulator.state.is_group_member("design", account.account_id)


def test_retrying_a_job_that_did_not_fail_is_409(admin, client_for, catalog):
    from tests.factories import ProvisioningJobFactory

    job = ProvisioningJobFactory(grant__entitlement__application=catalog)

    response = client_for(admin).post(f"/api/v1/provisioning-jobs/{job.pk}/retry/")

    assert response.status_code == 409


def test_accounts_are_for_admins(requester, admin, client_for, catalog):
    assert client_for(requester).get("/api/v1/accounts/").status_code == 403

    body = client_for(admin).get("/api/v1/accounts/", {"search": "alice"}).json()

    assert [a["email"] for a in body["results"]] == ["alice.requester@acme.example"]
    assert body["results"][0]["identity"]["email"] == "alice.requester@acme.example"
