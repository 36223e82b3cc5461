"""Trips between stays, their distance and duration, and mileage per local day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from fengkong.telematics.analytics.staypoints import Stays, step_distances

MIN_TRIP_M = 200.0


@dataclass(frozen=True, slots=True)
class Trip:
    first: int          # fix index where it starts (the last fix of the stay before)
    last: int           # fix index where it ends (the first fix of the next stay)
    started_at: float
    ended_at: float
    distance_m: float

    @property
    def duration_s(self) -> float:
        return self.ended_at - self.started_at


def trips_between(t: NDArray[np.float64], lat: NDArray[np.float64], lon: NDArray[np.float64],
                  stays: Stays, min_distance_m: float = MIN_TRIP_M) -> list[Trip]:
    """One vehicle's trips: the stretches outside stays (before the first, between, after
    the last), each with the distance driven along its fixes."""
    n = len(t)
    if n < 2:
        return []
    cum = np.concatenate([[0.0], np.cumsum(step_distances(lat, lon))])
    bounds: list[tuple[int, int]] = []
    cursor = 0
    for first, end in zip(stays.first.tolist(), stays.end.tolist(), strict=True):
        if first > cursor:
            bounds.append((cursor, first))
        cursor = max(cursor, end - 1)
    if cursor < n - 1:
        bounds.append((cursor, n - 1))
    out = []
    for a, b in bounds:
        dist = float(cum[b] - cum[a])
        if dist >= min_distance_m:
            out.append(Trip(a, b, float(t[a]), float(t[b]), dist))
    return out


def daily_mileage(t: NDArray[np.float64], lat: NDArray[np.float64], lon: NDArray[np.float64],
                  zone: ZoneInfo, max_step_m: float = 50_000.0) -> dict[date, float]:
    """Metres driven per local day (a step counts on the day its later fix falls; a jump
    longer than `max_step_m` is not driving and is left out)."""
    if len(t) < 2:
        return {}
    steps = step_distances(lat, lon)
    steps = np.where(steps > max_step_m, 0.0, steps)
    days = [datetime.fromtimestamp(x, UTC).astimezone(zone).date() for x in t[1:].tolist()]
    out: dict[date, float] = {}
    for d, m in zip(days, steps.tolist(), strict=True):
        out[d] = out.get(d, 0.0) + m
    return out


def local_day_start(d: date, zone: ZoneInfo) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=zone).astimezone(UTC)


def next_day(d: date) -> date:
    return d + timedelta(days=1)
