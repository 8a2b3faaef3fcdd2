"""`manage.py run_provisioning_jobs`: run due provisioning jobs in this process.

For operators without a worker at hand (a one-off, a cron job, a demo in the shell).
Jobs are claimed exactly as a worker claims them, so running this next to workers is
safe: a job is done by whoever claims it first.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from approvals.models import ProvisioningJob
from approvals.provisioning import execute_job


class Command(BaseCommand):
    help = "Run due provisioning jobs (or the given ones) now, in this process."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("job_ids", nargs="*", type=int, help="Only these jobs")
        parser.add_argument(
            "--limit",
            type=int,
            default=100,
            help="At most this many jobs (default 100)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        ids = options["job_ids"] or list(
            ProvisioningJob.objects.due()
            .order_by("not_before", "pk")
            .values_list("pk", flat=True)[: options["limit"]]
        )
        if not ids:
            self.stdout.write("No provisioning job is due.")
            return
        for job_id in ids:
            job = execute_job(job_id)
            if job is None:
                self.stdout.write(f"Job #{job_id}: no such job")
                continue
            detail = job.last_error if job.status != "succeeded" else job.reason
            self.stdout.write(
                f"Job #{job.pk} {job.kind}: {job.status} "
                f"(attempt {job.attempts}/{job.max_attempts}) {detail}"
            )
