"""`manage.py atlassian_simulator`: serve the Atlassian simulator with the portal's credentials."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from connectors.simulator.cli import CREDENTIALS, add_arguments, build, describe
from connectors.simulator.server import SimulatorServer


class Command(BaseCommand):
    """Run the simulated Atlassian organization as a real HTTP server until Ctrl-C."""

    help = "Serve the Atlassian Cloud simulator (SCIM, Admin, Jira, Confluence) on one port."

    def add_arguments(self, parser: CommandParser) -> None:
        """Seeding, port and knob options."""
        add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        """Seed, print the base URLs and credential names, serve."""
        credentials = {
            name: str(getattr(settings, name, "") or "") for name in CREDENTIALS
        }
        sim = build(options, credentials)
        server = SimulatorServer(sim, options["host"], options["port"])
        for line in describe(sim, server.url):
            self.stdout.write(line)
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            self.stdout.write("Simulator stopped.")
        finally:
            server.httpd.server_close()
