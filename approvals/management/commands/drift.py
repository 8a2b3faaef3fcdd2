"""`python manage.py drift adopt`: adopt existing access, with progress and a summary.

After the first reconciliation of an organization whose access was given before the
portal, every direct assignment is an open unmanaged finding. `drift adopt` makes
them active portal grants (origin "adopted") in set-based batches, leaving Atlassian as
it is; `--dry-run` only counts what it would adopt and what it cannot.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from accessportal.models import User
from approvals import drift_adoption
from approvals.models import DriftFinding
from approvals.transitions import WorkflowError
from connectors.base import EntitlementKind
from connectors.models import Application

KINDS = [kind.value for kind in EntitlementKind]


class Command(BaseCommand):
    help = "Act on drift findings. `adopt`: open unmanaged findings become grants."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        adopt = actions.add_parser(
            "adopt",
            help="Adopt open unmanaged findings as portal grants (no change in Atlassian)",
        )
        adopt.add_argument("--application", required=True, help="Application name")
        adopt.add_argument(
            "--by",
            required=True,
            metavar="USERNAME",
            help="The administrator the grants and the audit trail name",
        )
        adopt.add_argument(
            "--entitlement-kind", choices=KINDS, default="", help="Only this kind"
        )
        adopt.add_argument(
            "--reason", default="", help="Recorded in the summary audit event"
        )
        adopt.add_argument(
            "--dry-run",
            action="store_true",
            help="Only count what would be adopted and what would stay open",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        application = self.application(options["application"])
        by = User.objects.filter(username=options["by"]).first()
        if by is None or not by.is_admin:
            raise CommandError(f"{options['by']!r} is not an administrator's username.")
        kind = options["entitlement_kind"]
        if options["dry_run"]:
            self.count(application, kind)
            return
        started = time.perf_counter()
        with Progress(self.stdout) as progress:
            try:
                summary = drift_adoption.adopt_open_findings(
                    application,
                    by=by,
                    entitlement_kind=kind,
                    reason=options["reason"],
                    on_progress=progress.update,
                )
            except WorkflowError as error:
                raise CommandError(error.message) from error
        self.stdout.write(
            f"Adopted {summary.adopted} finding(s) as grants in "
            f"{time.perf_counter() - started:.1f} s; {summary.left_open} left open."
        )
        if summary.left_open:
            self.count(application, kind, heading="Left open:")

    def count(self, application: Application, kind: str, heading: str = "") -> None:
        """Print the open unmanaged findings by what adopting them does."""
        findings = DriftFinding.objects.filter(application=application)
        if kind:
            findings = findings.filter(entitlement__kind=kind)
        reasons = drift_adoption.why_left_open(findings)
        if heading:
            self.stdout.write(heading)
            reasons = [(text, n) for text, n in reasons if text != "can be adopted"]
        elif not reasons:
            self.stdout.write("No open unmanaged finding.")
        for text, n in reasons:
            self.stdout.write(f"  {n:>10,}  {text}")

    def application(self, name: str) -> Application:
        application = Application.objects.filter(name=name).first()
        if application is None:
            known = ", ".join(Application.objects.values_list("name", flat=True))
            raise CommandError(
                f"No Application named {name!r} (known: {known or 'none'})."
            )
        return application


class Progress:
    """A tqdm bar on a terminal; otherwise a line about every 10 %."""

    def __init__(self, stdout: Any) -> None:
        self.stream = getattr(stdout, "_out", stdout)  # past Django's OutputWrapper
        self.is_terminal = bool(getattr(self.stream, "isatty", lambda: False)())
        self.bar: tqdm | None = None
        self.reported = 0

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()

    def update(self, examined: int, total: int, adopted: int) -> None:
        """Called after each batch with the open unmanaged findings examined so far."""
        if self.is_terminal:
            if self.bar is None:
                self.bar = tqdm(total=total, desc="adopting", unit=" findings",
                                file=self.stream, mininterval=0.5, dynamic_ncols=True)  # fmt: skip
            self.bar.set_postfix(adopted=adopted, refresh=False)
            self.bar.update(examined - self.bar.n)
        elif examined == total or examined - self.reported >= max(1, total // 10):
            self.reported = examined
            self.stream.write(
                f"{examined:,} of {total:,} examined, {adopted:,} adopted\n"
            )
            self.stream.flush()
