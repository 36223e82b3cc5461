"""The per-connection limits with made-up times: the frame rate limiter and the read timers."""

from __future__ import annotations

import pytest

from fengkong.telematics.gateway.limits import Admission, Expiry, FrameRateLimiter, ReadTimers


def admit_many(limiter: FrameRateLimiter, count: int, now: float) -> list[Admission]:
    return [limiter.admit(now) for _ in range(count)]


def test_a_full_bucket_takes_a_burst_and_drops_the_rest() -> None:
    limiter = FrameRateLimiter(rate=10, burst=3, close_after=None, now=0.0)
    assert admit_many(limiter, 5, 0.0) == [Admission.ACCEPT] * 3 + [Admission.DROP] * 2


def test_tokens_come_back_at_the_rate() -> None:
    limiter = FrameRateLimiter(rate=10, burst=3, close_after=None, now=0.0)
    admit_many(limiter, 3, 0.0)
    assert limiter.admit(0.05) is Admission.DROP      # half a token
    assert limiter.admit(0.1) is Admission.ACCEPT
    assert admit_many(limiter, 2, 10.0) == [Admission.ACCEPT] * 2   # capped at the burst


def test_a_sustained_excess_ends_in_close() -> None:
    limiter = FrameRateLimiter(rate=1, burst=2, close_after=3, now=0.0)
    assert admit_many(limiter, 5, 0.0) == [Admission.ACCEPT, Admission.ACCEPT, Admission.DROP,
                                           Admission.DROP, Admission.CLOSE]


def test_a_sender_that_never_lets_the_bucket_refill_is_closed_even_with_frames_taken() -> None:
    limiter = FrameRateLimiter(rate=1, burst=2, close_after=4, now=0.0)
    results = []
    for second in range(6):                           # 3 frames a second against 1 allowed
        results += admit_many(limiter, 3, float(second))
    assert Admission.CLOSE in results


def test_a_burst_is_forgiven_once_the_bucket_has_refilled() -> None:
    limiter = FrameRateLimiter(rate=1, burst=2, close_after=3, now=0.0)
    admit_many(limiter, 4, 0.0)                       # two drops
    assert admit_many(limiter, 4, 5.0) == [Admission.ACCEPT, Admission.ACCEPT, Admission.DROP,
                                           Admission.DROP]


def test_idle_counts_from_the_last_complete_frame() -> None:
    timers = ReadTimers(idle=600, frame_deadline=60, now=0.0)
    assert timers.next_expiry(100.0) == (500.0, Expiry.IDLE)
    timers.on_read(100.0, frames=0, partial=False)   # bytes, but no frame
    assert timers.next_expiry(100.0) == (500.0, Expiry.IDLE)
    timers.on_read(200.0, frames=1, partial=False)
    assert timers.next_expiry(200.0) == (600.0, Expiry.IDLE)
    assert timers.next_expiry(900.0) == (0.0, Expiry.IDLE)


def test_an_incomplete_frame_has_its_own_deadline_that_more_bytes_do_not_extend() -> None:
    timers = ReadTimers(idle=600, frame_deadline=60, now=0.0)
    timers.on_read(10.0, frames=0, partial=True)
    timers.on_read(40.0, frames=0, partial=True)     # one more byte of the same frame
    assert timers.next_expiry(40.0) == (30.0, Expiry.FRAME_DEADLINE)


def test_the_deadline_restarts_when_a_frame_completes_and_ends_when_none_is_waiting() -> None:
    timers = ReadTimers(idle=600, frame_deadline=60, now=0.0)
    timers.on_read(10.0, frames=0, partial=True)
    timers.on_read(50.0, frames=1, partial=True)     # a frame done, the next one started
    assert timers.next_expiry(50.0) == (60.0, Expiry.FRAME_DEADLINE)
    timers.on_read(70.0, frames=1, partial=False)
    assert timers.next_expiry(70.0) == (600.0, Expiry.IDLE)


@pytest.mark.parametrize("idle, deadline, expected", [(5, 60, Expiry.IDLE),
                                                      (600, 1, Expiry.FRAME_DEADLINE)])
def test_the_nearer_expiry_wins(idle: float, deadline: float, expected: Expiry) -> None:
    timers = ReadTimers(idle=idle, frame_deadline=deadline, now=0.0)
    timers.on_read(0.0, frames=0, partial=True)
    assert timers.next_expiry(0.0)[1] is expected
