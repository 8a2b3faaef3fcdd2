"""Runs: one at a time, failures that leave the catalog whole, the command and the tasks."""

from __future__ import annotations

import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils.timezone import now

from connectors.models import (
    Account,
    Assignment,
    ReconciliationRun,
    RunStatus,
    RunTrigger,
)
from connectors.reconcile import (
    InvalidRunRequest,
    RunAlreadyActive,
    execute_run,
    start_run,
)
from connectors.signals import reconciliation_finished
from connectors.tasks import reconcile_all_applications, reconcile_application
from tests.connectors.reconcile_support import holds, reconcile, sim_group, sim_user

pytestmark = pytest.mark.django_db

ALICE = "alice.requester@acme.example"


# -- one run at a time -----------------------------------------------------------------------


def test_second_start_while_a_run_is_queued_says_a_run_is_in_progress(application):
    first = start_run(application)

    with pytest.raises(RunAlreadyActive) as raised:
        start_run(application, incremental=True)

    assert (
        str(raised.value)
        == f"A reconciliation of Atlassian Cloud is already running (run #{first.pk})."
    )
    assert ReconciliationRun.objects.count() == 1


def test_a_finished_run_frees_the_application(application):
    reconcile(application)

    run = start_run(application)

    assert run.status == RunStatus.QUEUED


def test_abandoned_run_is_failed_so_a_new_one_can_start(application):
    stuck = start_run(application)
    ReconciliationRun.objects.filter(pk=stuck.pk).update(
        status=RunStatus.RUNNING, heartbeat_at=now() - timedelta(hours=1)
    )

    run = start_run(application)

    stuck.refresh_from_db()
    assert stuck.status == RunStatus.FAILED
    assert "Abandoned" in stuck.error
    assert run.status == RunStatus.QUEUED


def test_executing_a_run_twice_does_it_once(application):
    run = reconcile(application)
    finished_at = run.finished_at

    again = execute_run(run.pk)

    assert again.status == RunStatus.SUCCEEDED
    assert again.finished_at == finished_at


def test_bad_kinds_and_filters_are_refused(application):
    with pytest.raises(InvalidRunRequest, match="Unknown kind"):
        start_run(application, only=["users"])
    with pytest.raises(InvalidRunRequest, match="Nothing to reconcile"):
        start_run(application, only=["groups"], scope={"project": ["WEB"]})
    with pytest.raises(InvalidRunRequest, match="Unknown filter"):
        start_run(application, scope={"colour": ["blue"]})


# -- failures --------------------------------------------------------------------------------


def test_failure_mid_run_ends_failed_and_keeps_the_previous_catalog(
    application, simulator
):
    reconcile(application)
    current = Assignment.objects.current().count()
    simulator.state.remove_member(
        sim_group(simulator, "engineering"), sim_user(simulator, ALICE)
    )

    def revoke_token_when_members_start(phase, done, total):
        if phase == "memberships":
            simulator.config.api_token = "revoked"  # Jira and Confluence now answer 401

    run = execute_run(
        start_run(application).pk, on_progress=revoke_token_when_members_start
    )

    assert run.status == RunStatus.FAILED
    assert "401" in run.error
    assert run.progress["accounts"]["done"] > 0  # it got that far
    assert holds(ALICE, "engineering")  # nothing was swept
    assert Assignment.objects.current().count() == current
    assert (
        start_run(application).status == RunStatus.QUEUED
    )  # and the application is free


def test_failed_run_does_not_announce_itself(application, simulator):
    heard = []
    reconciliation_finished.connect(
        lambda sender, run, **kw: heard.append(run.pk), weak=False, dispatch_uid="t"
    )
    simulator.config.directory_api_key = "wrong"
    try:
        failed = reconcile(application)
        simulator.config.directory_api_key = application.directory_api_key
        succeeded = reconcile(application)
    finally:
        reconciliation_finished.disconnect(dispatch_uid="t")

    assert failed.status == RunStatus.FAILED
    assert heard == [succeeded.pk]


# -- the command -----------------------------------------------------------------------------


def test_reconcile_command_prints_a_summary(application):
    out = StringIO()

    call_command("reconcile", "--application", "Atlassian Cloud", stdout=out)

    text = out.getvalue()
    assert "succeeded" in text
    assert "group_assignments" in text
    assert "API calls: admin" in text
    assert ReconciliationRun.objects.get().trigger == RunTrigger.CLI


def test_reconcile_command_with_filters_runs_a_limited_run(application):
    call_command(
        "reconcile", "--only", "projects", "--filter", "project=WEB", stdout=StringIO()
    )

    run = ReconciliationRun.objects.get()
    assert run.only == ["projects"]
    assert run.scope == {"project": ["WEB"]}
    assert run.status == RunStatus.SUCCEEDED


def test_reconcile_command_fails_when_a_run_is_in_progress(application):
    running = start_run(application)

    with pytest.raises(CommandError, match=f"already running \\(run #{running.pk}\\)"):
        call_command("reconcile", stdout=StringIO())


def test_reconcile_command_fails_when_the_run_fails(application, simulator):
    simulator.config.org_api_key = "wrong"
    out = StringIO()

    with pytest.raises(CommandError, match="failed"):
        call_command("reconcile", stdout=out)

    assert "error:" in out.getvalue()


def test_reconcile_command_refuses_a_bad_filter(application):
    with pytest.raises(CommandError, match="Not a filter"):
        call_command("reconcile", "--filter", "colour=blue", stdout=StringIO())


# -- the schedule ----------------------------------------------------------------------------


def test_schedule_queues_a_run_per_application_and_skips_busy_ones(
    application, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as sent:
        queued = reconcile_all_applications(incremental=True)
        again = reconcile_all_applications(incremental=True)

    run = ReconciliationRun.objects.get()
    assert queued == [run.pk]
    assert again == []
    assert run.is_incremental
    assert run.trigger == RunTrigger.SCHEDULE
    assert len(sent) == 1  # the task is sent once the row is committed


@pytest.mark.worker
def test_a_real_worker_executes_a_queued_run(served_application, celery_worker):
    run = start_run(served_application, trigger=RunTrigger.ADMIN)

    reconcile_application.delay(run.pk)

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status in (RunStatus.SUCCEEDED, RunStatus.FAILED):
            break
        time.sleep(0.5)
    assert run.status == RunStatus.SUCCEEDED, run.error or celery_worker.log()[-3000:]
    assert Account.objects.filter(application=served_application).count() > 0
