"""Adopting existing access from the admin site and from `manage.py drift adopt`."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from accessportal.celery import app as celery_app
from approvals import drift
from approvals.models import AuditEvent, DriftFinding, DriftStatus, Grant, GrantOrigin
from connectors.models import ReconciliationRun
from tests.factories import AccountFactory, AssignmentFactory, EntitlementFactory


@pytest.fixture
def findings(offline_application, requester, group, other_group):
    """Two open unmanaged findings of the requester, and one of an unlinked account."""
    account = AccountFactory(application=offline_application, identity=requester)
    stranger = AccountFactory(application=offline_application, identity=None)
    AssignmentFactory(entitlement=group, account=account)
    AssignmentFactory(entitlement=other_group, account=account)
    AssignmentFactory(entitlement=group, account=stranger)
    run = ReconciliationRun.objects.create(
        application=offline_application,
        status="succeeded",
        started_at=timezone.now() - timedelta(minutes=1),
    )
    drift.check_drift(offline_application, run=run)
    return DriftFinding.objects.order_by("pk")


@pytest.fixture
def eager_tasks():
    """Celery runs a task where it is sent, as a worker would have."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


def post_action(client, changelist: str, action: str, ids: list[int], **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [str(i) for i in ids], **extra}
    return client.post(reverse(f"admin:{changelist}_changelist"), data, follow=True)


# --- the admin site ------------------------------------------------------------------


def test_admin_adopts_the_selected_findings_and_says_what_stayed_open(
    client, admin, findings, group
):
    client.force_login(admin)
    chosen = list(findings.filter(entitlement=group).values_list("pk", flat=True))

    page = post_action(client, "approvals_driftfinding", "adopt_findings", chosen)

    text = page.content.decode()
    assert "Adopted as grants: 1 of 2." in text
    assert "1 left open: the account is not linked to a portal identity (1)." in text
    assert Grant.objects.get().origin == GrantOrigin.ADOPTED
    assert findings.filter(status=DriftStatus.OPEN).count() == 2


def test_adopting_all_of_an_application_from_its_admin_page(
    client, admin, findings, offline_application, eager_tasks,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    client.force_login(admin)
    ids = [offline_application.pk]
    confirm = post_action(
        client, "connectors_application", "adopt_existing_access", ids
    )

    with django_capture_on_commit_callbacks(execute=True):
        done = post_action(
            client,
            "connectors_application",
            "adopt_existing_access",
            ids,
            confirmed="yes",
            reason="Baseline after go-live",
        )

    assert "The 3 open unmanaged drift finding(s)" in confirm.content.decode()
    assert "Adoption queued: 1 of 1." in done.content.decode()
    assert Grant.objects.filter(origin=GrantOrigin.ADOPTED).count() == 2
    summary = AuditEvent.objects.get(action="drift.adopted_all")
    assert summary.actor == admin
    assert "Baseline after go-live" in summary.message


# --- manage.py drift adopt -----------------------------------------------------------


def adopt(*args: str) -> str:
    out = io.StringIO()
    call_command("drift", "adopt", *args, stdout=out)
    return out.getvalue()


def test_the_command_adopts_with_progress_and_a_summary(
    offline_application, admin, findings
):
    output = adopt("--application", offline_application.name, "--by", admin.username)

    assert "3 of 3 examined, 2 adopted" in output
    assert "Adopted 2 finding(s) as grants" in output
    assert "1 left open" in output
    assert "the account is not linked to a portal identity" in output
    assert Grant.objects.filter(adopted_by=admin).count() == 2


def test_the_command_adopts_one_entitlement_kind(offline_application, admin, findings):
    role = EntitlementFactory(application=offline_application, kind="project_role")
    AssignmentFactory(entitlement=role, account=findings[0].account)
    drift.check_drift(offline_application)

    adopt(
        "--application", offline_application.name, "--by", admin.username,
        "--entitlement-kind", "project_role",
    )  # fmt: skip

    assert Grant.objects.get().entitlement == role


def test_a_dry_run_counts_and_changes_nothing(offline_application, admin, findings):
    output = adopt(
        "--application", offline_application.name, "--by", admin.username, "--dry-run"
    )

    assert "2  can be adopted" in output
    assert "1  the account is not linked to a portal identity" in output
    assert not Grant.objects.exists()


def test_the_command_needs_an_administrator(offline_application, requester, findings):
    with pytest.raises(CommandError, match="not an administrator"):
        adopt("--application", offline_application.name, "--by", requester.username)

    assert not Grant.objects.exists()


def test_the_command_names_the_known_applications(admin, offline_application):
    with pytest.raises(CommandError, match="known: Offline Atlassian"):
        adopt("--application", "Nope", "--by", admin.username)
