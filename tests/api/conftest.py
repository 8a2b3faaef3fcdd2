"""Fixtures for the API tests: a reconciled catalog, token clients, the service account."""

from __future__ import annotations

import base64
import io

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

SERVICE_PASSWORD = "connector-service-password"


@pytest.fixture
def catalog(application):
    """The simulated organization reconciled into the catalog (in process)."""
    from connectors.reconcile import execute_run, start_run

    run = execute_run(start_run(application).pk)
    assert run.status == "succeeded", run.error
    return application


@pytest.fixture
def client_for():
    """An API client authenticated with the person's token."""

    def make(user) -> APIClient:
        token, _ = Token.objects.get_or_create(user=user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


@pytest.fixture
def design_group(catalog):
    """A plain requestable group of the demo organization."""
    from connectors.models import Entitlement

    return Entitlement.objects.get(kind="group", name="design")


@pytest.fixture
def finance_group(catalog):
    from connectors.models import Entitlement

    return Entitlement.objects.get(kind="group", name="finance")


@pytest.fixture
def run_jobs():
    """Run every due provisioning job in process, as the worker would."""
    from approvals.models import ProvisioningJob
    from approvals.provisioning import execute_job

    def run() -> list:
        done = []
        for job in ProvisioningJob.objects.due().order_by("id"):
            done.append(execute_job(job))
        return done

    return run


@pytest.fixture
def service_account(db):
    """The connector service account, as the management command creates it."""
    from django.core.management import call_command

    from accessportal.models import User

    call_command(
        "create_connector_service_account",
        "idhub",
        "--password",
        SERVICE_PASSWORD,
        stdout=io.StringIO(),
    )
    return User.objects.get(username="idhub")


def basic(username: str, password: str) -> str:
    """An HTTP Basic Authorization header value."""
    raw = f"{username}:{password}".encode()
    return "Basic " + base64.b64encode(raw).decode()


@pytest.fixture
def connector_client(service_account):
    """A client of the connector resource API, as an IGA system calls it."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic("idhub", SERVICE_PASSWORD))
    return client
