"""read_ahead: every item in order, the reader's failure after what it read, early stops."""

from __future__ import annotations

import pytest

from connectors.reconcile_stream import read_ahead


class Broken(Exception):
    pass


def test_every_item_arrives_in_order_across_chunks():
    items = list(range(1234))

    received = list(read_ahead(iter(items), size=100, chunk=7))

    assert received == items


def test_a_failing_source_delivers_what_it_read_then_the_error():
    def source():
        yield from range(10)
        raise Broken("the API went away")

    received = []
    with pytest.raises(Broken):
        for item in read_ahead(source(), chunk=4):
            received.append(item)

    assert received == list(range(10))


def test_a_consumer_that_stops_early_closes_the_source():
    closed = []

    def source():
        try:
            yield from range(100_000)
        finally:
            closed.append(True)

    for item in read_ahead(source(), size=50, chunk=10):
        if item == 5:
            break

    assert closed == [True]
