"""Reconcile a large simulated organization over HTTP with injected latency.

`make bench` (or `python -m benchmarks reconcile`) seeds the simulator with 100k users,
5k groups (~20 memberships per user), 1k projects x 4 roles and 2k spaces, serves it
in its own process with 20 ms per call, and reconciles it into a scratch database in
another process. It prints the wall time, API calls per family, the lower bound those
calls imply at the configured concurrency and latency, the ratio to it, the peak RSS of
the reconciling process and the rows written. Then, in the same database, two
incremental runs: one with nothing changed, and one after a batch of changes made over
the simulator's APIs, checked against them (`incremental.py`; BENCH_INCREMENTAL=0 skips
them, BENCH_CHANGED_USERS sizes the batch).

Environment: BENCH_SCALE (default 1.0; 0.1 for a quick run), BENCH_LATENCY_MS (20),
BENCH_CONCURRENCY (8). With DATABASE_URL=postgres://… a scratch database is created
on that server and dropped afterwards; otherwise a scratch SQLite file is used.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks.http_floor import measure_floor
from benchmarks.scratch import scratch_database

PROJECT_DIR = Path(__file__).resolve().parent.parent
FULL_SIZE = {"users": 100_000, "groups": 5_000, "projects": 1_000, "spaces": 2_000}
MEMBERSHIPS_PER_USER = 20
CREDENTIALS = {
    "ATLASSIAN_ADMIN_EMAIL": "portal-bot@acme.example",
    "ATLASSIAN_API_TOKEN": "bench-api-token",
    "ATLASSIAN_DIRECTORY_ID": "d0d0d0d0-0000-4000-8000-00000000beef",
    "ATLASSIAN_DIRECTORY_API_KEY": "bench-directory-key",
    "ATLASSIAN_ORG_ID": "0a0a0a0a-0000-4000-8000-00000000beef",
    "ATLASSIAN_ORG_API_KEY": "bench-org-key",
}


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_simulator(
    sizes: dict[str, int], latency_ms: float, port: int, log: Path
) -> subprocess.Popen[bytes]:
    """The seeded simulator in its own process; returns once it listens."""
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        **CREDENTIALS,
        "ATLASSIAN_SITE_URL": url,
        "ATLASSIAN_ADMIN_API_URL": url,
    }
    command = [
        sys.executable, "-m", "connectors.simulator", "--port", str(port), "--seed", "large",
        "--users", str(sizes["users"]), "--groups", str(sizes["groups"]),
        "--projects", str(sizes["projects"]), "--spaces", str(sizes["spaces"]),
        "--memberships-per-user", str(MEMBERSHIPS_PER_USER), "--latency-ms", str(latency_ms),
    ]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
            command, cwd=PROJECT_DIR, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    while process.poll() is None:
        if b"listening on" in log.read_bytes():
            return process
        time.sleep(0.5)
    raise RuntimeError(f"The simulator did not start:\n{log.read_text()[-4000:]}")


def reconcile_in_child(
    url: str,
    database_url: str,
    workdir: Path,
    concurrency: int,
    module: str = "benchmarks.bench_reconcile",
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run a module's reconciliation in a fresh process (so its peak RSS is its own)."""
    env = {
        **os.environ, **CREDENTIALS, "DATABASE_URL": database_url, "ACCESSPORTAL_VAR_DIR": str(workdir),
        "DJANGO_SETTINGS_MODULE": "accessportal.settings", "ATLASSIAN_SIMULATOR_URL": url,
        "BENCH_CONCURRENCY": str(concurrency), "LOG_LEVEL": "WARNING", **(env or {}),
    }  # fmt: skip
    done = subprocess.run(  # noqa: S603 - one of our own modules
        [sys.executable, "-m", module, "--child"],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"The reconciling process failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


class MemoryByPhase:
    """Samples the process's resident memory every 0.2 s: the peak of each phase."""

    def __init__(self) -> None:
        self.phase = "setup"
        self.peaks: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def on_progress(self, phase: str, done: int, total: int | None) -> None:
        """The run's progress callback: remember which phase is running."""
        self.phase = phase

    def _sample(self) -> None:
        status = Path("/proc/self/status")
        while not self._stop.wait(0.2):
            if not status.exists():
                return
            for line in status.read_text().splitlines():
                if line.startswith("VmRSS:"):
                    megabytes = int(line.split()[1]) / 1024
                    self.peaks[self.phase] = max(
                        self.peaks.get(self.phase, 0), megabytes
                    )

    def __enter__(self) -> MemoryByPhase:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def drop_listeners() -> None:
    """Drift detection listens to reconciliation_finished and runs after the run; it is
    measured apart (BENCH_WITH_LISTENERS=1 keeps it and reports its time)."""
    if not os.environ.get("BENCH_WITH_LISTENERS"):
        from connectors.signals import reconciliation_finished

        reconciliation_finished.receivers.clear()
        reconciliation_finished.sender_receivers_cache.clear()


def child() -> None:
    """In the reconciling process: migrate, reconcile once, print figures as JSON."""
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from accessportal.models import User
    from connectors.models import (
        Account,
        Application,
        Assignment,
        Entitlement,
        Resource,
    )
    from connectors.reconcile import execute_run, start_run

    call_command("migrate", verbosity=0)
    drop_listeners()
    url = settings.SIMULATOR_URL
    application = Application.objects.create(
        name="Bench", site_url=url, admin_email=settings.ATLASSIAN_ADMIN_EMAIL,
        api_token=settings.ATLASSIAN_API_TOKEN, scim_url=f"{url}/scim/directory/{settings.ATLASSIAN_DIRECTORY_ID}",
        directory_id=settings.ATLASSIAN_DIRECTORY_ID, directory_api_key=settings.ATLASSIAN_DIRECTORY_API_KEY,
        admin_api_url=url, org_id=settings.ATLASSIAN_ORG_ID, org_api_key=settings.ATLASSIAN_ORG_API_KEY,
        max_concurrency=int(os.environ["BENCH_CONCURRENCY"]),
    )  # fmt: skip
    memory = MemoryByPhase()
    started = time.perf_counter()
    with memory:
        run = execute_run(start_run(application).pk, on_progress=memory.on_progress)
    total = time.perf_counter() - started
    wall = (run.finished_at - run.started_at).total_seconds()
    rows = {
        "identities": User.objects.count(),
        "accounts": Account.objects.count(),
        "resources": Resource.objects.count(),
        "entitlements": Entitlement.objects.count(),
        "assignments": Assignment.objects.count(),
    }
    usage = resource.getrusage(resource.RUSAGE_SELF)
    figures = {
        "status": run.status, "error": run.error, "wall_seconds": wall, "total_seconds": total, "api_calls": run.api_calls,
        "rows": rows, "peak_rss_mb": usage.ru_maxrss / 1024, "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "phases": {p: (e["done"], e.get("seconds")) for p, e in run.progress.items()}, "warnings": run.errors[:5],
        "rss_by_phase": memory.peaks,
    }  # fmt: skip
    print(json.dumps(figures))


def report(
    figures: dict[str, Any], sizes: dict[str, int], latency_ms: float, concurrency: int
) -> None:
    """Print the figures and how they compare to the bound."""
    calls = figures["api_calls"]
    total = sum(calls.values())
    bound = total * latency_ms / 1000 / concurrency
    wall = figures["wall_seconds"]
    print(
        f"organization: {sizes} x {MEMBERSHIPS_PER_USER} memberships/user; latency {latency_ms:g} ms; concurrency {concurrency}"
    )
    print(f"status: {figures['status']} {figures['error']}")
    print(f"wall time: {wall:.1f} s (reconciliation run, start to finish)")
    # The machine may be shared: the load says how much the figures can be trusted.
    print(f"load average (1, 5, 15 min) at the end: {load_average()}")
    if os.environ.get("BENCH_WITH_LISTENERS"):
        listeners = figures["total_seconds"] - wall
        print(
            f"then {listeners:.1f} s in reconciliation_finished receivers (drift detection)"
        )
    print(
        "API calls: "
        + ", ".join(f"{f} {n}" for f, n in sorted(calls.items()))
        + f" (total {total})"
    )
    print(
        f"lower bound (calls x latency / concurrency): {bound:.1f} s; ratio {wall / bound if bound else 0:.2f}x"
    )
    print(f"peak RSS of the reconciling process: {figures['peak_rss_mb']:.0f} MB")
    peaks = figures["rss_by_phase"]
    print(
        "peak RSS by phase: " + ", ".join(f"{k} {v:.0f} MB" for k, v in peaks.items())
    )
    # CPU time says more than wall time when other work competes for the cores.
    print(f"CPU time of the reconciling process: {figures['cpu_seconds']:.1f} s")
    print(
        "rows: "
        + ", ".join(f"{k} {v}" for k, v in figures["rows"].items())
        + f" (total {sum(figures['rows'].values())})"
    )
    print(
        "phases (rows, seconds): "
        + ", ".join(f"{k} {v[0]} in {v[1]} s" for k, v in figures["phases"].items())
    )
    for warning in figures["warnings"]:
        print(f"warning: {warning}")


def report_floor(
    url: str, figures: dict[str, Any], latency_ms: float, concurrency: int
) -> None:
    """What a bare client reaches against the same simulator: the harness's floor."""
    auth = (CREDENTIALS["ATLASSIAN_ADMIN_EMAIL"], CREDENTIALS["ATLASSIAN_API_TOKEN"])
    floor = measure_floor(url, auth, concurrency=concurrency)
    calls = sum(figures["api_calls"].values())
    least = floor.seconds_for(calls)
    ideal = concurrency * 1000 / latency_ms if latency_ms else 0
    print(
        f"harness floor: a bare httpx client makes {floor.rate:.0f} calls/s against "
        f"this simulator on this machine at concurrency {concurrency} (the bound assumes "
        f"{ideal:.0f}/s): {calls} calls take at least {least:.1f} s here; "
        f"wall / floor {figures['wall_seconds'] / least if least else 0:.2f}x"
    )


def load_average() -> str:
    """The 1, 5 and 15 minute load averages."""
    return ", ".join(f"{load:.2f}" for load in os.getloadavg())


def main() -> None:
    """Seed, serve, reconcile, report; everything scratch is removed afterwards."""
    scale = float(os.environ.get("BENCH_SCALE", "1"))
    latency_ms = float(os.environ.get("BENCH_LATENCY_MS", "20"))
    concurrency = int(os.environ.get("BENCH_CONCURRENCY", "8"))
    sizes = {name: max(1, int(number * scale)) for name, number in FULL_SIZE.items()}
    workdir = Path(tempfile.mkdtemp(prefix="bench-reconcile-"))
    port = free_port()
    started = time.perf_counter()
    simulator = start_simulator(sizes, latency_ms, port, workdir / "simulator.log")
    print(f"simulator seeded and serving in {time.perf_counter() - started:.1f} s")
    print(f"load average (1, 5, 15 min) before the run: {load_average()}")
    database_url, drop = scratch_database(workdir, "bench_reconcile")
    try:
        figures = reconcile_in_child(
            f"http://127.0.0.1:{port}", database_url, workdir, concurrency
        )
        report(figures, sizes, latency_ms, concurrency)
        report_floor(f"http://127.0.0.1:{port}", figures, latency_ms, concurrency)
        if os.environ.get("BENCH_INCREMENTAL", "1") != "0":
            from benchmarks import incremental  # here: it imports this module

            url = f"http://127.0.0.1:{port}"
            users = sizes["users"]
            incremental.measure(url, database_url, workdir, users, latency_ms, figures)
    finally:
        simulator.terminate()
        simulator.wait(timeout=30)
        drop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    if "--child" in sys.argv:
        child()
    else:
        main()
