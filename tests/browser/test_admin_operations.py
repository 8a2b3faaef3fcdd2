"""An administrator runs the portal from the admin site, in a real browser.

Signed in with a password and an authenticator code, the administrator tests the
connection to the simulated Atlassian organization (over HTTP), reconciles it and
watches the run page refresh itself until the run succeeds, retries a provisioning
job that Atlassian refused once its cause is fixed, and revokes a grant. A real Celery
worker does the work, as in production.
"""

from __future__ import annotations

import re
import time

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in
from tests.ui.test_sign_in import totp_code

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

ALICE = "alice.requester@acme.example"
BOB = "bob.manager@acme.example"
GROUP = "design"


@pytest.fixture
def admin_page(admin, settings, new_page):
    """The admin site, signed in as an administrator with an authenticator app."""
    settings.MFA_REQUIRED_FOR_ADMINS = True
    secret = generate_totp_secret()
    TOTP.activate(admin, secret)
    page = new_page()

    sign_in(page, "admin", "pw-admin")
    page.get_by_label("Code").fill(totp_code(secret))
    page.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    page.goto("/admin/")
    expect(page.locator("#site-name")).to_be_visible()
    return page


@pytest.fixture
def catalog(served_application):
    """The simulated organization reconciled (in this process, over HTTP)."""
    from connectors.reconcile import execute_run, start_run

    run = execute_run(start_run(served_application).pk)
    assert run.status == "succeeded", run.error
    return served_application


def wait_until(check, what: str, timeout: float = 60.0):
    """Poll `check()` until it returns something truthy (the worker is another process)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def approved_request_for_alice(entitlement_name: str):
    """Alice asks for the group and her manager Bob approves: a grant job is queued."""
    from accessportal.models import User
    from approvals import workflow
    from connectors.models import Entitlement

    alice = User.objects.with_email(ALICE).get()
    bob = User.objects.with_email(BOB).get()
    entitlement = Entitlement.objects.get(kind="group", name=entitlement_name)
    [made] = workflow.submit_requests(
        requester=alice, entitlements=[entitlement], justification="Design reviews"
    )
    workflow.approve(made.pk, approver=bob, comment="Fine")
    made.refresh_from_db()
    assert made.state in ("approved", "provisioning", "active"), made.state
    return made


def run_admin_action(page, row_text: str, action_label: str) -> None:
    """Tick the row's checkbox, choose the action and press Go, as a person would."""
    row = page.locator("#result_list tbody tr", has_text=row_text)
    row.locator("input.action-select").check()
    page.locator("select[name=action]").select_option(label=action_label)
    page.get_by_role("button", name="Go").click()


# --- 1. test connection ------------------------------------------------------------


def test_admin_tests_the_connection_and_sees_each_api_family(
    admin_page, served_application
):
    page = admin_page
    page.goto(f"/admin/connectors/application/{served_application.pk}/change/")

    page.get_by_role("link", name="Test connection").click()
    page.get_by_role("button", name="Test connection").click()

    for family, says in (
        ("User provisioning (SCIM)", "users in the SCIM directory"),
        ("Organizations (Admin API)", "organization Acme"),
        ("Jira", "groups visible in Jira"),
        ("Confluence", "spaces visible"),
    ):
        row = page.get_by_role("row", name=re.compile(re.escape(family)))
        expect(row).to_contain_text("OK")
        expect(row).to_contain_text(says)
    expect(page.locator("#content-main")).not_to_contain_text("Failed")
    screenshot(page, "admin-test-connection")


# --- 2. reconcile with visible progress ------------------------------------------------


@pytest.mark.worker
def test_admin_reconciles_and_watches_the_run_page_refresh_to_success(
    admin_page, served_application, simulator, celery_worker
):
    from connectors.models import Account, Entitlement, ReconciliationRun

    page = admin_page
    page.goto(f"/admin/connectors/application/{served_application.pk}/change/")
    status = page.locator(".run-status")
    phase = page.get_by_role("row", name=re.compile("^Current phase"))

    # Atlassian answers nothing while the test holds the simulator's lock: the run
    # is caught at work, whatever the worker's speed.
    with simulator.lock:
        page.get_by_role("button", name="Reconcile now (full)").click()
        expect(page.locator(".messagelist")).to_contain_text("Full reconciliation")
        expect(page.locator(".reconciliation-run")).to_contain_text(
            "this page refreshes every 2 seconds"
        )
        expect(status).to_have_text("Running", timeout=60_000)
        expect(phase).not_to_contain_text("—")
        running_phase = phase.inner_text()
        expect(page.locator(".reconciliation-run")).to_contain_text(
            "Nothing counted yet."
        )
        screenshot(page, "admin-run-running")
    expect(status).to_have_text("Succeeded", timeout=90_000)

    run = ReconciliationRun.objects.get(application=served_application)
    assert run.status == "succeeded", run.error
    assert running_phase.split()[-1] in run.progress
    counts = page.locator("h2:has-text('Counts') + table")
    accounts = Account.objects.filter(application=served_application).count()
    expect(counts.get_by_role("row", name=re.compile("^accounts"))).to_contain_text(
        str(accounts)
    )
    expect(page.locator(".reconciliation-run")).not_to_contain_text("refreshes every")
    last_phase = page.get_by_role("row", name=re.compile("^Last phase"))
    expect(last_phase).to_contain_text(run.phase)
    assert accounts > 40
    assert Entitlement.objects.filter(application=served_application).count() > 20
    screenshot(page, "admin-run-succeeded")


