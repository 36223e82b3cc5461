"""Road-like routes between two places: a polyline through a few waypoints pushed off the
straight line, city legs turned into the east-west / north-south steps of a street grid,
and for every leg a speed limit and whether a red light waits at its end.

Nothing here knows real streets; the point is tracks that look driven (corners, stops,
expressway stretches) so that trip analytics have something realistic to chew on.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from fengkong.telematics.simulator.geo import (
    LatLon,
    bearing_deg,
    between,
    distance_m,
    towards,
    turn_deg,
)

_GRID_LEG_M = 3_000            # shorter legs follow the street grid
_EXPRESSWAY_M = 3_000          # longer legs are elevated roads or motorways
_RED_LIGHT = 0.35              # chance of a red light at the end of a city leg


@dataclass(frozen=True, slots=True)
class Leg:
    start: LatLon
    end: LatLon
    length_m: float
    course: float
    limit_kmh: float
    red_light: bool


@dataclass(frozen=True, slots=True)
class Route:
    origin: LatLon
    destination: LatLon
    legs: tuple[Leg, ...]

    @property
    def length_m(self) -> float:
        return sum(leg.length_m for leg in self.legs)


def plan_route(rng: random.Random, origin: LatLon, destination: LatLon) -> Route:
    points = _waypoints(rng, origin, destination)
    points = _on_grid(rng, points)
    legs: list[Leg] = []
    for start, end in zip(points, points[1:], strict=False):
        length = distance_m(start, end)
        if length < 5:
            continue
        limit = _limit(rng, length)
        red = limit < 80 and rng.random() < _RED_LIGHT
        legs.append(Leg(start, end, length, bearing_deg(start, end), limit, red))
    return Route(origin, destination, tuple(legs))


def _waypoints(rng: random.Random, origin: LatLon, destination: LatLon) -> list[LatLon]:
    """2-6 intermediate points along the straight line, each pushed sideways by up to an
    eighth of the distance (at most 1.5 km): roads rarely run straight to where one goes."""
    span = distance_m(origin, destination)
    count = min(6, max(2, int(span / 2_000)))
    fractions = sorted(rng.uniform(0.1, 0.9) for _ in range(count))
    course = bearing_deg(origin, destination)
    points = [origin]
    for fraction in fractions:
        base = between(origin, destination, fraction)
        side = max(-1_500.0, min(1_500.0, rng.gauss(0, span / 16)))
        points.append(towards(base, course + 90, side))
    points.append(destination)
    return points


def _on_grid(rng: random.Random, points: list[LatLon]) -> list[LatLon]:
    """Short (city) legs become an L: along one axis, then the other."""
    out = [points[0]]
    for start, end in zip(points, points[1:], strict=False):
        if distance_m(start, end) < _GRID_LEG_M:
            corner = LatLon(end.lat, start.lon) if rng.random() < 0.5 else LatLon(start.lat,
                                                                                    end.lon)
            out.append(corner)
        out.append(end)
    return out


def _limit(rng: random.Random, length: float) -> float:
    """Side streets 30-40 km/h, arterials 50-70, expressways 80-100."""
    if length < 800:
        return rng.uniform(30, 40)
    if length < _EXPRESSWAY_M:
        return rng.uniform(50, 70)
    return rng.uniform(80, 100)


def slows_for_turn(leg: Leg, following: Leg) -> bool:
    return turn_deg(leg.course, following.course) > 30
