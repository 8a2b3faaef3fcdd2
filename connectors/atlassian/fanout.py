"""Bounded-concurrency fan-out for per-project and per-space calls."""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")
_END = object()


def fan_out(
    call: Callable[[ItemT], ResultT], items: Iterable[ItemT], *, max_workers: int
) -> Iterator[tuple[ItemT, ResultT]]:
    """Run `call` per item on at most `max_workers` threads; yield (item, result) in order.

    At most twice `max_workers` calls are in flight or buffered, so memory stays flat.
    The clients share one backoff gate, so a 429 in any call pauses all of them. The
    first failure is raised; calls not yet started are cancelled.
    """
    workers = max(1, max_workers)
    pending: deque[tuple[ItemT, Future[ResultT]]] = deque()
    with ThreadPoolExecutor(
        max_workers=workers, thread_name_prefix="atlassian"
    ) as pool:
        try:
            for item in items:
                pending.append((item, pool.submit(call, item)))
                if len(pending) >= workers * 2:
                    done_item, future = pending.popleft()
                    yield done_item, future.result()
            while pending:
                done_item, future = pending.popleft()
                yield done_item, future.result()
        finally:
            for _, future in pending:
                future.cancel()


def fan_out_expanding(
    call: Callable[[ItemT], ResultT],
    items: Iterable[ItemT],
    follow_ups: Callable[[ItemT, ResultT], Iterable[ItemT]],
    *,
    max_workers: int,
) -> Iterator[tuple[ItemT, ResultT]]:
    """Like `fan_out`, and each result may add tasks, run before further items.

    For listings whose first page says how many follow (a page per task): the pages of
    one big listing are then spread over every worker instead of read one after the
    other by one. Results come in submission order; at most twice `max_workers` calls
    are in flight or buffered; the follow-ups waiting are only small task values.
    """
    workers = max(1, max_workers)
    pending: deque[tuple[ItemT, Future[ResultT]]] = deque()
    waiting: deque[ItemT] = deque()
    source = iter(items)
    with ThreadPoolExecutor(
        max_workers=workers, thread_name_prefix="atlassian"
    ) as pool:
        try:
            while True:
                while len(pending) < workers * 2:
                    item = waiting.popleft() if waiting else next(source, _END)
                    if item is _END:
                        break
                    pending.append((item, pool.submit(call, item)))  # type: ignore[arg-type]
                if not pending:
                    return
                done_item, future = pending.popleft()
                result = future.result()
                waiting.extend(follow_ups(done_item, result))
                yield done_item, result
        finally:
            for _, future in pending:
                future.cancel()
