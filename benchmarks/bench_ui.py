"""Server-side render time of the busiest pages with 50k entitlements and 10k requests.

`make bench` (or `python -m benchmarks ui`) fills a scratch database in a child process
(SQLite under a temporary directory; with DATABASE_URL=postgres://… a scratch database
on that server, dropped afterwards) with 50k entitlements in 1.5k projects and spaces,
2k people under 100 managers, 10k requests (3k pending) and 5k grants, then renders
each page through Django's full request handling (middleware, views, templates, the
database) and prints the median and 95th percentile and the number of queries.

Environment: BENCH_UI_ROUNDS (default 20 renders per page).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.scratch import os_load, scratch_environment

PROJECT_DIR = Path(__file__).resolve().parent.parent
ENTITLEMENTS = 50_000
REQUESTS = 10_000
PENDING = 3_000
PEOPLE = 2_000
MANAGERS = 100
PROJECTS, SPACES = 1_000, 500
BUDGET_MS = 100.0


def main() -> None:
    """Run the measurement in a child process against a scratch database."""
    with scratch_environment("bench_ui") as env:
        subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_ui", "--child"],
            cwd=PROJECT_DIR,
            env=env,
            check=True,
        )


# --- the child: fill the database, then measure --------------------------------------


def child() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    people = fill()
    analyze()
    print(
        f"scratch database filled in {time.perf_counter() - started:.1f} s: "
        f"{ENTITLEMENTS:,} entitlements, {REQUESTS:,} requests ({PENDING:,} pending), "
        f"{PEOPLE:,} people"
    )
    measure(people)


def analyze() -> None:
    """Planner statistics, as autovacuum gathers them soon after a bulk load."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def fill() -> dict[str, object]:
    """Bulk-create the catalog, the people, the requests and the grants."""
    from accessportal.models import User
    from approvals.models import ApprovalRule, Policy
    from connectors.models import Application

    application = Application.objects.create(
        name="Atlassian Cloud",
        site_url="https://acme.atlassian.net",
        admin_email="bot@acme.example",
        scim_url="https://api.atlassian.com/scim/directory/d1",
        directory_id="d1",
        org_id="o1",
    )
    admin = User.objects.create_user("admin", "admin@acme.example", "x", is_staff=True)
    managers = User.objects.bulk_create(
        User(
            username=f"manager{i}",
            email=f"manager{i}@acme.example",
            display_name=f"Manager {i}",
        )
        for i in range(MANAGERS)
    )
    reports = User.objects.bulk_create(
        User(
            username=f"person{i}",
            email=f"person{i}@acme.example",
            display_name=f"Person {i}",
            manager=managers[i % MANAGERS],
            job_title="Engineer",
        )
        for i in range(PEOPLE - MANAGERS)
    )
    entitlements = fill_catalog(application)
    Policy.objects.create(name="Default", is_default=True, rule=ApprovalRule.MANAGER)
    Policy.objects.create(
        name="Spaces",
        kind="space_permission",
        rule=ApprovalRule.OWNER,
        max_duration_days=90,
    )
    fill_requests(reports, entitlements)
    return {"admin": admin, "manager": managers[0], "requester": reports[0]}


def fill_catalog(application: object) -> list[int]:
    """1k projects x 20 roles, 500 spaces x 40 permissions, 10k groups."""
    from connectors.models import Entitlement, Resource

    resources = Resource.objects.bulk_create(
        [
            Resource(
                application=application,
                kind="project",
                external_id=f"p{i}",
                key=f"P{i}",
                name=f"Project {i}",
            )
            for i in range(PROJECTS)
        ]
        + [
            Resource(
                application=application,
                kind="space",
                external_id=f"s{i}",
                key=f"S{i}",
                name=f"Space {i}",
            )
            for i in range(SPACES)
        ]
    )
    rows = []
    for resource in resources:
        per = 20 if resource.kind == "project" else 40
        kind = "project_role" if resource.kind == "project" else "space_permission"
        rows += [
            Entitlement(
                application=application,
                kind=kind,
                external_id=f"{resource.external_id}-{n}",
                resource=resource,
                name=f"role-{n}",
                display_name=f"{resource.key} · Role {n}",
                description=f"Role {n} in {resource.name}",
            )
            for n in range(per)
        ]
    rows += [
        Entitlement(
            application=application,
            kind="group",
            external_id=f"g{i}",
            name=f"group-{i}",
            display_name=f"group-{i}",
        )
        for i in range(ENTITLEMENTS - len(rows))
    ]
    return [e.pk for e in Entitlement.objects.bulk_create(rows, batch_size=2000)]


