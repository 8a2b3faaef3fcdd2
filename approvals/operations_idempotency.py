"""Creating something in Atlassian once, even when an attempt never heard the answer.

A create (a POST) that times out, or whose connection drops, may or may not have been
applied; the connector never repeats it by itself (`http.ApiClient.request`). The job
is retried like any other, so the handler makes sure the next attempt makes nothing twice:

1. Right before sending, the job notes on its row that the create is on its way
   (`<step>_sent`); right after Atlassian answers it saves what was made
   (`<step>_made`). Any later attempt of the same job — a retry, a worker that died,
   an admin's retry of a failed job — reuses what was saved.
2. A note without a saved answer means the outcome is unknown. The handler then looks
   the object up by its natural key (project key, group name, page or blog post title
   in the space, file name on the page) and adopts it when it is what the job asked
   for; `find` raises a Conflict when the key is held by something else. A refusal
   (`PermanentError`) clears the note: Atlassian made nothing.
3. Jira issues and Confluence comments have no natural key, and the reference documents
   no lookup by a client-supplied key for them: they are created again, and the outcome
   says a duplicate may exist ("repeated").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from connectors.base import PermanentError

if TYPE_CHECKING:
    from collections.abc import Callable

    from approvals.operations import OperationContext

T = TypeVar("T")

CREATED = "created"  # made by this attempt
RESUMED = "resumed"  # made by an earlier attempt, which saved the answer
ADOPTED = "adopted"  # made by an earlier attempt whose answer was lost; found by key
REPEATED = "repeated"  # sent again after a lost answer, nothing to look up: maybe twice

NOTES = {
    CREATED: "",
    RESUMED: "",
    ADOPTED: " (an earlier attempt made it; its answer was lost)",
    REPEATED: (
        " (sent again after an earlier attempt's answer was lost: "
        "Atlassian may hold a duplicate)"
    ),
}


@dataclass(frozen=True)
class Created(Generic[T]):
    """What a create gave, and how: created, resumed, adopted or repeated."""

    made: T
    how: str

    @property
    def note(self) -> str:
        """Words for the outcome message when this was not a plain create."""
        return NOTES[self.how]

    @property
    def result(self) -> dict[str, Any]:
        """For the job's result: how, and whether a duplicate may exist."""
        return {"how": self.how, "maybe_duplicate": self.how == REPEATED}


def create_once(
    context: OperationContext,
    step: str,
    kind: type[T],
    create: Callable[[], T],
    *,
    find: Callable[[], T | None] | None = None,
) -> Created[T]:
    """Run `create` once per job: resume a saved answer, else adopt, else create.

    `kind` is the connector's frozen dataclass of the result (saved as a dict). `find`
    looks the object up by its natural key after an unanswered attempt: the object,
    None when there is none, or a Conflict when the key holds something else.
    """
    progress = context.progress
    saved = progress.get(f"{step}_made")
    if saved:
        return Created(kind(**saved), RESUMED)
    unknown = bool(progress.get(f"{step}_sent"))
    if unknown and find is not None:
        found = find()
        if found is not None:
            _save(context, step, found)
            return Created(found, ADOPTED)
    context.save_progress(**{f"{step}_sent": True})
    try:
        made = create()
    except PermanentError:
        context.save_progress(**{f"{step}_sent": False})  # refused: nothing was made
        raise
    _save(context, step, made)
    return Created(made, REPEATED if unknown and find is None else CREATED)


def _save(context: OperationContext, step: str, made: Any) -> None:
    context.save_progress(**{f"{step}_made": asdict(made)})
