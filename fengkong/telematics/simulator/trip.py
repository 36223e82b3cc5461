"""One drive along a route, as a timetable of constant-acceleration phases: pull away,
cruise at the leg's speed, brake for a corner or a red light, wait, pull away again.

The timetable is computed once when the car sets off; asking where the car is at a moment
is then a binary search and a little algebra, cheap enough for thousands of cars.
"""

from __future__ import annotations

import bisect
import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from fengkong.telematics.simulator.geo import LatLon, between
from fengkong.telematics.simulator.roads import Leg, Route, slows_for_turn

_KMH = 1 / 3.6


@dataclass(frozen=True, slots=True)
class Phase:
    start_s: float           # seconds after departure
    duration_s: float
    distance_m: float        # along the route at the start of the phase
    speed: float             # m/s at the start
    accel: float             # m/s², constant through the phase


@dataclass(frozen=True, slots=True)
class Motion:
    point: LatLon
    speed_kmh: float
    course: float
    distance_m: float        # driven since departure


class Trip:
    """`departed_at` is when the engine starts; the car rolls after a warm-up, and the trip
    ends (engine off) a little after it stops at the destination."""

    def __init__(self, rng: random.Random, route: Route, departed_at: datetime,
                 pace: float = 1.0) -> None:
        self.route = route
        self.departed_at = departed_at
        self._ends = _leg_ends(route)
        self.phases = _timetable(rng, route, pace)
        self._starts = [phase.start_s for phase in self.phases]
        last = self.phases[-1]
        self.duration_s = last.start_s + last.duration_s
        self.arrives_at = departed_at + timedelta(seconds=self.duration_s)

    @property
    def length_m(self) -> float:
        return self._ends[-1] if self._ends else 0.0

    def at(self, moment: datetime) -> Motion:
        elapsed = min(max((moment - self.departed_at).total_seconds(), 0.0), self.duration_s)
        phase = self.phases[max(0, bisect.bisect_right(self._starts, elapsed) - 1)]
        t = elapsed - phase.start_s
        speed = max(0.0, phase.speed + phase.accel * t)
        distance = phase.distance_m + phase.speed * t + phase.accel * t * t / 2
        point, course = self._locate(distance)
        return Motion(point, speed * 3.6, course, min(distance, self.length_m))

    def _locate(self, distance: float) -> tuple[LatLon, float]:
        legs = self.route.legs
        if not legs:                                # two places a few metres apart
            return self.route.destination, 0.0
        index = min(bisect.bisect_left(self._ends, distance), len(legs) - 1)
        leg = legs[index]
        before = self._ends[index] - leg.length_m
        fraction = min(1.0, max(0.0, (distance - before) / leg.length_m))
        return between(leg.start, leg.end, fraction), leg.course


def _leg_ends(route: Route) -> list[float]:
    ends, total = [], 0.0
    for leg in route.legs:
        total += leg.length_m
        ends.append(total)
    return ends


class _Builder:
    def __init__(self) -> None:
        self.phases: list[Phase] = []
        self.clock = 0.0
        self.distance = 0.0

    def add(self, duration: float, speed: float, accel: float) -> None:
        if duration <= 1e-6:
            return
        self.phases.append(Phase(self.clock, duration, self.distance, speed, accel))
        self.clock += duration
        self.distance += speed * duration + accel * duration * duration / 2

    def wait(self, seconds: float) -> None:
        self.add(seconds, 0.0, 0.0)


def _timetable(rng: random.Random, route: Route, pace: float) -> list[Phase]:
    """`pace` scales the legs' speeds: traffic (1.0: free-flowing roads)."""
    build = _Builder()
    build.wait(rng.uniform(10, 40))                  # engine on, seat belt, mirrors
    accel, brake = rng.uniform(1.5, 2.5), rng.uniform(2.0, 3.0)
    speed = 0.0
    legs = route.legs
    for index, leg in enumerate(legs):
        following = legs[index + 1] if index + 1 < len(legs) else None
        exit_speed = min(_exit_speed(rng, leg, following), leg.limit_kmh * pace * _KMH)
        speed = _drive_leg(build, leg.length_m, speed, exit_speed, leg.limit_kmh * pace * _KMH,
                           accel, brake)
        if following is not None and leg.red_light:
            build.wait(rng.uniform(15, 90))
    build.wait(rng.uniform(10, 60))                  # parked, engine still running
    return build.phases


def _exit_speed(rng: random.Random, leg: Leg, following: Leg | None) -> float:
    if following is None or leg.red_light:
        return 0.0
    if slows_for_turn(leg, following):
        return rng.uniform(15, 25) * _KMH
    return min(leg.limit_kmh, following.limit_kmh) * _KMH


def _drive_leg(build: _Builder, length: float, v0: float, v1: float, vmax: float,
               accel: float, brake: float) -> float:
    """Accelerate, cruise and brake over `length` metres from `v0` to `v1` m/s (as close as
    the distance allows), never above `vmax` unless already faster. Returns the exit speed."""
    v1 = min(v1, math.sqrt(v0 * v0 + 2 * accel * length))
    if v0 * v0 - v1 * v1 > 2 * brake * length:
        brake = (v0 * v0 - v1 * v1) / (2 * length)   # a hard stop
    top = max(vmax, v0, v1)
    peak = math.sqrt((2 * accel * brake * length + brake * v0 * v0 + accel * v1 * v1)
                     / (accel + brake))
    peak = min(peak, top)
    rising = (peak * peak - v0 * v0) / (2 * accel)
    falling = (peak * peak - v1 * v1) / (2 * brake)
    build.add((peak - v0) / accel, v0, accel)
    if peak > 0:
        build.add(max(0.0, length - rising - falling) / peak, peak, 0.0)
    build.add((peak - v1) / brake, peak, -brake)
    return v1
