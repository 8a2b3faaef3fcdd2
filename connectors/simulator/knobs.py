"""Latency, rate limits and fault injection, deterministic under a seed."""

from __future__ import annotations

import math
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

FAMILIES = ("scim", "admin", "jira", "confluence")


@dataclass
class LostAnswer:
    """Apply the next `times` calls of `method` on `path`, then drop their answers.

    What a timed-out write looks like to its caller: Atlassian made the change and the
    caller never heard. `path` is a regular expression matched against the whole path.
    """

    method: str
    path: str
    times: int = 1


@dataclass
class Knobs:
    """Run-time behaviour switches; mutable while the simulator runs."""

    seed: int = 0
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    rate_limits: dict[str, float] = field(
        default_factory=dict
    )  # family -> requests/second
    fault_rate: float = 0.0  # fraction answered 500 or 503
    slow_rate: float = 0.0  # fraction answered only after slow_seconds
    slow_seconds: float = 30.0
    drop_rate: float = 0.0  # fraction whose connection is dropped without an answer
    lost_answers: list[LostAnswer] = field(
        default_factory=list
    )  # applied, then dropped
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


@dataclass(slots=True)
class Decision:
    """What the knobs decided for one call."""

    delay: float = 0.0
    drop: bool = False
    fault: int | None = None
    slow: float | None = None
    limited: bool = False
    retry_after: int = 0
    headers: list[tuple[str, str]] = field(default_factory=list)


@dataclass(slots=True)
class Bucket:
    """A token bucket refilled at `rate` per second, holding at most max(rate, 1) tokens."""

    rate: float
    tokens: float
    stamp: float

    def take(self, now: float) -> bool:
        """Spend one token if there is one."""
        capacity = max(self.rate, 1.0)
        self.tokens = min(capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False

    def wait_seconds(self) -> int:
        """Whole seconds until the next token."""
        return max(1, math.ceil((1.0 - self.tokens) / self.rate))


class Gate:
    """Applies the current knobs to each call; one random stream per seed."""

    def __init__(self, knobs: Knobs) -> None:
        self.knobs = knobs
        self.seed = knobs.seed
        self.rng = random.Random(knobs.seed)  # noqa: S311 - reproducible faults, not crypto
        self.buckets: dict[str, Bucket] = {}

    def decide(self, family: str, bucket_key: str | None = None) -> Decision:
        """Draw this call's latency and faults, and spend a rate-limit token."""
        knobs = self.knobs
        if knobs.seed != self.seed:
            self.seed = knobs.seed
            self.rng = random.Random(knobs.seed)  # noqa: S311 - reproducible faults, not crypto
        # Always draw the same number of values so one knob never shifts another's stream.
        jitter, drop, fault, kind, slow = (self.rng.random() for _ in range(5))
        decision = Decision(
            delay=(knobs.latency_ms + jitter * knobs.jitter_ms) / 1000.0
        )
        self._limit(decision, family, bucket_key or family)
        if decision.limited:
            return decision
        if drop < knobs.drop_rate:
            decision.drop = True
        elif fault < knobs.fault_rate:
            decision.fault = 500 if kind < 0.5 else 503
        elif slow < knobs.slow_rate:
            decision.slow = knobs.slow_seconds
        return decision

    def loses_answer(self, method: str, path: str) -> bool:
        """True (and one use spent) when a LostAnswer rule matches this call."""
        for rule in self.knobs.lost_answers:
            if (
                rule.times > 0
                and rule.method == method
                and re.fullmatch(rule.path, path)
            ):
                rule.times -= 1
                return True
        return False

    def _limit(self, decision: Decision, family: str, key: str) -> None:
        """Spend a token from the family's bucket and set the family's headers."""
        rate = self.knobs.rate_limits.get(key) or self.knobs.rate_limits.get(family)
        if not rate:
            return
        now = self.knobs.clock()
        bucket = self.buckets.get(key)
        if bucket is None or bucket.rate != rate:
            bucket = self.buckets[key] = Bucket(rate, max(rate, 1.0), now)
        allowed = bucket.take(now)
        limit = max(1, int(rate))
        remaining = int(bucket.tokens)
        decision.retry_after = 0 if allowed else bucket.wait_seconds()
        decision.limited = not allowed
        decision.headers = rate_limit_headers(
            family, limit, remaining, decision.retry_after
        )


def rate_limit_headers(
    family: str, limit: int, remaining: int, retry_after: int
) -> list[tuple[str, str]]:
    """The rate-limit headers each family documents."""
    reset_at = datetime.now(UTC) + timedelta(seconds=max(retry_after, 1))
    headers: list[tuple[str, str]] = []
    if retry_after:
        headers.append(("Retry-After", str(retry_after)))
    if family == "scim":
        return headers  # SCIM publishes no rate-limit headers; Retry-After only
    headers += [
        ("X-RateLimit-Limit", str(limit)),
        ("X-RateLimit-Remaining", str(remaining)),
    ]
    if family == "admin":
        headers.append(
            (
                "X-RateLimit-Reset",
                reset_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
            )
        )
        return headers
    headers.append(("X-RateLimit-Reset", reset_at.strftime("%Y-%m-%dT%H:%MZ")))
    if remaining < 0.2 * limit:
        headers.append(("X-RateLimit-NearLimit", "true"))
    if retry_after and family == "jira":
        headers.append(("RateLimit-Reason", "jira-burst-based"))
    return headers
