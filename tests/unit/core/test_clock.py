"""Clocks, business dates in a tenant's zone, and UTC normalisation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from fengkong.core.clock import FixedClock, SystemClock, as_utc, business_date

JAN_5_0100Z = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)


def test_a_fixed_clock_stands_still_until_told_to_move() -> None:
    clock = FixedClock(JAN_5_0100Z)
    assert clock.now() == JAN_5_0100Z
    assert clock.now() == JAN_5_0100Z


def test_a_fixed_clock_can_be_set_to_another_instant() -> None:
    clock = FixedClock(JAN_5_0100Z)
    later = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    clock.set(later)
    assert clock.now() == later


def test_advancing_a_fixed_clock_by_a_delta_or_by_keywords_moves_it_forward() -> None:
    clock = FixedClock(JAN_5_0100Z)
    assert clock.advance(timedelta(minutes=15)) == JAN_5_0100Z + timedelta(minutes=15)
    assert clock.advance(hours=1, seconds=30) == JAN_5_0100Z + timedelta(minutes=75, seconds=30)
    assert clock.now() == JAN_5_0100Z + timedelta(minutes=75, seconds=30)


def test_a_fixed_clock_refuses_a_naive_start() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        FixedClock(datetime(2026, 1, 5, 1, 0))


def test_a_fixed_clock_refuses_to_be_set_to_a_naive_time() -> None:
    clock = FixedClock(JAN_5_0100Z)
    with pytest.raises(ValueError, match="timezone-aware"):
        clock.set(datetime(2026, 1, 5, 2, 0))
    assert clock.now() == JAN_5_0100Z


def test_the_system_clock_tells_aware_utc_time() -> None:
    now = SystemClock().now()
    assert now.utcoffset() == timedelta(0)


@pytest.mark.parametrize(("instant", "expected"), [
    (datetime(2026, 1, 4, 15, 59, 59, tzinfo=UTC), date(2026, 1, 4)),
    (datetime(2026, 1, 4, 16, 0, tzinfo=UTC), date(2026, 1, 5)),
    (datetime(2026, 1, 4, 17, 0, tzinfo=UTC), date(2026, 1, 5)),
    (datetime(2026, 1, 5, 0, 30, tzinfo=UTC), date(2026, 1, 5)),
    (datetime(2026, 12, 31, 16, 0, tzinfo=UTC), date(2027, 1, 1)),
])
def test_the_business_date_in_shanghai_turns_over_at_1600_utc(
    instant: datetime, expected: date
) -> None:
    assert business_date(FixedClock(instant), "Asia/Shanghai") == expected


def test_the_same_instant_is_a_different_business_date_in_another_zone() -> None:
    clock = FixedClock(datetime(2026, 1, 4, 17, 0, tzinfo=UTC))
    assert business_date(clock, "Asia/Shanghai") == date(2026, 1, 5)
    assert business_date(clock, "America/Los_Angeles") == date(2026, 1, 4)


def test_a_naive_database_time_is_read_as_utc() -> None:
    assert as_utc(datetime(2026, 1, 5, 1, 0)) == JAN_5_0100Z
    assert as_utc(datetime(2026, 1, 5, 1, 0)).tzinfo is UTC


def test_an_aware_time_in_another_zone_is_converted_to_utc() -> None:
    shanghai = timezone(timedelta(hours=8))
    value = as_utc(datetime(2026, 1, 5, 9, 0, tzinfo=shanghai))
    assert value == JAN_5_0100Z
    assert value.utcoffset() == timedelta(0)
    assert value.hour == 1
