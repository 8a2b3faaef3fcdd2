"""Every reconciliation someone starts leaves an audit event, whatever started it."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from approvals.models import AuditEvent
from connectors.models import ReconciliationRun
from connectors.reconcile import RunAlreadyActive, start_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued_events(application):
    """The "reconciliation.queued" events written after the fixtures set up the data."""
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    def events() -> list[AuditEvent]:
        return list(
            AuditEvent.objects.filter(action="reconciliation.queued", pk__gt=last)
        )

    return events


def test_reconcile_now_in_the_admin_is_audited_with_the_admin_as_actor(
    client, admin, application, queued_events
):
    client.force_login(admin)
    url = reverse("admin:connectors_application_reconcile", args=[application.pk])

    client.post(url, {"mode": "incremental"})

    run = ReconciliationRun.objects.latest("pk")
    [event] = queued_events()
    assert (event.actor, event.target_id) == (admin, str(run.pk))
    assert event.message == "Started from the admin site"
    assert event.after["incremental"] is True
    assert event.after["trigger"] == "admin"


def test_a_refused_second_run_leaves_no_event(
    client, admin, application, queued_events
):
    start_run(application)
    client.force_login(admin)
    url = reverse("admin:connectors_application_reconcile", args=[application.pk])

    client.post(url, {"mode": "full"})

    assert len(queued_events()) == 1  # only the run that was really queued
    with pytest.raises(RunAlreadyActive):
        start_run(application)
    assert len(queued_events()) == 1


def test_command_line_run_is_audited_with_its_filter(application, queued_events):
    call_command(
        "reconcile",
        "--only",
        "groups",
        "--filter",
        "group=jira-software-users",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )

    [event] = queued_events()
    assert event.actor is None
    assert event.message == "Started from the command line"
    assert event.after["only"] == ["groups"]
    assert event.after["filter"] == {"group": ["jira-software-users"]}
