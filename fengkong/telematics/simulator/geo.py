"""Points on the WGS-84 sphere at city scale: distances, bearings and offsets in metres."""

from __future__ import annotations

import math
from typing import NamedTuple

EARTH_RADIUS_M = 6_371_000.0


class LatLon(NamedTuple):
    lat: float
    lon: float


SHANGHAI = LatLon(31.2304, 121.4737)        # People's Square


def distance_m(a: LatLon, b: LatLon) -> float:
    """Great-circle distance (haversine)."""
    phi1, phi2 = math.radians(a.lat), math.radians(b.lat)
    dphi, dlam = phi2 - phi1, math.radians(b.lon - a.lon)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def bearing_deg(a: LatLon, b: LatLon) -> float:
    """Initial course from `a` to `b`, degrees clockwise from north."""
    phi1, phi2 = math.radians(a.lat), math.radians(b.lat)
    dlam = math.radians(b.lon - a.lon)
    y = math.sin(dlam) * math.cos(phi2)
    x = math.cos(phi1) * math.sin(phi2) - math.sin(phi1) * math.cos(phi2) * math.cos(dlam)
    return math.degrees(math.atan2(y, x)) % 360


def offset(point: LatLon, north_m: float, east_m: float) -> LatLon:
    """The point `north_m` north and `east_m` east of `point` (flat-earth, fine below ~100 km)."""
    lat = point.lat + math.degrees(north_m / EARTH_RADIUS_M)
    lon = point.lon + math.degrees(east_m / (EARTH_RADIUS_M * math.cos(math.radians(point.lat))))
    return LatLon(lat, lon)


def towards(point: LatLon, bearing: float, metres: float) -> LatLon:
    angle = math.radians(bearing)
    return offset(point, metres * math.cos(angle), metres * math.sin(angle))


def between(a: LatLon, b: LatLon, fraction: float) -> LatLon:
    return LatLon(a.lat + (b.lat - a.lat) * fraction, a.lon + (b.lon - a.lon) * fraction)


def turn_deg(course_in: float, course_out: float) -> float:
    """How sharply a road bends where one course gives way to the next, 0..180 degrees."""
    return abs((course_out - course_in + 180) % 360 - 180)
