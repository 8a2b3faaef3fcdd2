"""Fan-out helpers: follow-up tasks run before further items; a prefetch reads ahead."""

from __future__ import annotations

import threading

import pytest

from connectors.atlassian.fanout import Prefetch, fan_out_expanding


class Broken(Exception):
    pass


def test_follow_ups_are_run_and_every_result_comes_once_in_submission_order():
    def pages(task):
        name, page = task
        return f"{name}{page}"

    def follow_ups(task, _result):
        name, page = task
        return [(name, n) for n in range(1, 4)] if page == 0 and name == "big" else []

    results = [
        r
        for _, r in fan_out_expanding(
            pages, [("big", 0), ("small", 0)], follow_ups, max_workers=3
        )
    ]

    assert results == ["big0", "small0", "big1", "big2", "big3"]


def test_a_prefetch_delivers_every_item_then_the_reader_failure():
    def source():
        yield from range(5)
        raise Broken("the cursor failed")

    received = []
    with pytest.raises(Broken), Prefetch(source(), size=2) as items:
        for item in items:
            received.append(item)

    assert received == [0, 1, 2, 3, 4]


def test_a_closed_prefetch_stops_reading_and_closes_its_source():
    closed = threading.Event()

    def source():
        try:
            yield from range(1_000_000)
        finally:
            closed.set()

    with Prefetch(source(), size=10):
        pass

    assert closed.wait(timeout=5)
