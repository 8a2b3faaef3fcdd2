"""Atlassian Cloud simulator: SCIM, Organizations admin, Jira v3 and Confluence, in memory.

Plain Python (no Django). Use `Simulator(config, knobs).transport()` in tests or
`Simulator(...).serve()` / `python -m connectors.simulator` for a real HTTP server.
"""

from __future__ import annotations

from connectors.simulator.config import SimulatorConfig
from connectors.simulator.core import Call, Simulator
from connectors.simulator.knobs import Knobs, LostAnswer

__all__ = ["Call", "Knobs", "LostAnswer", "Simulator", "SimulatorConfig"]
