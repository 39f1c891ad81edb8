"""A per-key token bucket in memory (one per process): `rate_per_s` tokens refill every second up to
`burst`; a request takes one, or is told how long to wait for the next (`retry_after_s`, whole
seconds, at least 1).

For the reads anyone may make without signing in (the public register): cheap enough to sit in
front of an indexed read (no database write per request, unlike the login and code throttles that
must hold across replicas), at the price of being per replica: N replicas let through N times the
rate. Memory is bounded: the least recently seen keys beyond `max_keys` are forgotten (a forgotten
key starts with a full bucket again, which only errs towards letting a request through).
"""

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    def __init__(
        self,
        rate_per_s: float,
        burst: int,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError("a rate limiter needs a positive rate and a burst of at least 1")
        self.rate_per_s = rate_per_s
        self.burst = burst
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, key: str) -> int:
        """0 when the request may go ahead (a token taken); otherwise the seconds to wait."""
        at = self.clock()
        bucket = self._buckets.pop(key, None)
        if bucket is None:
            bucket = _Bucket(float(self.burst), at)
        else:
            bucket.tokens = min(float(self.burst), bucket.tokens + (at - bucket.at) * self.rate_per_s)
            bucket.at = at
        self._buckets[key] = bucket  # the most recently seen last
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0
        return max(1, math.ceil((1.0 - bucket.tokens) / self.rate_per_s))
