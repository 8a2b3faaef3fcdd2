"""Fixtures for the simulated Atlassian organization and an Application pointing at it."""

from __future__ import annotations

import pytest
from django.conf import settings

DEMO_SITE = "https://acme.atlassian.net"
DEMO_ADMIN_API = "https://api.atlassian.com"


def simulator_config(site_url: str = DEMO_SITE, admin_api_url: str = DEMO_ADMIN_API):
    """The simulator configured with the same credentials as the portal's settings."""
    from connectors.simulator import SimulatorConfig

    return SimulatorConfig(
        site_url=site_url,
        admin_api_url=admin_api_url,
        directory_id=settings.ATLASSIAN_DIRECTORY_ID,
        directory_api_key=settings.ATLASSIAN_DIRECTORY_API_KEY,
        org_id=settings.ATLASSIAN_ORG_ID,
        org_api_key=settings.ATLASSIAN_ORG_API_KEY,
        admin_email=settings.ATLASSIAN_ADMIN_EMAIL,
        api_token=settings.ATLASSIAN_API_TOKEN,
    )


@pytest.fixture
def simulator():
    """A simulated Atlassian organization seeded with the demo data, in process."""
    from connectors.simulator import Knobs, Simulator

    sim = Simulator(simulator_config(), knobs=Knobs(seed=7))
    sim.seed_demo()
    return sim


@pytest.fixture
def application(db, simulator):
    """The default Application, every connector routed to the in-process simulator."""
    from connectors.models import Application
    from connectors.registry import use_transport

    app = Application.objects.create(
        name="Atlassian Cloud",
        site_url=DEMO_SITE,
        admin_email=settings.ATLASSIAN_ADMIN_EMAIL,
        api_token=settings.ATLASSIAN_API_TOKEN,
        scim_url=f"{DEMO_ADMIN_API}/scim/directory/{settings.ATLASSIAN_DIRECTORY_ID}",
        directory_id=settings.ATLASSIAN_DIRECTORY_ID,
        directory_api_key=settings.ATLASSIAN_DIRECTORY_API_KEY,
        admin_api_url=DEMO_ADMIN_API,
        org_id=settings.ATLASSIAN_ORG_ID,
        org_api_key=settings.ATLASSIAN_ORG_API_KEY,
        default_groups=["jira-software-users", "confluence-users"],
        max_concurrency=4,
    )
    with use_transport(simulator.transport()):
        yield app


@pytest.fixture
def simulator_server(simulator):
    """The same simulated organization served over real HTTP on a free port."""
    server = simulator.serve(host="127.0.0.1", port=0)
    yield server
    server.stop()


@pytest.fixture
def served_application(transactional_db, simulator, simulator_server):
    """An Application whose URLs point at the simulator's HTTP server.

    For tests where another process (a real worker) talks to Atlassian.
    """
    from connectors.models import Application

    url = simulator_server.url
    return Application.objects.create(
        name="Atlassian Cloud",
        site_url=url,
        admin_email=settings.ATLASSIAN_ADMIN_EMAIL,
        api_token=settings.ATLASSIAN_API_TOKEN,
        scim_url=f"{url}/scim/directory/{settings.ATLASSIAN_DIRECTORY_ID}",
        directory_id=settings.ATLASSIAN_DIRECTORY_ID,
        directory_api_key=settings.ATLASSIAN_DIRECTORY_API_KEY,
        admin_api_url=url,
        org_id=settings.ATLASSIAN_ORG_ID,
        org_api_key=settings.ATLASSIAN_ORG_API_KEY,
        default_groups=["jira-software-users", "confluence-users"],
        max_concurrency=4,
    )