def fill_requests(reports: list, entitlements: list[int]) -> None:
    """10k requests: 3k pending with an open manager step, 5k active with grants."""
    from approvals.models import AccessRequest, ApprovalStep, Grant

    requests = AccessRequest.objects.bulk_create(
        [
            AccessRequest(
                requester=reports[i % len(reports)],
                beneficiary=reports[i % len(reports)],
                entitlement_id=entitlements[(i * 7) % len(entitlements)],
                justification="Needed for the quarterly release",
                state="pending"
                if i < PENDING
                else ("active" if i < PENDING + 5_000 else "denied"),
            )
            for i in range(REQUESTS)
        ],
        batch_size=2000,
    )
    steps = ApprovalStep.objects.bulk_create(
        [
            ApprovalStep(request=r, order=1, rule="manager", state="open")
            for r in requests[:PENDING]
        ],
        batch_size=2000,
    )
    through = ApprovalStep.approvers.through
    through.objects.bulk_create(
        [
            through(approvalstep_id=s.pk, user_id=r.beneficiary.manager_id)
            for s, r in zip(steps, requests, strict=False)
        ],
        batch_size=2000,
    )
    Grant.objects.bulk_create(
        [
            Grant(
                request=r,
                beneficiary=r.beneficiary,
                entitlement_id=r.entitlement_id,
                state="active",
            )
            for r in requests[PENDING : PENDING + 5_000]
        ],
        batch_size=2000,
    )


def measure(people: dict[str, object]) -> None:
    """Render each page ROUNDS times and print the median, p95 and query count."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    rounds = int(os.environ.get("BENCH_UI_ROUNDS", "20"))
    pages = [
        ("catalog, first page", "requester", "/catalog/"),
        ("catalog, search 'Role 7'", "requester", "/catalog/?q=Role+7"),
        (
            "catalog, kind + project",
            "requester",
            "/catalog/?kind=project_role&project=500",
        ),
        ("catalog, page 1000", "requester", "/catalog/?page=1000"),
        ("entitlement detail", "requester", "/catalog/1234/"),
        ("approvals inbox (manager)", "manager", "/approvals/"),
        ("approvals inbox (admin, 3k pending)", "admin", "/approvals/"),
        ("my requests", "requester", "/requests/?show=all"),
        ("home", "manager", "/"),
    ]
    print(os_load())
    print(f"\n{'page':<38}{'median ms':>10}{'p95 ms':>8}{'cpu ms':>8}{'queries':>9}")
    worst = 0.0
    for label, who, url in pages:
        client = Client(HTTP_HOST="localhost")
        client.force_login(people[who])
        client.get(url)  # warm caches, as a running server would be
        timings, cpu = [], []
        for _ in range(rounds):
            with CaptureQueriesContext(connection) as queries:
                started, cpu_started = time.perf_counter(), time.process_time()
                response = client.get(url)
                timings.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - cpu_started) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}")
        median = statistics.median(timings)
        p95 = sorted(timings)[int(len(timings) * 0.95) - 1]
        worst = max(worst, median)
        print(
            f"{label:<38}{median:>10.1f}{p95:>8.1f}"
            f"{statistics.median(cpu):>8.1f}{len(queries):>9}"
        )
    verdict = "within" if worst < BUDGET_MS else "OVER"
    print(f"\nslowest median {worst:.1f} ms: {verdict} the {BUDGET_MS:.0f} ms budget")
    print(
        "(wall time includes waiting for a CPU on a busy machine; cpu ms is this "
        "process's own CPU time: SQLite's work included, a PostgreSQL server's not)"
    )


if __name__ == "__main__":
    if "--child" in sys.argv:
        child()
    else:
        main()
