"""Prepare the demo: default Application, demo sign-ins, first reconciliation."""

from __future__ import annotations

import time
from typing import Any

import httpx
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accessportal.models import User
from connectors.setup import ensure_default_application

DEMO_PASSWORD = "access-demo"  # noqa: S105  (printed on screen: a demo login)
DEMO_PEOPLE = (
    # username, email, role in the demo, is admin
    ("alice", "alice.requester@acme.example", "requester", False),
    ("bob", "bob.manager@acme.example", "manager (Alice's)", False),
    ("carol", "carol.admin@acme.example", "admin", True),
)


class Command(BaseCommand):
    help = "Create the default Application and the demo logins, then reconcile."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--wait", type=float, default=60.0, help="Seconds to wait for Atlassian"
        )
        parser.add_argument("--skip-reconcile", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        application = ensure_default_application()
        self.wait_for(application.site_url, options["wait"])
        for username, email, _role, is_admin in DEMO_PEOPLE:
            self.ensure_login(username, email, is_admin=is_admin)
        if not options["skip_reconcile"]:
            from connectors.reconcile import reconcile_from_command

            reconcile_from_command(application, stdout=self.stdout)
        self.print_logins()

    def wait_for(self, url: str, seconds: float) -> None:
        """Wait until the Atlassian site (the simulator in the demo) answers."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                httpx.get(url, timeout=2.0)
            except httpx.TransportError as error:
                if time.monotonic() > deadline:
                    raise CommandError(
                        f"Atlassian at {url} does not answer: {error}"
                    ) from error
                time.sleep(0.5)
            else:
                return

    def ensure_login(self, username: str, email: str, *, is_admin: bool) -> None:
        """A demo identity with the demo password; matched later by email."""
        user = User.objects.with_email(email).first()
        if user is None:
            user = User(username=username, email=email)
        # A new User() has password "", which Django counts as usable: check both.
        if not user.password or not user.has_usable_password():
            user.set_password(DEMO_PASSWORD)
        if is_admin:
            user.is_staff = user.is_superuser = True
        user.save()

    def print_logins(self) -> None:
        """Where to go and how to sign in."""
        url = settings.SITE_URL
        self.stdout.write(
            self.style.SUCCESS(f"\nAccess Portal is at {url}/  (admin: {url}/admin/)")
        )
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, email, role, _is_admin in DEMO_PEOPLE:
            self.stdout.write(f"  {username:<6} {email:<32} {role}")
