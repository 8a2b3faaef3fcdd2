"""The errors a reconciliation request can meet, with messages a person can read."""

from __future__ import annotations


class ReconciliationError(Exception):
    """A reconciliation could not be started or run as asked."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RunAlreadyActive(ReconciliationError):
    """Another run of the same Application is queued or running."""

    def __init__(self, application: object, run_id: int | None) -> None:
        number = f" (run #{run_id})" if run_id else ""
        super().__init__(
            f"A reconciliation of {application} is already running{number}."
        )
        self.run_id = run_id


class InvalidRunRequest(ReconciliationError):
    """The kinds or filters of a run request make no sense."""
