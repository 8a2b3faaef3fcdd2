"""`manage.py run_workflow_tasks`: the periodic workflow tasks, once, in this process.

What celery beat schedules (see CELERY_BEAT_SCHEDULE), for deployments that prefer
cron, and for trying things by hand: expire grants, expire old pending requests,
remind and escalate approvers, warn of expiring access, close requests whose
entitlement vanished, and re-send stale provisioning jobs to the broker.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from approvals import tasks

TASKS = (
    ("expire_grants", tasks.expire_grants),
    ("expire_pending_requests", tasks.expire_pending_requests),
    ("remind_approvers", tasks.remind_approvers),
    ("remind_expiring_grants", tasks.remind_expiring_grants),
    (
        "close_requests_for_vanished_entitlements",
        tasks.close_requests_for_vanished_entitlements,
    ),
    ("requeue_stale_jobs", tasks.requeue_stale_jobs),
)


class Command(BaseCommand):
    help = "Run the periodic workflow tasks once and print what each did."

    def handle(self, *args: Any, **options: Any) -> None:
        for name, task in TASKS:
            self.stdout.write(f"{name}: {task()}")
