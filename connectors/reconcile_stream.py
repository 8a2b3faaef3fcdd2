"""Streaming helpers: read ahead in a thread, cut streams into batches, mark ids seen.

Reading Atlassian (HTTP, latency-bound) and writing the catalog (database, CPU-bound)
overlap: `read_ahead` pulls the connector's generator on a background thread into a
bounded queue while the caller writes. Memory stays bounded by the queue size.
"""

from __future__ import annotations

import queue
import threading
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

ItemT = TypeVar("ItemT")
_DONE = object()


class _Failure:
    """An exception raised by the reading thread, carried to the consumer."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


def read_ahead(
    items: Iterable[ItemT], *, size: int = 5000, chunk: int = 250
) -> Iterator[ItemT]:
    """Yield `items`, read by a background thread up to `size` items ahead.

    The items cross the queue in lists of up to `chunk`: a queue hand-off costs a lock
    and a wake-up, a few microseconds of the interpreter's lock each, per record it was
    millions of them in a large run. A reader waiting on the network does not deliver
    a partial list before it is full or the source ends (the writers batch anyway).
    An exception in the reader is re-raised in the consumer after the items read
    before it; when the consumer stops early (an exception, or it breaks out), the
    reader stops and closes its source.
    """
    chunk = max(1, chunk)
    buffer: queue.Queue[object] = queue.Queue(maxsize=max(1, size // chunk))
    stop = threading.Event()

    def offer(item: object) -> bool:
        while not stop.is_set():
            try:
                buffer.put(item, timeout=0.1)
            except queue.Full:
                continue
            return True
        return False

    def read() -> None:
        source = iter(items)
        taken: list[ItemT] = []
        try:
            for item in source:
                taken.append(item)
                if len(taken) >= chunk:
                    if not offer(taken):
                        break
                    taken = []
            else:
                if not taken or offer(taken):
                    offer(_DONE)
        except BaseException as error:
            if not taken or offer(taken):
                offer(_Failure(error))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    reader = threading.Thread(target=read, name="reconcile-read-ahead", daemon=True)
    reader.start()
    try:
        while True:
            item = buffer.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield from item  # type: ignore[misc]
    finally:
        stop.set()
        reader.join(timeout=30)


def batched(items: Iterable[ItemT], size: int) -> Iterator[list[ItemT]]:
    """Lists of up to `size` consecutive items."""
    batch: list[ItemT] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class IdSet:
    """A set of positive integer ids as a bitmap: 2 million ids cost 250 kB, not 100 MB."""

    def __init__(self) -> None:
        self._bits = bytearray()
        self._count = 0

    def add(self, value: int) -> None:
        """Add one id."""
        index, bit = divmod(value, 8)
        if index >= len(self._bits):
            self._bits.extend(bytes(max(index + 1 - len(self._bits), len(self._bits))))
        mask = 1 << bit
        if not self._bits[index] & mask:
            self._bits[index] |= mask
            self._count += 1

    def update(self, values: Iterable[int]) -> None:
        """Add several ids."""
        for value in values:
            self.add(value)

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, int) or value < 0:
            return False
        index, bit = divmod(value, 8)
        return index < len(self._bits) and bool(self._bits[index] & (1 << bit))

    def __len__(self) -> int:
        return self._count
