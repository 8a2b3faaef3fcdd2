"""A real worker consumes the broker: the embedded one, and Redis in CI."""

from __future__ import annotations

import pytest

from accessportal.tasks import ping

pytestmark = [pytest.mark.worker, pytest.mark.slow]


def test_task_round_trips_through_a_real_worker(celery_worker):
    result = ping.delay("hello")

    assert result.get(timeout=60) == "pong:hello"


@pytest.mark.redis
def test_round_trip_uses_redis_when_configured(celery_worker, settings):
    assert settings.CELERY_BROKER_URL.startswith("redis")

    assert ping.delay("redis").get(timeout=60) == "pong:redis"
