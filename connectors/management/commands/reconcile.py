"""`python manage.py reconcile`: reconcile an Application now, with progress and a summary."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from connectors.models import Application, RunStatus, RunTrigger
from connectors.reconcile import ReconciliationError, execute_run, start_run
from connectors.reconcile_cli import CommandProgress, write_summary
from connectors.reconcile_scope import ALL_KINDS, FILTER_KEYS, parse_filters


class Command(BaseCommand):
    help = (
        "Reconcile the catalog with Atlassian. Exits non-zero when the run fails or "
        "another run of the Application is in progress."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--application",
            help="Application name (default: the only one, or all enabled)",
        )
        parser.add_argument(
            "--incremental",
            action="store_true",
            help="Fetch and write only what changed where possible",
        )
        parser.add_argument(
            "--only", default="", help=f"Comma-separated kinds: {','.join(ALL_KINDS)}"
        )
        parser.add_argument(
            "--filter",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help=f"Limit the run ({', '.join(FILTER_KEYS)}), e.g. --filter group=eng --filter scim='userName eq \"x\"'",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        only = [k.strip() for k in options["only"].split(",") if k.strip()] or None
        try:
            scope = parse_filters(options["filter"])
        except ReconciliationError as error:
            raise CommandError(error.message) from error
        failed = 0
        for application in self.applications(options["application"]):
            try:
                run = start_run(
                    application,
                    incremental=options["incremental"],
                    only=only,
                    scope=scope,
                    trigger=RunTrigger.CLI,
                )
            except ReconciliationError as error:
                raise CommandError(error.message) from error
            with CommandProgress(self.stdout) as progress:
                run = execute_run(run.pk, on_progress=progress.update)
            write_summary(run, self.stdout)
            failed += run.status != RunStatus.SUCCEEDED
        if failed:
            raise CommandError(f"{failed} reconciliation run(s) failed.")

    def applications(self, name: str | None) -> list[Application]:
        """The Application named, or every enabled one."""
        if name:
            application = Application.objects.filter(name=name).first()
            if application is None:
                known = (
                    ", ".join(Application.objects.values_list("name", flat=True))
                    or "none"
                )
                raise CommandError(f"No Application named {name!r} (known: {known}).")
            return [application]
        applications = list(
            Application.objects.filter(is_enabled=True).order_by("name")
        )
        if not applications:
            raise CommandError(
                "No enabled Application: run `python manage.py setup_demo` or add one in the admin."
            )
        return applications
