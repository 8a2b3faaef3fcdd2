"""Command-line options shared by `manage.py atlassian_simulator` and `python -m connectors.simulator`."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from connectors.simulator.config import SimulatorConfig
from connectors.simulator.core import Simulator
from connectors.simulator.knobs import FAMILIES, Knobs

if TYPE_CHECKING:
    from collections.abc import Mapping

CREDENTIALS = {
    "ATLASSIAN_SITE_URL": "site_url",
    "ATLASSIAN_ADMIN_EMAIL": "admin_email",
    "ATLASSIAN_API_TOKEN": "api_token",
    "ATLASSIAN_DIRECTORY_ID": "directory_id",
    "ATLASSIAN_DIRECTORY_API_KEY": "directory_api_key",
    "ATLASSIAN_ADMIN_API_URL": "admin_api_url",
    "ATLASSIAN_ORG_ID": "org_id",
    "ATLASSIAN_ORG_API_KEY": "org_api_key",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the simulator's options."""
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8900)
    parser.add_argument("--seed", choices=("demo", "none", "large"), default="demo")
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--groups", type=int, default=50)
    parser.add_argument("--projects", type=int, default=20)
    parser.add_argument("--spaces", type=int, default=20)
    parser.add_argument("--memberships-per-user", type=int, default=5)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--jitter-ms", type=float, default=0.0)
    parser.add_argument(
        "--rate-limit",
        action="append",
        default=[],
        metavar="FAMILY=PER_SECOND",
        help=f"token bucket per family ({', '.join(FAMILIES)}, admin_events)",
    )
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--slow-rate", type=float, default=0.0)
    parser.add_argument("--slow-seconds", type=float, default=30.0)
    parser.add_argument("--drop-rate", type=float, default=0.0)
    parser.add_argument(
        "--seed-value",
        type=int,
        default=42,
        help="seed for knobs and the large generator",
    )
    parser.add_argument(
        "--org-roles-enabled",
        action="store_true",
        help="enable the on-request role endpoints",
    )
    parser.add_argument(
        "--invite-enabled",
        action="store_true",
        help="enable the on-request invite endpoint",
    )


def parse_rate_limits(items: list[str]) -> dict[str, float]:
    """`["jira=10", "scim=5"]` to `{"jira": 10.0, "scim": 5.0}`."""
    limits = {}
    for item in items:
        family, sep, rate = item.partition("=")
        if not sep or family not in (*FAMILIES, "admin_events"):
            raise argparse.ArgumentTypeError(
                f"--rate-limit needs FAMILY=PER_SECOND, got {item!r}"
            )
        limits[family] = float(rate)
    return limits


def build(options: Mapping[str, object], credentials: Mapping[str, str]) -> Simulator:
    """Make and seed a simulator from parsed options and ATLASSIAN_* credentials."""
    fields = {
        attr: credentials[name]
        for name, attr in CREDENTIALS.items()
        if credentials.get(name)
    }
    config = SimulatorConfig(
        **fields,
        org_roles_enabled=bool(options["org_roles_enabled"]),  # type: ignore[arg-type]
        invite_enabled=bool(options["invite_enabled"]),
    )
    knobs = Knobs(
        seed=int(options["seed_value"]),
        latency_ms=float(options["latency_ms"]),  # type: ignore[arg-type]
        jitter_ms=float(options["jitter_ms"]),  # type: ignore[arg-type]
        rate_limits=parse_rate_limits(list(options["rate_limit"])),  # type: ignore[call-overload]
        fault_rate=float(options["fault_rate"]),
        slow_rate=float(options["slow_rate"]),  # type: ignore[arg-type]
        slow_seconds=float(options["slow_seconds"]),
        drop_rate=float(options["drop_rate"]),
    )  # type: ignore[arg-type]
    sim = Simulator(config, knobs)
    if options["seed"] == "demo":
        sim.seed_demo()
    elif options["seed"] == "large":
        sim.seed_large(
            users=int(options["users"]),
            groups=int(options["groups"]),  # type: ignore[call-overload]
            projects=int(options["projects"]),
            spaces=int(options["spaces"]),  # type: ignore[call-overload]
            memberships_per_user=int(options["memberships_per_user"]),  # type: ignore[call-overload]
            seed=int(options["seed_value"]),
        )  # type: ignore[call-overload]
    return sim


def describe(sim: Simulator, url: str) -> list[str]:
    """Lines telling what is served where and which credential names apply (never values)."""
    config = sim.config
    counts = sim.dump()["counts"]
    return [
        f"Atlassian simulator listening on {url}",
        f"  Jira        {url}/rest/api/3        Basic ATLASSIAN_ADMIN_EMAIL:ATLASSIAN_API_TOKEN",
        f"  Confluence  {url}/wiki              Basic ATLASSIAN_ADMIN_EMAIL:ATLASSIAN_API_TOKEN",
        f"  Admin API   {url}/admin             Bearer ATLASSIAN_ORG_API_KEY (org ATLASSIAN_ORG_ID)",
        f"  User mgmt   {url}/users/<aaid>/manage  Bearer ATLASSIAN_ORG_API_KEY",
        f"  SCIM        {url}/scim/directory/{config.directory_id}  Bearer ATLASSIAN_DIRECTORY_API_KEY",
        f"  Admin v2 directory id: {config.admin_directory_id}",
        "  Seeded: " + ", ".join(f"{v} {k}" for k, v in counts.items()),
        "Ctrl-C stops it.",
    ]


def env_credentials() -> dict[str, str]:
    """ATLASSIAN_* credentials from the environment (for the plain-Python entry point)."""
    return {name: os.environ[name] for name in CREDENTIALS if os.environ.get(name)}
