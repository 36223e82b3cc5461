"""Per-connection limits as plain objects fed with monotonic seconds: the frame rate limiter
and the read timers (idle timeout and frame deadline). No sockets and no clock inside, so the
tests drive them with made-up times."""

from __future__ import annotations

from enum import StrEnum


class Admission(StrEnum):
    ACCEPT = "accept"
    DROP = "drop"          # over the rate: leave the frame unanswered, the device resends it
    CLOSE = "close"        # over the rate for too long: hang up


class FrameRateLimiter:
    """A token bucket of `burst` frames refilled at `rate` frames a second.

    One burst (a device emptying its blind-area buffer after a reconnect) only costs dropped,
    unanswered frames that the device sends again. A connection is closed only when
    `close_after` frames were dropped without the bucket ever filling up again in between,
    which means the sender never fell back under its allowance for long.
    """

    __slots__ = ("rate", "burst", "close_after", "_tokens", "_updated", "_dropped_run")

    def __init__(self, rate: float, burst: int, close_after: int | None, now: float) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.close_after = close_after
        self._tokens = self.burst
        self._updated = now
        self._dropped_run = 0

    def admit(self, now: float) -> Admission:
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(self.burst, self._tokens + elapsed * self.rate)
        self._updated = now
        if self._tokens >= self.burst:
            self._dropped_run = 0
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return Admission.ACCEPT
        self._dropped_run += 1
        if self.close_after is not None and self._dropped_run >= self.close_after:
            return Admission.CLOSE
        return Admission.DROP


class Expiry(StrEnum):
    IDLE = "idle_timeout"
    FRAME_DEADLINE = "frame_deadline"


class ReadTimers:
    """When the next read must have happened by, and why.

    Idle counts from the last complete frame, not the last byte: bytes that never form a frame
    must not keep a connection open. The frame deadline counts from the moment an incomplete
    frame started to wait in the buffer; it restarts whenever a frame completes.
    """

    __slots__ = ("idle", "frame_deadline", "_last_frame", "_partial_since")

    def __init__(self, idle: float, frame_deadline: float, now: float) -> None:
        self.idle = idle
        self.frame_deadline = frame_deadline
        self._last_frame = now
        self._partial_since: float | None = None

    def on_read(self, now: float, *, frames: int, partial: bool) -> None:
        """Record a read that completed `frames` frames and left (or not) a partial frame."""
        if frames:
            self._last_frame = now
        if not partial:
            self._partial_since = None
        elif frames or self._partial_since is None:
            self._partial_since = now

    def next_expiry(self, now: float) -> tuple[float, Expiry]:
        """Seconds left before the connection is to be closed (never negative), and why."""
        left, why = self._last_frame + self.idle - now, Expiry.IDLE
        if self._partial_since is not None:
            deadline = self._partial_since + self.frame_deadline - now
            if deadline < left:
                left, why = deadline, Expiry.FRAME_DEADLINE
        return max(0.0, left), why
