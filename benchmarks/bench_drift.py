"""Drift detection after a full reconciliation of a large organization.

`python -m benchmarks drift` fills a scratch database (SQLite under a temporary
directory; with DATABASE_URL=postgres://… a scratch database on that server, dropped
afterwards) in one child process with an Application of 100k accounts linked to
identities, 5k groups, 1k projects x 4 roles and 2M direct assignments (20 per
account: a product group, 17 groups, 2 project roles), 5k grants that explain some of
them and 500 grants whose access is missing. Another child process then times
`check_drift`: the first check (every unexplained assignment becomes a finding), an
immediate re-check, and a re-check after 1% of the assignments changed (half ended,
half new). It prints each time, the load average, its own peak RSS and row counts.

Environment: BENCH_DRIFT_ASSIGNMENTS (default 2,000,000; e.g. 300000 for a quick run).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from benchmarks.scratch import os_load, scratch_environment

PROJECT_DIR = Path(__file__).resolve().parent.parent
PER_ACCOUNT = 20  # 1 product group + 17 groups + 2 project roles
GROUPS, PROJECTS, ROLES_PER_PROJECT = 5_000, 1_000, 4
GROUP_STRIDE = GROUPS // 20  # an account's groups: u + k * stride, all distinct
EXPLAINING_GRANTS, MISSING_GRANTS = 5_000, 500
CHUNK = 200_000
PRODUCT_GROUP = "jira-software-users"


def main() -> None:
    """Fill a scratch database in one child process, measure in another."""
    with scratch_environment("bench_drift") as env:
        for step in ("--fill", "--measure"):
            subprocess.run(  # noqa: S603 - our own module, fixed arguments
                [sys.executable, "-m", "benchmarks.bench_drift", step],
                cwd=PROJECT_DIR,
                env=env,
                check=True,
            )


def assignment_count() -> int:
    """How many direct assignments to fill (BENCH_DRIFT_ASSIGNMENTS)."""
    return int(os.environ.get("BENCH_DRIFT_ASSIGNMENTS", "2000000").replace("_", ""))


# --- the first child: fill -------------------------------------------------------------


def fill() -> None:
    """Create the catalog, identities, accounts, assignments and grants in bulk."""
    import django

    django.setup()
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    accounts = -(-assignment_count() // PER_ACCOUNT)
    application = fill_application()
    identities, account_ids = fill_people(application, accounts)
    product, groups, roles = fill_catalog(application)
    fill_assignments(application, account_ids, product, groups, roles)
    fill_grants(identities, account_ids, groups, roles)
    analyze()
    print(
        f"filled in {time.perf_counter() - started:.1f} s "
        f"({os_load()}; database {database_vendor()})",
        flush=True,
    )


def fill_application() -> Any:
    """The Application: reports only, one product group, a service account."""
    from connectors.models import Application

    return Application.objects.create(
        name="Atlassian Cloud",
        site_url="https://acme.atlassian.net",
        admin_email="bot@acme.example",
        default_groups=[PRODUCT_GROUP],
        directory_id="d1",
        org_id="o1",
    )


def fill_people(application: Any, count: int) -> tuple[list[int], list[int]]:
    """`count` identities, each with one Atlassian account; returns both id lists."""
    from accessportal.models import User
    from connectors.models import Account
    from connectors.reconcile_sql import RowInserter

    users = RowInserter(User, ["username", "email", "display_name"], fill_defaults=True)
    for start in range(0, count, CHUNK):
        users.insert(
            (f"person{i}", f"person{i}@acme.example", f"Person {i}")
            for i in range(start, min(count, start + CHUNK))
        )
    identities = list(User.objects.order_by("pk").values_list("pk", flat=True))
    columns = ["application", "account_id", "email", "display_name", "identity"]
    accounts = RowInserter(Account, columns, fill_defaults=True)
    for start in range(0, count, CHUNK):
        accounts.insert(
            (application.pk, f"712020:{i:08d}", f"person{i}@acme.example", "", user)
            for i, user in enumerate(identities[start : start + CHUNK], start)
        )
    account_ids = list(
        Account.objects.filter(application=application)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return identities, account_ids


def fill_catalog(application: Any) -> tuple[int, list[int], list[int]]:
    """The product group, GROUPS groups, PROJECTS projects x ROLES_PER_PROJECT roles."""
    from connectors.models import Entitlement, Resource

    def entitlement(kind: str, key: str, name: str, **extra: Any) -> Entitlement:
        return Entitlement(
            application=application,
            kind=kind,
            external_id=key,
            name=name,
            display_name=name,
            **extra,
        )

    product = entitlement("group", "g-product", PRODUCT_GROUP)
    product.save()
    groups = Entitlement.objects.bulk_create(
        [entitlement("group", f"g{i}", f"group-{i}") for i in range(GROUPS)],
        batch_size=2000,
    )
    projects = Resource.objects.bulk_create(
        Resource(application=application, kind="project", external_id=f"p{i}",
                 key=f"P{i}", name=f"Project {i}")
        for i in range(PROJECTS)
    )  # fmt: skip
    roles = Entitlement.objects.bulk_create(
        [
            entitlement("project_role", f"p{p.pk}-{n}", f"role-{n}", resource=p)
            for p in projects
            for n in range(ROLES_PER_PROJECT)
        ],
        batch_size=2000,
    )
    return product.pk, [g.pk for g in groups], [r.pk for r in roles]


def held_groups(u: int, groups: list[int]) -> list[int]:
    """The 17 groups account number `u` belongs to (distinct)."""
    return [groups[(u + k * GROUP_STRIDE) % GROUPS] for k in range(17)]


def held_roles(u: int, roles: list[int]) -> list[int]:
    """Account number `u`'s two project roles, both in one project."""
    return [roles[(2 * u) % len(roles)], roles[(2 * u + 1) % len(roles)]]


