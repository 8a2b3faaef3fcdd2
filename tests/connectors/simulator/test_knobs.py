"""Knobs: latency, per-family rate limits, 500/503 faults, slow answers, dropped connections, call log."""

from __future__ import annotations

import httpx
import pytest

from connectors.simulator import Knobs, LostAnswer, Simulator, SimulatorConfig
from tests.connectors.simulator.conftest import API, SITE, client


class FakeTime:
    """A clock and a sleep that only move when told."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


def build(config: SimulatorConfig, **knobs: object) -> tuple[Simulator, FakeTime]:
    """A demo simulator whose knobs use a fake clock and sleep."""
    fake = FakeTime()
    sim = Simulator(config, Knobs(clock=fake.clock, sleep=fake.sleep, **knobs))  # type: ignore[arg-type]
    sim.seed_demo()
    return sim, fake


def jira_client(sim: Simulator, timeout: float = 5.0) -> httpx.Client:
    """Jira with Basic auth."""
    return client(
        sim,
        f"{SITE}/rest/api/3",
        auth=(sim.config.admin_email, sim.config.api_token),
        timeout=timeout,
    )


def test_latency_and_jitter(config: SimulatorConfig) -> None:
    sim, fake = build(config, latency_ms=50, jitter_ms=20, seed=3)

    jira_client(sim).get("/myself")

    assert 0.05 <= fake.slept[0] <= 0.07


def test_jitter_is_deterministic_under_a_seed(config: SimulatorConfig) -> None:
    runs = []
    for _ in range(2):
        sim, fake = build(config, latency_ms=1, jitter_ms=100, seed=9)
        for _ in range(5):
            jira_client(sim).get("/myself")
        runs.append(fake.slept)

    assert runs[0] == runs[1]


def test_jira_rate_limit_429_with_headers(config: SimulatorConfig) -> None:
    sim, fake = build(config, rate_limits={"jira": 2.0})
    jira = jira_client(sim)

    first, second, third = (jira.get("/myself") for _ in range(3))
    fake.now += 1.0
    later = jira.get("/myself")

    assert (
        first.status_code,
        second.status_code,
        third.status_code,
        later.status_code,
    ) == (200, 200, 429, 200)
    assert third.headers["Retry-After"] == "1"
    assert third.headers["RateLimit-Reason"] == "jira-burst-based"
    assert third.headers["X-RateLimit-Limit"] == "2"
    assert third.headers["X-RateLimit-Remaining"] == "0"
    assert third.headers["X-RateLimit-NearLimit"] == "true"
    assert len(third.headers["X-RateLimit-Reset"]) == len("2026-01-01T10:00Z")
    assert third.json()["errorMessages"]
    assert first.headers["X-RateLimit-Limit"] == "2"


def test_rate_limits_are_per_family(config: SimulatorConfig) -> None:
    sim, _ = build(config, rate_limits={"jira": 1.0})
    jira = jira_client(sim)
    wiki = client(sim, f"{SITE}/wiki", auth=(config.admin_email, config.api_token))

    jira.get("/myself")

    assert jira.get("/myself").status_code == 429
    assert wiki.get("/api/v2/spaces").status_code == 200


@pytest.mark.parametrize(
    ("family", "base", "auth_header", "path"),
    [
        ("admin", API, "org", "/admin/v1/orgs"),
        ("scim", None, "directory", "/Users"),
        ("confluence", f"{SITE}/wiki", None, "/api/v2/spaces"),
    ],
)
def test_other_families_429_in_their_own_shape(
    config: SimulatorConfig,
    family: str,
    base: str | None,
    auth_header: str | None,
    path: str,
) -> None:
    sim, _ = build(config, rate_limits={family: 1.0})
    headers = {
        "Authorization": f"Bearer {config.org_api_key if auth_header == 'org' else config.directory_api_key}"
    }
    kwargs = (
        {"headers": headers}
        if auth_header
        else {"auth": (config.admin_email, config.api_token)}
    )
    c = client(sim, base or config.scim_url, **kwargs)

    c.get(path)
    limited = c.get(path)

    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "1"
    if family == "admin":
        assert limited.json()["errors"][0]["status"] == "429"
        assert limited.headers["X-RateLimit-Reset"].endswith("Z")
    elif family == "scim":
        assert limited.json()["status"] == "429"
        assert "X-RateLimit-Limit" not in limited.headers
    else:
        assert limited.json()["errors"][0]["code"] == "TOO_MANY_REQUESTS"


def test_events_have_their_own_bucket(config: SimulatorConfig) -> None:
    sim, _ = build(config, rate_limits={"admin_events": 10 / 60})
    admin = client(sim, API, headers={"Authorization": f"Bearer {config.org_api_key}"})

    admin.get(f"/admin/v1/orgs/{config.org_id}/events")
    limited = admin.get(f"/admin/v1/orgs/{config.org_id}/events")

    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) == 6
    assert admin.get("/admin/v1/orgs").status_code == 200


def test_faults_are_500_or_503_and_change_nothing(config: SimulatorConfig) -> None:
    sim, _ = build(config, fault_rate=1.0, seed=1)
    jira = jira_client(sim)

    statuses = {
        jira.post("/group", json={"name": f"g{i}"}).status_code for i in range(20)
    }
    sample = jira.get("/myself")

    assert statuses == {500, 503}
    assert sample.json()["errorMessages"]
    assert sim.state.group_by_name("g0") is None


def test_503_carries_retry_after(config: SimulatorConfig) -> None:
    sim, _ = build(config, fault_rate=1.0, seed=1)
    jira = jira_client(sim)

    answers = [jira.get("/myself") for _ in range(20)]

    assert all(
        a.headers.get("Retry-After") == "1" for a in answers if a.status_code == 503
    )


def test_faults_are_deterministic_under_a_seed(config: SimulatorConfig) -> None:
    runs = []
    for _ in range(2):
        sim, _ = build(config, fault_rate=0.3, seed=5)
        jira = jira_client(sim)
        runs.append([jira.get("/myself").status_code for _ in range(40)])

    assert runs[0] == runs[1]
    assert 200 in runs[0] and ({500, 503} & set(runs[0]))


def test_slow_answer_past_the_timeout_is_a_read_timeout_but_applied(
    config: SimulatorConfig,
) -> None:
    sim, fake = build(config, slow_rate=1.0, slow_seconds=30.0)
    jira = jira_client(sim, timeout=0.5)

    with pytest.raises(httpx.ReadTimeout):
        jira.post("/group", json={"name": "late"})

    assert fake.slept == [0.5]
    assert sim.state.group_by_name("late") is not None  # the server did the work


def test_slow_answer_within_the_timeout_arrives(config: SimulatorConfig) -> None:
    sim, fake = build(config, slow_rate=1.0, slow_seconds=2.0)

    response = jira_client(sim, timeout=10.0).get("/myself")

    assert response.status_code == 200
    assert fake.slept == [2.0]


def test_dropped_connection_is_remote_protocol_error_and_not_applied(
    config: SimulatorConfig,
) -> None:
    sim, _ = build(config, drop_rate=1.0)

    with pytest.raises(httpx.RemoteProtocolError):
        jira_client(sim).post("/group", json={"name": "lost"})

    assert sim.state.group_by_name("lost") is None
    assert sim.calls[-1].status == 0


def test_a_lost_answer_is_applied_then_dropped_as_often_as_asked(
    config: SimulatorConfig,
) -> None:
    sim, _ = build(config, lost_answers=[LostAnswer("POST", r".*/group", times=1)])
    jira = jira_client(sim)

    with pytest.raises(httpx.RemoteProtocolError):
        jira.post("/group", json={"name": "made-unheard"})
    again = jira.post("/group", json={"name": "made-and-heard"})
    read = jira.get("/group/bulk")

    assert sim.state.group_by_name("made-unheard") is not None  # applied
    assert again.status_code == 201  # one use only
    assert read.status_code == 200  # other calls untouched
    assert sim.calls[0].status == 201  # the log says what Atlassian did


def test_knobs_can_change_at_run_time(config: SimulatorConfig) -> None:
    sim, _ = build(config)
    jira = jira_client(sim)

    sim.knobs.fault_rate = 1.0
    failing = jira.get("/myself").status_code
    sim.knobs.fault_rate = 0.0
    working = jira.get("/myself").status_code
    sim.knobs = Knobs(drop_rate=1.0)

    assert (failing, working) in ((500, 200), (503, 200))
    with pytest.raises(httpx.RemoteProtocolError):
        jira.get("/myself")


def test_call_log_and_counts(sim: Simulator, jira: httpx.Client) -> None:
    jira.get("/group/bulk")
    jira.get("/group/bulk", params={"startAt": 5})
    jira.post("/group", json={"name": "x"})

    counts = sim.call_counts()

    assert counts[("jira", "GET", "GET /rest/api/3/group/bulk")] == 2
    assert sim.calls[-1].body_keys == ("name",)
    assert sim.calls[-1].status == 201
    assert sim.calls[1].query == {"startAt": ["5"]}
    sim.reset_calls()
    assert sim.calls == []
