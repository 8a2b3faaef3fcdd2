"""Fixtures: a demo-seeded simulator and one httpx client per API family, in process."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from connectors.simulator import Knobs, Simulator, SimulatorConfig

SITE = "https://acme.atlassian.net"
API = "https://api.atlassian.com"


@pytest.fixture
def config() -> SimulatorConfig:
    """The simulator's default configuration (its own demo credentials)."""
    return SimulatorConfig(site_url=SITE, admin_api_url=API)


@pytest.fixture
def sim(config: SimulatorConfig) -> Simulator:
    """The demo organization."""
    simulator = Simulator(config, knobs=Knobs(seed=42))
    simulator.seed_demo()
    return simulator


def client(
    sim: Simulator, base_url: str, timeout: float = 5.0, **kwargs: object
) -> httpx.Client:
    """An httpx client over the in-process transport."""
    return httpx.Client(
        transport=sim.transport(), base_url=base_url, timeout=timeout, **kwargs
    )  # type: ignore[arg-type]


@pytest.fixture
def jira(sim: Simulator) -> Iterator[httpx.Client]:
    """Jira v3 with Basic auth."""
    with client(
        sim, f"{SITE}/rest/api/3", auth=(sim.config.admin_email, sim.config.api_token)
    ) as c:
        yield c


@pytest.fixture
def wiki(sim: Simulator) -> Iterator[httpx.Client]:
    """Confluence (/wiki) with Basic auth."""
    with client(
        sim, f"{SITE}/wiki", auth=(sim.config.admin_email, sim.config.api_token)
    ) as c:
        yield c


@pytest.fixture
def scim(sim: Simulator) -> Iterator[httpx.Client]:
    """SCIM with the directory bearer key."""
    headers = {"Authorization": f"Bearer {sim.config.directory_api_key}"}
    with client(sim, sim.config.scim_url, headers=headers) as c:
        yield c


@pytest.fixture
def admin(sim: Simulator) -> Iterator[httpx.Client]:
    """Organizations API (and /users/{id}/manage) with the org bearer key."""
    with client(
        sim, API, headers={"Authorization": f"Bearer {sim.config.org_api_key}"}
    ) as c:
        yield c


@pytest.fixture
def org(sim: Simulator) -> str:
    """`/admin/v1/orgs/{orgId}`."""
    return f"/admin/v1/orgs/{sim.config.org_id}"


@pytest.fixture
def directory(sim: Simulator) -> str:
    """`/admin/v2/orgs/{orgId}/directories/{directoryId}`."""
    return f"/admin/v2/orgs/{sim.config.org_id}/directories/{sim.config.admin_directory_id}"


def account(sim: Simulator, email: str) -> str:
    """The accountId of a demo person."""
    user = sim.state.user_by_email(email)
    assert user is not None
    return user.account_id


def group_id(sim: Simulator, name: str) -> str:
    """The groupId of a demo group."""
    group = sim.state.group_by_name(name)
    assert group is not None
    return group.group_id


ALICE = "alice.requester@acme.example"
BOB = "bob.manager@acme.example"
CAROL = "carol.admin@acme.example"