def is_granted(u: int, accounts: int) -> bool:
    """Whether account number `u` got EXPLAINING_GRANTS' grants."""
    return u % max(1, accounts // EXPLAINING_GRANTS) == 0


def fill_assignments(
    application: Any, accounts: list[int], product: int, groups: list, roles: list
) -> None:
    """PER_ACCOUNT direct assignments per account; about 1% put there by the portal."""
    from connectors.models import Assignment
    from connectors.reconcile_assignments import COLUMNS
    from connectors.reconcile_sql import RowInserter, adapt_datetime

    inserter = RowInserter(Assignment, COLUMNS, fill_defaults=True)
    seen = adapt_datetime(_now() - timedelta(days=30))
    rows: list[tuple[Any, ...]] = []
    for u, account in enumerate(accounts):
        held = [product, *held_groups(u, groups), *held_roles(u, roles)]
        for n, entitlement in enumerate(held):
            # A provisioned role next to a granted one is Confluence-style side effect;
            # every 100th account also has a provisioned group no grant explains.
            provisioned = (n == 19 and is_granted(u, len(accounts))) or (
                n == 2 and u % 100 == 0
            )
            origin = "provisioned" if provisioned else "reconciled"
            app = application.pk
            rows.append((app, entitlement, account, None, origin, seen, seen))
        if len(rows) >= CHUNK:
            inserter.insert(rows, prepared=True)
            rows = []
    inserter.insert(rows, prepared=True)


def fill_grants(
    identities: list[int], accounts: list[int], groups: list, roles: list
) -> None:
    """Grants explaining some assignments; MISSING_GRANTS whose access is gone."""
    from approvals.models import Grant
    from connectors.reconcile_sql import RowInserter

    columns = ["beneficiary", "entitlement", "account", "state", "activated_at"]
    activated = _now() - timedelta(days=10)
    rows = []
    for u, (identity, account) in enumerate(zip(identities, accounts, strict=True)):
        if is_granted(u, len(accounts)):
            rows.append(
                (identity, held_groups(u, groups)[1], account, "active", activated)
            )
            rows.append(
                (identity, held_roles(u, roles)[0], account, "active", activated)
            )
    step = max(1, len(accounts) // MISSING_GRANTS)
    for u in range(1, len(accounts), step):
        absent = roles[(2 * u + len(roles) // 2) % len(roles)]
        rows.append((identities[u], absent, accounts[u], "active", activated))
    RowInserter(Grant, columns, fill_defaults=True).insert(rows)


def analyze() -> None:
    """Planner statistics, as autovacuum (PostgreSQL) or `optimize` would gather them."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def database_vendor() -> str:
    """The database the benchmark runs on."""
    from django.db import connection

    return connection.vendor


def _now() -> Any:
    from django.utils import timezone

    return timezone.now()


# --- the second child: measure ----------------------------------------------------------


def measure() -> None:
    """Time the first check, a re-check, and a re-check after 1% changed."""
    import django

    django.setup()
    from connectors.models import Application

    application = Application.objects.get()
    print(f"\n{os_load()}; database {database_vendor()}")
    print_counts("before")
    print(
        f"\n{'check':<34}{'seconds':>9}{'unmanaged':>11}{'missing':>9}{'resolved':>10}"
    )
    timed_check(application, "first check")
    timed_check(application, "re-check, nothing changed")
    checks_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    changed = change_one_percent(application)
    timed_check(application, f"re-check after {changed:,} changes")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"\npeak RSS of the measuring process: {checks_peak:.0f} MB after two checks, "
        f"{peak:.0f} MB at the end; {os_load()}"
    )
    print_counts("after")


def timed_check(application: Any, label: str) -> None:
    """One drift check after a new complete run, timed."""
    from approvals.drift import check_drift
    from connectors.models import ReconciliationRun

    run = ReconciliationRun.objects.create(
        application=application,
        status="succeeded",
        started_at=_now() - timedelta(minutes=1),
    )
    started = time.perf_counter()
    summary = check_drift(application, run=run)
    seconds = time.perf_counter() - started
    print(
        f"{label:<34}{seconds:>9.2f}{summary.unmanaged:>11,}"
        f"{summary.missing:>9,}{summary.resolved:>10,}",
        flush=True,
    )


def change_one_percent(application: Any) -> int:
    """End 0.5% of the direct assignments and add as many new ones; returns the total."""
    from django.db.models.functions import Mod

    from connectors.models import Account, Assignment, Entitlement
    from connectors.reconcile_assignments import COLUMNS
    from connectors.reconcile_sql import RowInserter, adapt_datetime

    direct = Assignment.objects.filter(application=application, ended_at__isnull=True)
    # Every 199th row ends (every 200th would always be the product group), chosen
    # in SQL: a list of the ids would cost this process more memory than the checks.
    ended = direct.alias(bucket=Mod("pk", 199)).filter(bucket=1).update(ended_at=_now())
    half = ended
    groups = list(
        Entitlement.objects.filter(application=application, kind="group")
        .exclude(name=PRODUCT_GROUP)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    accounts = (
        Account.objects.filter(application=application)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    when = adapt_datetime(_now())
    rows = [
        (application.pk, groups[(u + GROUP_STRIDE // 2 + n) % GROUPS], account,
         None, "reconciled", when, when)
        for u, account in enumerate(accounts[: half // 5 + 1])
        for n in range(5)
    ][:half]  # fmt: skip
    added = RowInserter(Assignment, COLUMNS, fill_defaults=True).insert(
        rows, prepared=True
    )
    return ended + added


def print_counts(moment: str) -> None:
    """Row counts of the tables drift reads and writes."""
    from django.db.models import Count

    from approvals.models import DriftFinding, Grant
    from connectors.models import Account, Assignment

    findings = {
        f"{kind}/{status}": n
        for kind, status, n in DriftFinding.objects.values_list("kind", "status")
        .annotate(n=Count("pk"))
        .order_by()
    }
    print(
        f"rows {moment}: {Assignment.objects.count():,} assignments "
        f"({Assignment.objects.filter(ended_at__isnull=True).count():,} current), "
        f"{Account.objects.count():,} accounts, {Grant.objects.count():,} grants, "
        f"{DriftFinding.objects.count():,} drift findings {findings}"
    )


if __name__ == "__main__":
    if "--fill" in sys.argv:
        fill()
    elif "--measure" in sys.argv:
        measure()
    else:
        main()