# --- 3. a job Atlassian refused, retried once its cause is fixed -----------------------


def reload_until(
    page, url: str, text: str, where: str = "#content", timeout: float = 60.0
) -> None:
    """Reload until `where` shows `text`, as a person waiting for the worker would."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page.goto(url)
        if text in page.locator(where).inner_text():
            return
        page.wait_for_timeout(500)
    raise AssertionError(f"{url} never showed {text!r} in {where}")


def set_licence_limit(simulator, group_name: str, *, full: bool) -> None:
    """Fill the group's licence (Atlassian refuses a new member) or lift the limit."""
    with simulator.lock:
        members = len(simulator.state.group_by_name(group_name).members)
        limit = members if full else None
        simulator.config.product_group_limits[group_name] = limit


@pytest.mark.worker
def test_admin_retries_a_job_atlassian_refused_once_the_cause_is_fixed(
    admin_page, catalog, simulator, celery_worker
):
    from approvals.models import Grant, JobStatus, ProvisioningJob

    set_licence_limit(simulator, GROUP, full=True)
    made = approved_request_for_alice(GROUP)
    job = wait_until(
        lambda: ProvisioningJob.objects.filter(
            grant__request=made, status=JobStatus.FAILED
        ).first(),
        "the grant job to fail",
    )
    page = admin_page
    failed_list = "/admin/approvals/provisioningjob/?status__exact=failed"

    reload_until(page, failed_list, "license limit")
    row = page.locator("#result_list tbody tr", has_text="license limit")
    expect(row).to_contain_text("Failed")
    row.get_by_role("link", name=str(job.pk), exact=True).click()
    expect(page.locator(".field-last_error")).to_contain_text(
        f"to group '{GROUP}' would exceed the license limit"
    )
    screenshot(page, "admin-job-failed")
    set_licence_limit(simulator, GROUP, full=False)
    page.get_by_role("button", name="Retry").click()

    expect(page.locator(".messagelist")).to_contain_text("Sent again: 1 of 1.")
    job_page = f"/admin/approvals/provisioningjob/{job.pk}/change/"
    reload_until(page, job_page, "Succeeded", where=".field-status")
    expect(page.get_by_role("button", name="Retry")).to_have_count(0)
    grant = Grant.objects.get(request=made)
    page.goto(f"/admin/approvals/grant/{grant.pk}/change/")
    expect(page.locator(".field-state")).to_contain_text("Active")
    assert grant.state == "active"
    alice_id = grant.account.account_id
    assert simulator.state.is_group_member(GROUP, alice_id)


# --- 4. revoke a grant ---------------------------------------------------------------


@pytest.mark.worker
def test_admin_revokes_a_grant_and_atlassian_drops_the_membership(
    admin_page, catalog, simulator, celery_worker
):
    from approvals.models import Grant

    made = approved_request_for_alice(GROUP)
    grant = wait_until(
        lambda: Grant.objects.filter(request=made, state="active").first(),
        "the grant to become active",
    )
    alice_id = grant.account.account_id
    assert simulator.state.is_group_member(GROUP, alice_id)
    page = admin_page
    page.goto("/admin/approvals/grant/")
    page.get_by_role("link", name="Active", exact=True).click()

    run_admin_action(
        page,
        "Alice Carter",
        "Revoke selected grants (removes the access in Atlassian)",
    )
    expect(page.locator("#content")).to_contain_text("design for Alice Carter")
    page.get_by_label("Reason").fill("Left the design team")
    page.get_by_role("button", name="Revoke grants").click()

    expect(page.locator(".messagelist")).to_contain_text("Revoking: 1 of 1.")
    grant_page = f"/admin/approvals/grant/{grant.pk}/change/"
    reload_until(page, grant_page, "Revoked", where=".field-state")
    expect(page.locator(".field-end_reason")).to_contain_text("Left the design team")
    expect(page.get_by_role("button", name="Revoke")).to_have_count(0)
    screenshot(page, "admin-grant-revoked")
    grant.refresh_from_db()
    assert grant.state == "revoked"
    with simulator.lock:
        assert not simulator.state.is_group_member(GROUP, alice_id)
