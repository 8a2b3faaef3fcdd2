"""Sorted id lists, opaque cursors and page slicing that cost O(page), not O(total)."""

from __future__ import annotations

import base64
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from connectors.simulator.wire import ApiError

T = TypeVar("T")


def add_sorted(items: list[int], value: int) -> bool:
    """Insert `value` into the sorted list; return False if it was already there."""
    if not items or items[-1] < value:  # the common case: ids only grow
        items.append(value)
        return True
    index = bisect_left(items, value)
    if index < len(items) and items[index] == value:
        return False
    if index == len(items):
        items.append(value)
    else:
        items.insert(index, value)
    return True


def remove_sorted(items: list[int], value: int) -> bool:
    """Remove `value` from the sorted list; return False if it was not there."""
    index = bisect_left(items, value)
    if index < len(items) and items[index] == value:
        del items[index]
        return True
    return False


def contains_sorted(items: list[int], value: int) -> bool:
    """Tell whether the sorted list holds `value`."""
    index = bisect_left(items, value)
    return index < len(items) and items[index] == value


def encode_cursor(key: int) -> str:
    """Encode a position as an opaque cursor."""
    return base64.urlsafe_b64encode(f"sim:{key}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """Decode a cursor made by `encode_cursor`; a foreign one is a 400."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode()).decode()
        prefix, _, number = text.partition(":")
        if prefix != "sim":
            raise ValueError(text)
        return int(number)
    except (ValueError, UnicodeDecodeError) as error:
        raise ApiError(
            400, f"Invalid cursor: {cursor}", code="INVALID_CURSOR"
        ) from error


def iter_after(keys: list[int], after: int | None) -> Iterator[int]:
    """Yield the sorted keys that come after `after` (all when None)."""
    start = 0 if after is None else bisect_right(keys, after)
    for index in range(start, len(keys)):
        yield keys[index]


def take_page(
    keys: Iterable[int], limit: int, accept: Callable[[int], bool] | None = None
) -> tuple[list[int], bool]:
    """Take up to `limit` accepted keys; also tell whether more accepted keys follow."""
    page: list[int] = []
    for key in keys:
        if accept is not None and not accept(key):
            continue
        if len(page) == limit:
            return page, True
        page.append(key)
    return page, False


def clamp(value: int, low: int, high: int) -> int:
    """Keep `value` inside [low, high]."""
    return max(low, min(high, value))
