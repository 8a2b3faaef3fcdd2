"""Bounded-concurrency fan-out for per-project and per-space calls, and prefetching."""

from __future__ import annotations

import contextlib
import queue
import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Generic, TypeVar

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


class Prefetch(Generic[ItemT]):
    """Reads `items` on a thread from now on, up to `size` ahead; iterate to consume.

    For a sequential listing (a cursor) that can run while the caller makes other
    calls. The thread is one call in flight: the caller leaves it a slot of its
    concurrency. The reader's failure is raised where its items stop. `close()` (or
    leaving a `with` block) stops the thread after its current item, consumed or not.
    """

    def __init__(self, items: Iterable[ItemT], *, size: int) -> None:
        self._buffer: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=max(1, size))
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._read, args=(items,), name="atlassian-prefetch", daemon=True
        )
        self._thread.start()

    def _offer(self, entry: tuple[bool, Any]) -> bool:
        while not self._stop.is_set():
            with contextlib.suppress(queue.Full):
                self._buffer.put(entry, timeout=0.1)
                return True
        return False

    def _read(self, items: Iterable[ItemT]) -> None:
        source = iter(items)
        try:
            for item in source:
                if not self._offer((False, item)):
                    return
            self._offer((True, None))
        except Exception as error:  # carried to the consumer
            self._offer((True, error))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    def __iter__(self) -> Iterator[ItemT]:
        while True:
            is_end, value = self._buffer.get()
            if is_end:
                if value is not None:
                    raise value
                return
            yield value

    def close(self) -> None:
        """Stop reading (the current call finishes first)."""
        self._stop.set()

    def __enter__(self) -> Prefetch[ItemT]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
