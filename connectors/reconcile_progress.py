"""A run's progress, counts, warnings and API calls, written to its row now and then.

The tracker keeps everything in memory and writes the ReconciliationRun row at most
once per `interval` seconds (and at each phase change), so a run of millions of rows
costs a few hundred small UPDATEs, and the admin page and CLI see it move.
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from django.utils.timezone import now

from connectors.models import ReconciliationRun

if TYPE_CHECKING:
    from collections.abc import Callable

    from connectors.base import Connector

OUTCOMES = ("created", "updated", "unchanged", "removed")
MAX_WARNINGS = (
    50  # a run with thousands of odd records keeps the first ones and a count
)


class RunTracker:
    """Counts and progress of one run; flushes them to the run row, throttled."""

    def __init__(
        self,
        run: ReconciliationRun,
        connector: Connector,
        *,
        estimates: dict[str, int] | None = None,
        on_progress: Callable[[str, int, int | None], None] | None = None,
        interval: float = 1.0,
    ) -> None:
        self.run_id = run.pk
        self.connector = connector
        self.estimates = estimates or {}
        self.on_progress = on_progress
        self.interval = interval
        self.phase = ""
        self.progress: dict[str, dict[str, Any]] = {}
        self.counts: dict[str, dict[str, int]] = defaultdict(
            lambda: dict.fromkeys(OUTCOMES, 0)
        )
        self.warnings: list[str] = []
        self.warning_count = 0
        self._flushed_at = 0.0
        self._phase_started = 0.0

    # -- what happened --------------------------------------------------------------

    def start_phase(self, phase: str, total: int | None = None) -> None:
        """Begin a phase; `total` defaults to the previous run's count (an estimate)."""
        estimated = total is None and phase in self.estimates
        if estimated:
            total = self.estimates[phase]
        self.phase = phase
        self._phase_started = time.monotonic()
        self.progress[phase] = {"done": 0, "total": total, "estimated": estimated}
        self.flush(force=True)
        self._notify()

    def advance(self, done: int = 1) -> None:
        """Record progress in the current phase."""
        entry = self.progress[self.phase]
        entry["done"] += done
        if entry["estimated"] and entry["total"] is not None:
            entry["total"] = max(entry["total"], entry["done"])
        self._notify()
        self.flush()

    def finish_phase(self) -> None:
        """The current phase is complete: its total is what was done."""
        entry = self.progress.get(self.phase)
        if entry is not None:
            entry["total"], entry["estimated"] = entry["done"], False
            entry["seconds"] = round(time.monotonic() - self._phase_started, 2)
            self._notify()
        self.flush(force=True)

    def count(self, kind: str, outcome: str, number: int = 1) -> None:
        """Add to a kind's created/updated/unchanged/removed count."""
        if number:
            self.counts[kind][outcome] += number

    def warn(self, message: str) -> None:
        """Something odd that does not fail the run (an unknown holder, say)."""
        self.warning_count += 1
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(message)

    # -- writing it down ------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The run row's fields that the tracker owns."""
        errors = list(self.warnings)
        hidden = self.warning_count - len(self.warnings)
        if hidden > 0:
            errors.append(f"… and {hidden} more warnings")
        return {
            "phase": self.phase,
            "progress": self.progress,
            "counts": {k: dict(v) for k, v in self.counts.items()},
            "api_calls": dict(self.connector.call_stats().by_family),
            "errors": errors,
            "heartbeat_at": now(),
        }

    def flush(self, *, force: bool = False) -> None:
        """Write progress to the run row, at most once per interval unless forced."""
        moment = time.monotonic()
        if not force and moment - self._flushed_at < self.interval:
            return
        self._flushed_at = moment
        ReconciliationRun.objects.filter(pk=self.run_id).update(**self.snapshot())

    def _notify(self) -> None:
        if self.on_progress is not None:
            entry = self.progress[self.phase]
            self.on_progress(self.phase, entry["done"], entry["total"])
