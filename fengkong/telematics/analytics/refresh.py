"""The slower half of the analytics, run per vehicle at most hourly (by fix time): stays of
the last 30 days, places, home and work, and the signals that come from them (nights away,
a new frequent place, idle for days, a long trip toward a port or border)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from fengkong.core.ids import new_id
from fengkong.telematics.analytics import signals as sig
from fengkong.telematics.analytics.models import VehicleAnalytics, VehiclePlace
from fengkong.telematics.analytics.places import PlaceModel, Visit, infer_places
from fengkong.telematics.analytics.signals import Finding, SignalRules
from fengkong.telematics.analytics.staypoints import StayRules, detect_stays, gap_for_profile
from fengkong.telematics.analytics.trips import trips_between
from fengkong.telematics.models import StoredPosition

HISTORY_DAYS = 30
EVERY_S = 3600.0
STALE_S = 2 * 86_400.0   # a finding older than this (behind the watermark) is history
REFRESH_TYPES = frozenset({"nightAway", "newFrequentPlace", "idleLong"})
# stays: 100 m, 5 minutes, and a gap above a parked tracker's 30-minute heartbeat
STAYS = StayRules(dist_m=100, min_s=300, gap_s=gap_for_profile(30, 1800), include_last=True)


@dataclass
class Track:
    t: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    acc: np.ndarray


def load_track(session: Session, vehicle_id: str, until: datetime) -> Track:
    p = StoredPosition
    rows = session.execute(
        select(p.fix_time, p.latitude, p.longitude, p.attributes)
        .where(p.vehicle_id == vehicle_id, p.valid.is_(True),
               p.fix_time >= until - timedelta(days=HISTORY_DAYS), p.fix_time <= until)
        .order_by(p.fix_time)).all()
    t = np.array([r[0].timestamp() for r in rows], float)
    keep = np.ones(len(t), bool)
    keep[1:] = t[1:] > t[:-1]   # two devices on one car: one fix per instant
    lat = np.array([r[1] for r in rows], float)
    lon = np.array([r[2] for r in rows], float)
    acc = np.array([(r[3] or {}).get("ignition") is not False for r in rows], bool)
    return Track(t[keep], lat[keep], lon[keep], acc[keep])


def visits_of(track: Track) -> list[Visit]:
    stays = detect_stays(track.t, track.lat, track.lon, acc=track.acc, rules=STAYS)
    return [Visit(float(a), float(b), float(la), float(lo)) for a, b, la, lo in
            zip(stays.started_at, stays.finished_at, stays.latitude, stays.longitude,
                strict=True)]


def due(row: VehicleAnalytics) -> bool:
    """Hourly by fix time; a vehicle seen for the first time waits its first hour (so that a
    burst of new vehicles does not refresh all at once)."""
    if row.watermark is None:
        return False
    if row.places_at is None:
        row.places_at = row.watermark
        return False
    return (row.watermark - row.places_at).total_seconds() >= EVERY_S


def refresh(session: Session, row: VehicleAnalytics, vehicle_id: str, zone: ZoneInfo,
            border_areas: list[tuple[str, float, float]],
            rules: SignalRules = SignalRules()) -> list[Finding]:
    """Re-infer places and home; the findings standing now (raised) and those that ended
    (cleared) among the refresh-type signals."""
    assert row.watermark is not None
    now = row.watermark.timestamp()
    track = load_track(session, vehicle_id, row.watermark)
    visits = visits_of(track)
    model = infer_places(visits, zone)
    _store_places(session, row, vehicle_id, model, row.watermark)
    found: list[Finding] = []
    night = sig.night_away(vehicle_id, model, visits, zone, rules)
    if night is not None:
        found.append(night)
    found += sig.new_frequent_place(vehicle_id, model, visits, now, rules)
    last = visits[-1] if visits and visits[-1].ended_at >= track.t[-1] - 1 else None
    idle = sig.idle_long(vehicle_id, last, now, rules)
    if idle is not None:
        found.append(idle)
    found = [f for f in found if now - f.occurred_at <= STALE_S or f.type == "idleLong"]
    found += _border_trips(vehicle_id, track, visits, border_areas, now, rules)
    standing = {f.key for f in found}
    for key, item in (row.active or {}).items():
        if item["signal"] in REFRESH_TYPES and key not in standing:
            found.append(Finding(item["signal"], key, "info", now, "no longer so",
                                 {}, state="cleared"))
    row.places_at = row.watermark
    return found


def _border_trips(vehicle_id: str, track: Track, visits: list[Visit],
                  areas: list[tuple[str, float, float]], now: float,
                  rules: SignalRules) -> list[Finding]:
    if not areas or len(track.t) < 2:
        return []
    stays = detect_stays(track.t, track.lat, track.lon, acc=track.acc, rules=STAYS)
    out = []
    for trip in trips_between(track.t, track.lat, track.lon, stays):
        if now - trip.ended_at > STALE_S:
            continue
        finding = sig.toward_border(vehicle_id, trip, (track.lat[trip.first],
                                                       track.lon[trip.first]),
                                    (track.lat[trip.last], track.lon[trip.last]), areas, rules)
        if finding is not None:
            out.append(finding)
    return out


def _store_places(session: Session, row: VehicleAnalytics, vehicle_id: str,
                  model: PlaceModel, now: datetime) -> None:
    session.execute(delete(VehiclePlace).where(VehiclePlace.vehicle_id == vehicle_id))
    for place in model.places:
        label = ("home" if place.number == model.home else
                 "work" if place.number == model.work else None)
        session.add(VehiclePlace(
            id=new_id(), tenant_id=row.tenant_id, vehicle_id=vehicle_id,
            latitude=place.latitude, longitude=place.longitude, label=label,
            visits=len(place.visits), nights=len(place.nights),
            weekday_hours=round(place.weekday_hours, 2),
            first_seen=datetime.fromtimestamp(place.first_seen, UTC),
            last_seen=datetime.fromtimestamp(place.last_seen, UTC), updated_at=now))
        if label == "home":
            row.home_latitude, row.home_longitude = place.latitude, place.longitude
