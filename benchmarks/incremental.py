"""Incremental reconciliation after the benchmark's full run: what it costs, and is it right.

Called by `bench_reconcile` once its full run is reported (BENCH_INCREMENTAL=0 skips
it). In the same database and against the same simulator:

1. an incremental run with nothing changed since the full run: the least an
   incremental run costs (the org audit log names nothing; projects, spaces and the
   group list are still listed and compared);
2. a batch of changes made over the simulator's HTTP APIs as an identity provider and
   an admin make them (`org_changes.py`; BENCH_CHANGED_USERS, default 0.005 of the
   users, is how many accounts the changes name), which the simulator records in its
   org audit log;
3. an incremental run as `manage.py reconcile --incremental` starts one, with the
   change feed on (the portal's settings); its wall time, calls per family, rows
   created/updated/removed per kind, peak RSS; then a check that the catalog now
   says what Atlassian says about everything the batch changed. A difference prints
   a FAIL line and fails the benchmark.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.bench_reconcile import (
    CREDENTIALS,
    MemoryByPhase,
    drop_listeners,
    load_average,
    reconcile_in_child,
)
from benchmarks.org_changes import make_changes

OUTCOMES = ("created", "updated", "removed")


def measure(
    url: str,
    database_url: str,
    workdir: Path,
    users: int,
    latency_ms: float,
    full: dict[str, Any],
) -> None:
    """Nothing changed, then the batch: two incremental runs, reported and checked."""
    concurrency = int(os.environ.get("BENCH_CONCURRENCY", "8"))
    fraction = float(os.environ.get("BENCH_CHANGED_USERS", "0.005"))
    quiet = reconcile_in_child(
        url, database_url, workdir, concurrency, module="benchmarks.incremental"
    )
    report("incremental run, nothing changed since the full run", quiet, latency_ms)
    compare(quiet, full)
    started = time.perf_counter()
    expected = make_changes(url, CREDENTIALS, users, fraction, concurrency)
    print(
        f"\nchanges made over HTTP in {time.perf_counter() - started:.1f} s: "
        f"{expected.summary()}"
    )
    path = workdir / "expected.json"
    path.write_text(json.dumps(expected.to_json()))
    figures = reconcile_in_child(
        url, database_url, workdir, concurrency,
        module="benchmarks.incremental", env={"BENCH_EXPECTED": str(path)},
    )  # fmt: skip
    report("incremental run after the changes", figures, latency_ms)
    compare(figures, full)
    failures = figures["differences"]
    if figures["status"] != "succeeded":
        failures = [f"the run {figures['status']}: {figures['error']}", *failures]
    for failure in failures:
        print(f"FAIL: {failure}")
    if failures:
        raise RuntimeError(
            f"The catalog disagrees with Atlassian: {len(failures)} differences"
        )
    print("check: the catalog agrees with Atlassian on everything the changes touched")


def report(title: str, figures: dict[str, Any], latency_ms: float) -> None:
    """Wall time, calls per family and the bound, rows changed, RSS, CPU, warnings."""
    calls = figures["api_calls"]
    total = sum(calls.values())
    concurrency = int(os.environ.get("BENCH_CONCURRENCY", "8"))
    bound = total * latency_ms / 1000 / concurrency
    wall = figures["wall_seconds"]
    print(f"\n{title}: {figures['status']} {figures['error']}")
    print(
        f"wall time: {wall:.1f} s; load average (1, 5, 15 min) at the end: {load_average()}"
    )
    print(
        "API calls: " + ", ".join(f"{f} {n}" for f, n in sorted(calls.items()))
        + f" (total {total}); bound {bound:.1f} s, ratio {wall / bound if bound else 0:.2f}x"
    )  # fmt: skip
    print(
        f"peak RSS {figures['peak_rss_mb']:.0f} MB; "
        f"CPU time of the reconciling process {figures['cpu_seconds']:.1f} s"
    )
    changed = {
        kind: ", ".join(f"{o} {row[o]}" for o in OUTCOMES if row.get(o))
        for kind, row in sorted(figures["counts"].items())
    }
    print(
        "rows changed: "
        + ("; ".join(f"{k} {v}" for k, v in changed.items() if v) or "none")
    )
    print(
        "phases (rows, seconds): "
        + ", ".join(f"{k} {v[0]} in {v[1]} s" for k, v in figures["phases"].items())
    )
    for warning in figures["warnings"]:
        print(f"warning: {warning}")


def compare(figures: dict[str, Any], full: dict[str, Any]) -> None:
    """The incremental run's calls and wall time as parts of the full run's."""
    calls, full_calls = (
        sum(figures["api_calls"].values()),
        sum(full["api_calls"].values()),
    )
    wall, full_wall = figures["wall_seconds"], full["wall_seconds"]
    print(
        f"against the full run: {calls} / {full_calls} calls ({calls / full_calls:.0%}), "
        f"{wall:.1f} / {full_wall:.1f} s ({wall / full_wall:.0%})"
    )


def child() -> None:
    """In the reconciling process: one incremental run as the CLI starts it, then the check."""
    import django

    django.setup()
    from connectors.models import Application, RunTrigger
    from connectors.reconcile import execute_run, start_run

    drop_listeners()
    application = Application.objects.get(name="Bench")
    memory = MemoryByPhase()
    with memory:
        run = start_run(application, incremental=True, trigger=RunTrigger.CLI)
        run = execute_run(run.pk, on_progress=memory.on_progress)
    expected = os.environ.get("BENCH_EXPECTED")
    differences = (
        check(application, json.loads(Path(expected).read_text())) if expected else []
    )
    usage = resource.getrusage(resource.RUSAGE_SELF)
    figures = {
        "status": run.status, "error": run.error, "api_calls": run.api_calls, "counts": run.counts,
        "wall_seconds": (run.finished_at - run.started_at).total_seconds(),
        "peak_rss_mb": usage.ru_maxrss / 1024, "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "phases": {p: (e["done"], e.get("seconds")) for p, e in run.progress.items()},
        "warnings": run.errors[:5], "differences": differences,
    }  # fmt: skip
    print(json.dumps(figures))


def check(application: Any, expected: dict[str, Any]) -> list[str]:
    """Where the catalog disagrees with what the batch made Atlassian say."""
    catalog = Catalog(application, expected)
    return [
        *check_accounts(catalog, expected),
        *check_memberships(catalog, expected),
        *check_holders(catalog, expected),
    ]


class Catalog:
    """What the catalog says now about the accounts and groups the batch named."""

    def __init__(self, application: Any, expected: dict[str, Any]) -> None:
        from connectors.base import EntitlementKind
        from connectors.models import Account, Assignment, Entitlement

        pairs = [*expected["members_added"], *expected["members_removed"]]
        ids = {account_id for _, account_id in pairs + expected["holders_added"]}
        ids |= {*expected["titles"], *expected["deactivated"], *expected["created"]}
        ids |= set(expected["left_directory"])
        accounts = Account.objects.filter(application=application, account_id__in=ids)
        self.accounts = {a.account_id: a for a in accounts}
        current = Assignment.objects.current().filter(
            application=application, account__account_id__in=ids
        )
        self.held = set(
            current.values_list("entitlement__external_id", "account__account_id")
        )
        self.members = set(
            current.filter(entitlement__kind=EntitlementKind.GROUP).values_list(
                "entitlement__name", "account__account_id"
            )
        )
        groups = Entitlement.objects.present().filter(
            application=application, kind=EntitlementKind.GROUP
        )
        self.groups = set(
            groups.filter(name__in=expected["groups_created"]).values_list(
                "name", flat=True
            )
        )


def check_accounts(catalog: Catalog, expected: dict[str, Any]) -> list[str]:
    """Updated, deactivated and created accounts."""
    from connectors.base import AccountStatus

    differences = []
    for account_id, wanted in expected["titles"].items():
        account = catalog.accounts.get(account_id)
        found = [account.title, account.department] if account else None
        if found != wanted:
            differences.append(
                f"account {account_id}: title and department {found} in the "
                f"catalog, {wanted} in Atlassian"
            )
    for account_id in expected["deactivated"]:
        account = catalog.accounts.get(account_id)
        if account is None or account.status == AccountStatus.ACTIVE:
            differences.append(
                f"account {account_id} is deactivated in Atlassian, active in the catalog"
            )
    for account_id, email in expected["created"].items():
        account = catalog.accounts.get(account_id)
        if account is None or account.removed_at is not None or account.email != email:
            differences.append(
                f"new account {email} ({account_id}) is not in the catalog"
            )
    return differences


def check_memberships(catalog: Catalog, expected: dict[str, Any]) -> list[str]:
    """Members added and removed, users gone from the directory, the new group."""
    added = {(group, account) for group, account in expected["members_added"]}
    removed = {(group, account) for group, account in expected["members_removed"]}
    differences = [
        f"{account} was added to {group}; the catalog does not have it"
        for group, account in sorted(added - catalog.members)
    ]
    differences += [
        f"{account} was removed from {group}; the catalog still has it"
        for group, account in sorted((removed - added) & catalog.members)
    ]
    for account_id in expected["left_directory"]:
        still = sorted(
            group for group, member in catalog.members if member == account_id
        )
        if still:
            differences.append(
                f"account {account_id} left the directory; the catalog has it in {still}"
            )
    differences += [
        f"new group {name} is not in the catalog"
        for name in expected["groups_created"]
        if name not in catalog.groups
    ]
    return differences


def check_holders(catalog: Catalog, expected: dict[str, Any]) -> list[str]:
    """Project role actors and space permission holders added."""
    return [
        f"{account_id} was granted {external_id}; the catalog does not have it"
        for external_id, account_id in expected["holders_added"]
        if (external_id, account_id) not in catalog.held
    ]


if __name__ == "__main__":
    if "--child" in sys.argv:
        child()
