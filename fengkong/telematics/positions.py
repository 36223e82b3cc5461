"""Which decoded fixes are worth storing: the position filters, pure.

A fix is dropped, with its reason, when
- `invalid`: the device says it has no fix, or the coordinates are off the globe;
- `zero`: latitude and longitude are both 0 (a receiver that has not fixed yet);
- `future`: its time is more than a day after it was received (a device clock gone wrong);
- `duplicate`: it repeats the fix time of a fix already kept (in this batch or the live one);
- `too_fast`: reaching it from the previous kept fix would take more than the maximum speed.

The speed test measures from the nearest earlier fix that was kept, in fix-time order, so a
single jump is dropped and the track resumes from where it was. The straight-line distance
is first reduced by a tolerance for receiver jitter, so two fixes a second apart that wobble
by a few tens of metres are not taken for a 300 km/h car.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

EARTH_RADIUS_M = 6_371_008.8


class Reason(StrEnum):
    INVALID = "invalid"
    ZERO = "zero"
    FUTURE = "future"
    DUPLICATE = "duplicate"
    TOO_FAST = "too_fast"


@dataclass(frozen=True, slots=True)
class FilterRules:
    max_speed_kmh: float = 300.0
    jitter_m: float = 200.0
    future: timedelta = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Fix:
    """A point in time and space: a candidate fix, or the device's live one."""

    fix_time: datetime
    latitude: float
    longitude: float
    valid: bool = True
    received_at: datetime | None = None


def distance_m(a: Fix, b: Fix) -> float:
    """Great-circle (haversine) distance in metres."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat = lat2 - lat1
    dlon = math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def implied_speed_kmh(a: Fix, b: Fix, jitter_m: float = 0.0) -> float:
    """The speed needed to go from `a` to `b` in the time between them; infinite when they
    are at the same instant in different places."""
    metres = max(0.0, distance_m(a, b) - jitter_m)
    seconds = abs((b.fix_time - a.fix_time).total_seconds())
    if metres == 0.0:
        return 0.0
    return math.inf if seconds == 0 else metres / seconds * 3.6


def static_reason(fix: Fix, rules: FilterRules) -> Reason | None:
    """The reason a fix is unusable on its own, whatever came before it."""
    if not fix.valid or not (-90.0 <= fix.latitude <= 90.0 and -180.0 <= fix.longitude <= 180.0):
        return Reason.INVALID
    if fix.latitude == 0.0 and fix.longitude == 0.0:
        return Reason.ZERO
    if fix.received_at is not None and fix.fix_time > fix.received_at + rules.future:
        return Reason.FUTURE
    return None


def screen(fixes: Sequence[Fix], live: Fix | None = None,
           rules: FilterRules = FilterRules()) -> list[Reason | None]:
    """One device's fixes judged together, in any order: the reason each is dropped, or None
    for a fix to keep, aligned with `fixes`. `live` is the device's newest fix stored so far."""
    reasons: list[Reason | None] = [static_reason(f, rules) for f in fixes]
    usable = sorted((i for i, r in enumerate(reasons) if r is None),
                    key=lambda i: fixes[i].fix_time)
    anchor_pending = live is not None
    previous: Fix | None = None
    for i in usable:
        fix = fixes[i]
        if anchor_pending and live is not None and live.fix_time <= fix.fix_time:
            previous, anchor_pending = _later(previous, live), False
        reasons[i] = _sequence_reason(previous, fix, rules)
        if reasons[i] is None:
            previous = fix
    return reasons


def _later(a: Fix | None, b: Fix) -> Fix:
    return b if a is None or b.fix_time >= a.fix_time else a


def _sequence_reason(previous: Fix | None, fix: Fix, rules: FilterRules) -> Reason | None:
    if previous is None:
        return None
    if previous.fix_time == fix.fix_time:
        return Reason.DUPLICATE
    if implied_speed_kmh(previous, fix, rules.jitter_m) > rules.max_speed_kmh:
        return Reason.TOO_FAST
    return None
