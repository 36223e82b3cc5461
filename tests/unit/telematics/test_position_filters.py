"""The position filters: each reason a fix is dropped, and the ones that are kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fengkong.telematics.positions import (
    FilterRules,
    Fix,
    Reason,
    distance_m,
    implied_speed_kmh,
    screen,
)

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
SHANGHAI = (31.2304, 121.4737)


def fix(seconds: float, lat: float = SHANGHAI[0], lon: float = SHANGHAI[1], *,
        valid: bool = True, received: float | None = None) -> Fix:
    at = T0 + timedelta(seconds=seconds)
    return Fix(at, lat, lon, valid, T0 + timedelta(seconds=received if received is not None
                                                    else seconds))


def test_one_degree_of_latitude_is_about_111_km() -> None:
    assert distance_m(fix(0, 30.0, 120.0), fix(0, 31.0, 120.0)) == pytest.approx(111_195, 1)


def test_a_sensible_track_is_kept_whole() -> None:
    track = [fix(i * 10, SHANGHAI[0] + i * 0.001) for i in range(5)]  # ~40 km/h north
    assert screen(track) == [None] * 5


def test_a_fix_the_device_calls_invalid_is_dropped() -> None:
    assert screen([fix(0, valid=False)]) == [Reason.INVALID]


@pytest.mark.parametrize(("lat", "lon"), [(91.0, 121.0), (-90.5, 0.1), (31.0, 180.5)])
def test_coordinates_off_the_globe_are_invalid(lat: float, lon: float) -> None:
    assert screen([fix(0, lat, lon)]) == [Reason.INVALID]


def test_zero_zero_is_dropped_as_an_unfixed_receiver() -> None:
    assert screen([fix(0, 0.0, 0.0)]) == [Reason.ZERO]
    assert screen([fix(0, 0.0, 121.0)]) == [None]


def test_a_fix_more_than_a_day_after_its_receipt_is_from_the_future() -> None:
    day = 86_400
    assert screen([fix(day + 1, received=0)]) == [Reason.FUTURE]
    assert screen([fix(day, received=0)]) == [None]


def test_a_repeated_fix_time_is_a_duplicate_within_the_batch_and_against_the_live_fix() -> None:
    assert screen([fix(0), fix(0)]) == [None, Reason.DUPLICATE]
    assert screen([fix(0)], live=fix(0)) == [Reason.DUPLICATE]


def test_a_jump_faster_than_the_maximum_is_dropped_and_the_track_resumes() -> None:
    near = SHANGHAI[0] + 0.001
    jump = SHANGHAI[0] + 1.0           # 111 km in 10 s
    reasons = screen([fix(0), fix(10, jump), fix(20, near)])
    assert reasons == [None, Reason.TOO_FAST, None]


def test_the_speed_test_measures_from_the_live_fix_when_it_is_earlier() -> None:
    live = fix(0)
    assert screen([fix(10, SHANGHAI[0] + 1.0)], live=live) == [Reason.TOO_FAST]
    assert screen([fix(3600, SHANGHAI[0] + 1.0)], live=live) == [None]   # 111 km/h


def test_history_older_than_the_live_fix_is_judged_against_its_own_neighbours() -> None:
    live = fix(1000, SHANGHAI[0] + 5.0)   # far away now: the old track must not be "too fast"
    old = [fix(0), fix(10, SHANGHAI[0] + 0.001)]
    assert screen(old, live=live) == [None, None]


def test_fixes_are_judged_in_time_order_whatever_the_arrival_order() -> None:
    assert screen([fix(20, SHANGHAI[0] + 0.002), fix(0), fix(10, SHANGHAI[0] + 0.001)]) == [
        None, None, None]


def test_receiver_jitter_within_the_tolerance_is_no_speed() -> None:
    a, b = fix(0), fix(1, SHANGHAI[0] + 0.0009)   # 100 m in one second
    assert implied_speed_kmh(a, b) > 300
    assert implied_speed_kmh(a, b, jitter_m=200) == 0.0
    assert screen([a, b]) == [None, None]


def test_the_maximum_speed_is_a_rule() -> None:
    track = [fix(0), fix(60, SHANGHAI[0] + 0.05)]   # 5.5 km in a minute: 333 km/h
    assert screen(track) == [None, Reason.TOO_FAST]
    assert screen(track, rules=FilterRules(max_speed_kmh=400)) == [None, None]


def test_dropped_fixes_do_not_become_the_reference_for_the_next() -> None:
    reasons = screen([fix(0), fix(10, 0.0, 0.0), fix(20, SHANGHAI[0] + 0.001)])
    assert reasons == [None, Reason.ZERO, None]
