"""`python -m connectors.simulator --port 8900 --seed demo`: serve the simulator without Django."""

from __future__ import annotations

import argparse
import sys

from connectors.simulator.cli import add_arguments, build, describe, env_credentials
from connectors.simulator.server import SimulatorServer


def main(argv: list[str] | None = None) -> int:
    """Parse options, seed, serve until Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog="python -m connectors.simulator", description=__doc__
    )
    add_arguments(parser)
    for name in (
        "site-url",
        "admin-email",
        "api-token",
        "directory-id",
        "directory-api-key",
        "admin-api-url",
        "org-id",
        "org-api-key",
    ):
        parser.add_argument(
            f"--{name}", help=f"default: $ATLASSIAN_{name.upper().replace('-', '_')}"
        )
    options = vars(parser.parse_args(argv))
    credentials = env_credentials()
    for name in (
        "site_url",
        "admin_email",
        "api_token",
        "directory_id",
        "directory_api_key",
        "admin_api_url",
        "org_id",
        "org_api_key",
    ):
        if options.get(name):
            credentials[f"ATLASSIAN_{name.upper()}"] = options[name]
    sim = build(options, credentials)
    server = SimulatorServer(sim, options["host"], options["port"])
    sys.stdout.write("\n".join(describe(sim, server.url)) + "\n")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
