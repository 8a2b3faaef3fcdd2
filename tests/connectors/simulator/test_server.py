"""The real HTTP server, `python -m connectors.simulator` and `manage.py atlassian_simulator`."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from connectors.simulator import Knobs, Simulator, SimulatorConfig
from connectors.simulator.server import SimulatorServer

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def served(sim: Simulator) -> Iterator[SimulatorServer]:
    """The demo organization over HTTP on a free port."""
    server = sim.serve(host="127.0.0.1", port=0)
    yield server
    server.stop()


def test_every_family_on_one_host(sim: Simulator, served: SimulatorServer) -> None:
    url, config = served.url, sim.config
    basic = (config.admin_email, config.api_token)

    jira = httpx.get(f"{url}/rest/api/3/myself", auth=basic)
    wiki = httpx.get(f"{url}/wiki/api/v2/spaces", auth=basic)
    admin = httpx.get(
        f"{url}/admin/v1/orgs",
        headers={"Authorization": f"Bearer {config.org_api_key}"},
    )
    scim = httpx.get(
        f"{url}/scim/directory/{config.directory_id}/Users",
        headers={"Authorization": f"Bearer {config.directory_api_key}"},
    )

    assert [r.status_code for r in (jira, wiki, admin, scim)] == [200, 200, 200, 200]
    assert jira.json()["self"].startswith(url)
    assert scim.json()["Resources"][0]["meta"]["location"].startswith(url)


def test_post_with_body_over_http(sim: Simulator, served: SimulatorServer) -> None:
    response = httpx.post(
        f"{served.url}/rest/api/3/group",
        json={"name": "via-http"},
        auth=(sim.config.admin_email, sim.config.api_token),
    )

    assert response.status_code == 201
    assert sim.state.group_by_name("via-http") is not None


def test_dropped_connection_over_http(sim: Simulator, served: SimulatorServer) -> None:
    sim.knobs.drop_rate = 1.0

    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(
            f"{served.url}/rest/api/3/myself",
            auth=(sim.config.admin_email, sim.config.api_token),
        )


def test_slow_answer_over_http_times_out() -> None:
    sim = Simulator(SimulatorConfig(), Knobs(slow_rate=1.0, slow_seconds=0.5))
    server = sim.serve()
    try:
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(
                f"{server.url}/rest/api/3/myself",
                auth=(sim.config.admin_email, sim.config.api_token),
                timeout=httpx.Timeout(5.0, read=0.1),
            )
    finally:
        server.stop()


def test_from_urls_serves_all_families_at_one_base() -> None:
    config = SimulatorConfig.from_urls("http://127.0.0.1:8900")

    assert config.site_url == config.admin_api_url == "http://127.0.0.1:8900"
    assert (
        config.base_urls("http://127.0.0.1:8900")["ATLASSIAN_SCIM_URL"]
        == config.scim_url
    )


def read_banner(process: subprocess.Popen[str]) -> str:
    """The first line the server prints: 'Atlassian simulator listening on URL'."""
    assert process.stdout is not None
    line = process.stdout.readline()
    assert "listening on" in line, line
    return line.rsplit(" ", 1)[1].strip()


def run(command: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start a server process we stop ourselves."""
    return subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_python_module_entry_point() -> None:
    process = run(
        [
            sys.executable,
            "-m",
            "connectors.simulator",
            "--port",
            "0",
            "--seed",
            "none",
            "--api-token",
            "cli-token",
            "--admin-email",
            "cli@acme.example",
        ]
    )
    try:
        url = read_banner(process)
        response = httpx.get(
            f"{url}/rest/api/3/myself", auth=("cli@acme.example", "cli-token")
        )
    finally:
        process.terminate()
        process.wait(timeout=10)

    assert response.json()["emailAddress"] == "cli@acme.example"


def test_management_command_uses_the_portal_settings() -> None:
    from django.conf import settings

    process = run(
        [
            sys.executable,
            "manage.py",
            "atlassian_simulator",
            "--port",
            "0",
            "--seed",
            "demo",
            "--rate-limit",
            "jira=100",
        ]
    )
    try:
        url = read_banner(process)
        banner = process.stdout.readline() if process.stdout else ""
        response = httpx.get(
            f"{url}/rest/api/3/myself",
            auth=(settings.ATLASSIAN_ADMIN_EMAIL, settings.ATLASSIAN_API_TOKEN),
        )
    finally:
        process.terminate()
        process.wait(timeout=10)

    assert "/rest/api/3" in banner
    assert settings.ATLASSIAN_API_TOKEN not in banner
    assert response.status_code == 200
    assert response.headers["X-RateLimit-Limit"] == "100"


def test_concurrent_writes_over_http_all_land(
    sim: Simulator, served: SimulatorServer
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    auth = (sim.config.admin_email, sim.config.api_token)
    gid = sim.state.group_by_name("design").group_id  # type: ignore[union-attr]
    people = [u.account_id for u in sim.state.users.values() if u.managed and u.active]
    people = people[:30]
    already = {a for a in people if sim.state.is_group_member("design", a)}

    def add(account_id: str) -> int:
        response = httpx.post(
            f"{served.url}/rest/api/3/group/user",
            params={"groupId": gid},
            json={"accountId": account_id},
            auth=auth,
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(add, people))

    assert statuses == [400 if a in already else 201 for a in people]
    assert all(sim.state.is_group_member("design", a) for a in people)


def test_bad_rate_limit_flag_is_rejected() -> None:
    import argparse

    from connectors.simulator.cli import parse_rate_limits

    assert parse_rate_limits(["jira=5", "admin_events=0.1"]) == {
        "jira": 5.0,
        "admin_events": 0.1,
    }
    with pytest.raises(argparse.ArgumentTypeError):
        parse_rate_limits(["bitbucket=5"])
