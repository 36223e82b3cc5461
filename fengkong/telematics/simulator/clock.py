"""Simulated time that may run faster than real time, and a shared pace for sending."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta


class SimClock:
    """`now()` starts at `start` and runs `speedup` times faster than the monotonic clock, so
    a day of driving fits into minutes; sleeping until a simulated moment sleeps the real
    time that corresponds to it."""

    def __init__(self, start: datetime | None = None, speedup: float = 1.0) -> None:
        if speedup <= 0:
            raise ValueError("speedup must be positive")
        self.start = (start or datetime.now(UTC)).replace(microsecond=0)
        self.speedup = speedup
        self._origin = time.monotonic()

    def restart(self) -> None:
        """Simulated time is `start` again from this instant (a large fleet takes a while to
        build, and that while should not count)."""
        self._origin = time.monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(time.monotonic() - self._origin) * self.speedup)

    def real_seconds(self, span: timedelta) -> float:
        return span.total_seconds() / self.speedup

    async def sleep_until(self, moment: datetime) -> None:
        delay = self.real_seconds(moment - self.now())
        await asyncio.sleep(max(0.0, delay))


class Pacer:
    """At most `rate` sends per second across every device that shares it: each send takes
    the next free slot, so devices queue fairly instead of bursting."""

    def __init__(self, rate: float | None) -> None:
        if rate is not None and rate <= 0:
            raise ValueError("rate must be positive")
        self.interval = 1 / rate if rate else 0.0
        self._next = 0.0

    async def wait(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        slot = max(now, self._next)
        self._next = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)
