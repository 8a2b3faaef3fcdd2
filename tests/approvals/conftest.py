"""Fixtures for the approval tests: a catalog without network, and submitting helpers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from approvals import workflow
from approvals.models import ApprovalRule
from connectors.models import ReconciliationRun
from tests.factories import (
    AccountFactory,
    ApplicationFactory,
    EntitlementFactory,
    PolicyFactory,
)


@pytest.fixture
def offline_application(db):
    """An Application whose connector is never called in these tests."""
    return ApplicationFactory(name="Offline Atlassian")


@pytest.fixture
def group(offline_application, owner):
    """A requestable group owned by `owner`; the default policy (manager) applies."""
    return EntitlementFactory(
        application=offline_application,
        name="web-team",
        display_name="Web team",
        owner=owner,
    )


@pytest.fixture
def other_group(offline_application, owner):
    return EntitlementFactory(
        application=offline_application,
        name="ops-team",
        display_name="Ops team",
        owner=owner,
    )


@pytest.fixture
def run(offline_application):
    """A complete reconciliation that started a minute ago."""
    return ReconciliationRun.objects.create(
        application=offline_application,
        status="succeeded",
        started_at=timezone.now() - timedelta(minutes=1),
    )


@pytest.fixture
def account(offline_application, requester):
    """The requester's account in the offline application."""
    return AccountFactory(application=offline_application, identity=requester)


@pytest.fixture
def submit(requester):
    """Submit one request for the requester (or as given) with a justification."""

    def submit_one(entitlement, **kwargs):
        kwargs.setdefault("requester", requester)
        kwargs.setdefault("justification", "I build the web site")
        return workflow.submit_requests(entitlements=[entitlement], **kwargs)[0]

    return submit_one


@pytest.fixture
def auto_policy(db):
    """A default policy that approves everything automatically."""
    return PolicyFactory(name="Auto", is_default=True, rule=ApprovalRule.AUTO)


# --- the simulated Atlassian organization -------------------------------------------


def load_entitlement(application, kind, display_name):
    """Put one entitlement of the simulated organization into the catalog, as found."""
    from connectors.base import EntitlementKind
    from connectors.models import Entitlement, Resource
    from connectors.registry import connector_for

    connector = connector_for(application)
    try:
        record = next(
            r
            for r in connector.iter_entitlements(kinds=[EntitlementKind(kind)])
            if r.display_name == display_name or r.name == display_name
        )
    finally:
        connector.close()
    resource = None
    if record.resource is not None:
        resource, _ = Resource.objects.get_or_create(
            application=application,
            kind=record.resource.kind,
            external_id=record.resource.external_id,
            defaults={"key": record.resource.key, "name": record.resource.name},
        )
    return Entitlement.objects.create(
        application=application,
        kind=kind,
        external_id=record.ref.external_id,
        resource=resource,
        name=record.name,
        display_name=record.display_name,
    )


def simulator_shows(simulator, entitlement, email):
    """Whether the simulated Atlassian holds the access directly, read from its state."""
    with simulator.lock:
        state = simulator.state
        user = state.user_by_email(email)
        if user is None:
            return False
        account_id = user.account_id
        if entitlement.kind == "group":
            return state.is_group_member(entitlement.name, account_id)
        if entitlement.kind == "project_role":
            actors = state.project_role_actors(
                entitlement.resource.key, entitlement.name
            )
            return account_id in actors
        key, _, target = entitlement.name.partition("/")
        permissions = state.space_permissions(entitlement.resource.key)
        return ("user", account_id, key, target) in permissions


@pytest.fixture
def alice(make_person, manager):
    """Alice, who has an Atlassian account in the simulated organization."""
    return make_person(
        "alice",
        email="alice.requester@acme.example",
        display_name="Alice Carter",
        manager=manager,
    )


@pytest.fixture
def design_group(application):
    """The simulated organization's "design" group, in the catalog."""
    return load_entitlement(application, "group", "design")


# --- a real worker for the fault-injection tests ------------------------------------

WORKER_ENV = {
    # Short enough that a killed worker's job is taken over within seconds.
    "PROVISIONING_LEASE_SECONDS": "8",
    "PROVISIONING_BACKOFF_BASE_SECONDS": "0.5",
    "PROVISIONING_BACKOFF_MAX_SECONDS": "4",
    "PROVISIONING_MAX_ATTEMPTS": "25",
}


def purge_broker():
    """Drop every message waiting in the broker (a lost message, or leftovers)."""
    from accessportal.celery import app

    return app.control.purge()


@pytest.fixture
def worker_supervisor(transactional_db, tmp_path, monkeypatch, settings):
    """An unstarted real worker with short leases and backoff; stopped at the end."""
    from tests.servers import CelerySupervisor, database_url_for_subprocess

    for name, value in WORKER_ENV.items():
        monkeypatch.setenv(name, value)
    settings.PROVISIONING_REQUEUE_GRACE_SECONDS = 3
    purge_broker()
    supervisor = CelerySupervisor(
        log_path=tmp_path / "worker.log", database_url=database_url_for_subprocess()
    )
    yield supervisor
    supervisor.stop()
    purge_broker()


@pytest.fixture
def provisioning_worker(worker_supervisor):
    """A real worker, started."""
    worker_supervisor.start()
    return worker_supervisor
