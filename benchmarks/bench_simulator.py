"""Seed a large simulated organization and report time, peak memory and paging speed.

Run: `python benchmarks/bench_simulator.py [--users 100000 --groups 5000 --projects 1000 --spaces 2000]`.
Targets: 100k users seeded in under 30 s, the process under 2 GB.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connectors.simulator import Simulator, SimulatorConfig


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB (Linux reports it in KB)."""
    try:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    except ImportError:  # pragma: no cover - not Linux
        return psutil.Process().memory_info().rss / 2**20


def walk_scim(sim: Simulator) -> tuple[int, float]:
    """Page through every SCIM user over the in-process transport."""
    config = sim.config
    client = httpx.Client(
        transport=sim.transport(),
        base_url=config.scim_url,
        headers={"Authorization": f"Bearer {config.directory_api_key}"},
    )
    started, seen, start = time.perf_counter(), 0, 1
    while True:
        body = client.get("/Users", params={"startIndex": start, "count": 100}).json()
        seen += body["itemsPerPage"]
        start += body["itemsPerPage"]
        if not body["Resources"]:
            return seen, time.perf_counter() - started


def walk_group(sim: Simulator, name: str) -> tuple[int, float]:
    """Page through the members of a big group with Jira's /group/member."""
    config = sim.config
    client = httpx.Client(
        transport=sim.transport(),
        base_url=f"{config.site_url}/rest/api/3",
        auth=(config.admin_email, config.api_token),
    )
    group = sim.state.group_by_name(name)
    assert group is not None  # noqa: S101 - the generator makes it
    started, seen, start = time.perf_counter(), 0, 0
    while True:
        body = client.get(
            "/group/member", params={"groupId": group.group_id, "startAt": start}
        ).json()
        seen += len(body["values"])
        start += len(body["values"])
        if body["isLast"]:
            return seen, time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    """Seed, measure, print. `python -m benchmarks` passes no options (the defaults)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--groups", type=int, default=5_000)
    parser.add_argument("--projects", type=int, default=1_000)
    parser.add_argument("--spaces", type=int, default=2_000)
    parser.add_argument("--memberships-per-user", type=int, default=20)
    parser.add_argument("--skip-walks", action="store_true")
    options = parser.parse_args([] if argv is None else argv)

    sim = Simulator(SimulatorConfig())
    started = time.perf_counter()
    sim.seed_large(
        users=options.users,
        groups=options.groups,
        projects=options.projects,
        spaces=options.spaces,
        memberships_per_user=options.memberships_per_user,
        seed=1,
    )
    seconds = time.perf_counter() - started
    counts = sim.dump()["counts"]
    print(
        f"seeded {counts['users']} users, {counts['groups']} groups, {counts['memberships']} memberships, "
        f"{counts['projects']} projects, {counts['spaces']} spaces, {counts['permissions']} permissions"
    )
    print(f"seed time: {seconds:.1f} s (target < 30 s)")
    print(
        f"RSS now: {psutil.Process().memory_info().rss / 2**20:.0f} MB; peak RSS: {peak_rss_mb():.0f} MB "
        "(target < 2048 MB)"
    )
    if not options.skip_walks:
        seen, elapsed = walk_scim(sim)
        print(
            f"SCIM walk: {seen} users in {elapsed:.1f} s ({seen / max(elapsed, 1e-9):.0f} users/s)"
        )
        seen, elapsed = walk_group(sim, "confluence-users")
        print(f"Jira /group/member walk: {seen} members in {elapsed:.1f} s")
        print(f"peak RSS after walks: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main(sys.argv[1:])
