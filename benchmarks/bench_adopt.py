"""Adopting existing access after the first drift check of a large organization.

`python -m benchmarks adopt` fills a scratch database exactly as the drift benchmark
does (`bench_drift --fill`: 100k accounts, 2M direct assignments, 5.5k grants; the
size follows BENCH_DRIFT_ASSIGNMENTS, e.g. 200000), then in another child process runs
the first drift check (every unexplained assignment becomes an open unmanaged finding)
and times `adopt_open_findings` over all of them, then a re-check. It prints wall and
CPU seconds (SQLite runs in the measuring process, so its CPU time counts there), the
load average and row counts.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from datetime import timedelta
from typing import Any

from benchmarks.bench_drift import PROJECT_DIR, database_vendor, print_counts
from benchmarks.scratch import os_load, scratch_environment


def main() -> None:
    """Fill with the drift benchmark's filler, measure in a second child."""
    with scratch_environment("bench_adopt") as env:
        for module, step in (("bench_drift", "--fill"), ("bench_adopt", "--measure")):
            subprocess.run(  # noqa: S603 - our own modules, fixed arguments
                [sys.executable, "-m", f"benchmarks.{module}", step],
                cwd=PROJECT_DIR,
                env=env,
                check=True,
            )


def measure() -> None:
    """First check, adoption of every open unmanaged finding, re-check."""
    import django

    django.setup()
    from accessportal.models import User
    from connectors.models import Application

    application = Application.objects.get()
    admin = User.objects.create_superuser("bench-admin", "bench-admin@acme.example")
    print(f"\n{os_load()}; database {database_vendor()}")
    print(f"\n{'step':<30}{'wall s':>9}{'CPU s':>8}  result")
    summary = timed("first drift check", lambda: check(application))
    print(f"{'':<47}{summary.unmanaged:,} unmanaged findings")
    adoption = timed("adopt all open unmanaged", lambda: adopt(application, admin))
    print(f"{'':<47}{adoption.adopted:,} adopted, {adoption.left_open:,} left open")
    again = timed("re-check after adoption", lambda: check(application))
    print(f"{'':<47}{again.unmanaged:,} unmanaged, {again.resolved:,} resolved")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS of the measuring process: {peak:.0f} MB; {os_load()}")
    print_counts("after")


def timed(label: str, step: Any) -> Any:
    """Run `step`, print its wall and CPU time, return its result."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = step()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{label:<30}{wall:>9.2f}{cpu:>8.2f}", flush=True)
    return result


def check(application: Any) -> Any:
    """One drift check after a new complete run."""
    from django.utils import timezone

    from approvals.drift import check_drift
    from connectors.models import ReconciliationRun

    run = ReconciliationRun.objects.create(
        application=application,
        status="succeeded",
        started_at=timezone.now() - timedelta(minutes=1),
    )
    return check_drift(application, run=run)


def adopt(application: Any, admin: Any) -> Any:
    """Adopt every open unmanaged finding."""
    from approvals.drift_adoption import adopt_open_findings

    return adopt_open_findings(application, by=admin)


if __name__ == "__main__":
    if "--measure" in sys.argv:
        measure()
    else:
        main()
