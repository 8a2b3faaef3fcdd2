"""Reconciliation on a terminal: progress bars while it runs, a summary table after."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TextIO

from tqdm import tqdm

from connectors.models import RunStatus

if TYPE_CHECKING:
    from types import TracebackType

    from connectors.models import ReconciliationRun

OUTCOMES = ("created", "updated", "unchanged", "removed")


def _raw(stdout: Any) -> TextIO:
    """The real stream behind Django's OutputWrapper (which adds newlines)."""
    return getattr(stdout, "_out", stdout)


class CommandProgress:
    """One tqdm bar per phase on a terminal; one line per finished phase otherwise."""

    def __init__(self, stdout: Any) -> None:
        self.stream = _raw(stdout)
        self.is_terminal = bool(getattr(self.stream, "isatty", lambda: False)())
        self.phase = ""
        self.bar: tqdm | None = None
        self.done = 0

    def __enter__(self) -> CommandProgress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._close_phase()

    def update(self, phase: str, done: int, total: int | None) -> None:
        """Called by the engine whenever a phase moves."""
        if phase != self.phase:
            self._close_phase()
            self.phase = phase
            if self.is_terminal:
                self.bar = tqdm(
                    total=total,
                    desc=f"{phase:<12}",
                    unit=" rows",
                    file=self.stream,
                    mininterval=0.5,
                    dynamic_ncols=True,
                    leave=True,
                )
        self.done = done
        if self.bar is not None:
            if total is not None and self.bar.total != total:
                self.bar.total = total
            self.bar.update(done - self.bar.n)

    def _close_phase(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        elif self.phase:
            self.stream.write(f"{self.phase:<12} {self.done} done\n")
            self.stream.flush()
        self.phase = ""


def write_summary(run: ReconciliationRun, stdout: Any) -> None:
    """The run's outcome: status, counts per kind, API calls per family, warnings."""
    stream = _raw(stdout)
    kind = "incremental" if run.is_incremental else "full"
    duration = run.duration_seconds or 0.0
    stream.write(
        f"\nReconciliation run #{run.pk} of {run.application} ({kind}): {run.status} in {duration:.1f} s\n"
    )
    if run.counts:
        stream.write(f"  {'kind':<30}" + "".join(f"{o:>11}" for o in OUTCOMES) + "\n")
        for name in sorted(run.counts):
            row = run.counts[name]
            stream.write(
                f"  {name:<30}"
                + "".join(f"{row.get(o, 0):>11}" for o in OUTCOMES)
                + "\n"
            )
    if run.api_calls:
        calls = ", ".join(
            f"{family} {number}" for family, number in sorted(run.api_calls.items())
        )
        stream.write(f"  API calls: {calls} (total {sum(run.api_calls.values())})\n")
    for warning in run.errors[:10]:
        stream.write(f"  warning: {warning}\n")
    if run.status == RunStatus.FAILED:
        stream.write(f"  error: {run.error}\n")
    stream.flush()
