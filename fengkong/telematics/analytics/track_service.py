"""Reads of a vehicle's movements: stops, trips, daily mileage, places, a simplified
trajectory for display and playback, the last position with navigation links and a place
label, and the risk score. Stops and trips are derived from the stored positions on each
request, by the same rule as the streaming path."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select

from fengkong.core.uow import UnitOfWork
from fengkong.org.models import Tenant
from fengkong.org.scoping import Principal
from fengkong.telematics.analytics.models import VehicleAnalytics, VehiclePlace
from fengkong.telematics.analytics.navigation import nav_links
from fengkong.telematics.analytics.permissions import RISK_READ
from fengkong.telematics.analytics.refresh import STAYS
from fengkong.telematics.analytics.simplify import simplify_mask
from fengkong.telematics.analytics.staypoints import detect_stays
from fengkong.telematics.analytics.trips import daily_mileage, trips_between
from fengkong.telematics.device_service import get_vehicle
from fengkong.telematics.models import StoredPosition
from fengkong.telematics.tracking import check_range, vehicle_live

LEAD_IN = timedelta(hours=24)   # read this much before `from`, so a stop under way shows


@dataclass(frozen=True)
class Track:
    ids: list[str]
    t: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    speed: np.ndarray
    acc: np.ndarray


def _track(uow: UnitOfWork, vehicle_id: str, start: datetime, end: datetime) -> Track:
    p = StoredPosition
    rows = uow.session.execute(
        select(p.id, p.fix_time, p.latitude, p.longitude, p.speed_kmh, p.attributes)
        .where(p.vehicle_id == vehicle_id, p.valid.is_(True), p.fix_time >= start,
               p.fix_time < end).order_by(p.fix_time)).all()
    t = np.array([r[1].timestamp() for r in rows], float)
    keep = np.ones(len(t), bool)
    keep[1:] = t[1:] > t[:-1]
    rows = [r for r, k in zip(rows, keep.tolist(), strict=True) if k]
    return Track([r[0] for r in rows], t[keep], np.array([r[2] for r in rows], float),
                 np.array([r[3] for r in rows], float), np.array([r[4] for r in rows], float),
                 np.array([(r[5] or {}).get("ignition") is not False for r in rows], bool))


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


def _load(uow: UnitOfWork, principal: Principal, vehicle_id: str, start: datetime,
          end: datetime) -> tuple[Track, datetime, datetime]:
    start, end = check_range(start, end)
    vehicle = get_vehicle(uow, principal, vehicle_id, RISK_READ)
    return _track(uow, vehicle.id, start - LEAD_IN, end), start, end


def stops(uow: UnitOfWork, principal: Principal, vehicle_id: str, start: datetime,
          end: datetime) -> list[dict[str, Any]]:
    """Stops overlapping [start, end); the one still going has `open`."""
    track, start, end = _load(uow, principal, vehicle_id, start, end)
    found = detect_stays(track.t, track.lat, track.lon, acc=track.acc, rules=STAYS)
    lo, hi = start.timestamp(), end.timestamp()
    return [{"started_at": _iso(a), "ended_at": _iso(b), "latitude": round(float(la), 6),
             "longitude": round(float(lo_), 6), "duration_s": round(float(b - a)),
             "open": bool(o)}
            for a, b, la, lo_, o in zip(found.started_at, found.finished_at, found.latitude,
                                        found.longitude, found.open_at_end, strict=True)
            if b > lo and a < hi]


def trips(uow: UnitOfWork, principal: Principal, vehicle_id: str, start: datetime,
          end: datetime) -> list[dict[str, Any]]:
    track, start, end = _load(uow, principal, vehicle_id, start, end)
    found = detect_stays(track.t, track.lat, track.lon, acc=track.acc, rules=STAYS)
    lo, hi = start.timestamp(), end.timestamp()
    out = []
    for trip in trips_between(track.t, track.lat, track.lon, found):
        if trip.ended_at <= lo or trip.started_at >= hi:
            continue
        out.append({"started_at": _iso(trip.started_at), "ended_at": _iso(trip.ended_at),
                    "distance_m": round(trip.distance_m), "duration_s": round(trip.duration_s),
                    "start": {"latitude": float(track.lat[trip.first]),
                              "longitude": float(track.lon[trip.first])},
                    "end": {"latitude": float(track.lat[trip.last]),
                            "longitude": float(track.lon[trip.last])}})
    return out


def mileage(uow: UnitOfWork, principal: Principal, vehicle_id: str, start: datetime,
            end: datetime) -> list[dict[str, Any]]:
    start, end = check_range(start, end)
    vehicle = get_vehicle(uow, principal, vehicle_id, RISK_READ)
    track = _track(uow, vehicle.id, start, end)
    zone = ZoneInfo(uow.session.scalar(select(Tenant.timezone).where(
        Tenant.id == vehicle.tenant_id)) or "Asia/Shanghai")
    days = daily_mileage(track.t, track.lat, track.lon, zone)
    return [{"date": d.isoformat(), "distance_m": round(m)} for d, m in sorted(days.items())]


def places(uow: UnitOfWork, principal: Principal, vehicle_id: str) -> Sequence[VehiclePlace]:
    vehicle = get_vehicle(uow, principal, vehicle_id, RISK_READ)
    return uow.session.scalars(select(VehiclePlace).where(
        VehiclePlace.vehicle_id == vehicle.id).order_by(VehiclePlace.visits.desc())).all()


def trajectory(uow: UnitOfWork, principal: Principal, vehicle_id: str, start: datetime,
               end: datetime, tolerance_m: float = 10.0) -> dict[str, Any]:
    """The track simplified with Douglas-Peucker (every fix of a stop's edges kept: the
    corners survive), plus its stops and trips, for display and playback."""
    track, s, e = _load(uow, principal, vehicle_id, start, end)
    inside = track.t >= s.timestamp()
    keep = simplify_mask(track.lat[inside], track.lon[inside], tolerance_m)
    idx = np.flatnonzero(inside)[keep]
    return {"tolerance_m": tolerance_m, "fixes": int(inside.sum()), "kept": int(len(idx)),
            "positions": [{"id": track.ids[i], "fix_time": _iso(float(track.t[i])),
                           "latitude": float(track.lat[i]), "longitude": float(track.lon[i]),
                           "speed_kmh": float(track.speed[i])} for i in idx.tolist()],
            "stops": stops(uow, principal, vehicle_id, start, end),
            "trips": trips(uow, principal, vehicle_id, start, end)}


@lru_cache(maxsize=1)
def _geocoder() -> Any:
    import reverse_geocoder  # GeoNames cities1000, shipped in the wheel: offline

    return reverse_geocoder.RGeocoder(mode=1, verbose=False)


def place_label(lat: float, lon: float) -> dict[str, str]:
    """The nearest GeoNames town (a label for people, never for rules: its province is
    right about 87 % of the time in China)."""
    hit = _geocoder().query([(lat, lon)])[0]
    return {"name": hit["name"], "admin1": hit["admin1"], "admin2": hit["admin2"],
            "country": hit["cc"]}


def navigation(uow: UnitOfWork, principal: Principal, vehicle_id: str) -> dict[str, Any]:
    get_vehicle(uow, principal, vehicle_id, RISK_READ)
    live = vehicle_live(uow, principal, vehicle_id)
    lead = live.leading
    if lead is None or lead.latitude is None or lead.longitude is None:
        return {"vehicle_id": vehicle_id, "position": None, "links": None}
    label = live.vehicle.plate or live.vehicle.vin
    links = nav_links(lead.latitude, lead.longitude, label)
    return {"vehicle_id": vehicle_id,
            "position": {"fix_time": lead.fix_time.isoformat() if lead.fix_time else None,
                         "latitude": lead.latitude, "longitude": lead.longitude,
                         "speed_kmh": lead.speed_kmh},
            "place": place_label(lead.latitude, lead.longitude),
            "gcj02": {"latitude": links.gcj02[0], "longitude": links.gcj02[1]},
            "bd09": {"latitude": links.bd09[0], "longitude": links.bd09[1]},
            "links": {"amap": links.amap, "baidu": links.baidu, "apple": links.apple}}


def risk(uow: UnitOfWork, principal: Principal, vehicle_id: str) -> dict[str, Any]:
    vehicle = get_vehicle(uow, principal, vehicle_id, RISK_READ)
    row = uow.session.get(VehicleAnalytics, vehicle.id)
    if row is None:
        return {"vehicle_id": vehicle.id, "score": 0, "reasons": [], "signals": [],
                "home": None, "updated_at": None}
    home = (None if row.home_latitude is None else
            {"latitude": row.home_latitude, "longitude": row.home_longitude})
    signals = [{"key": k, "signal": v["signal"], "text": v.get("text", ""),
                "at": _iso(float(v["at"]))} for k, v in sorted((row.active or {}).items())]
    return {"vehicle_id": vehicle.id, "score": row.risk_score, "reasons": row.risk_reasons,
            "signals": signals, "home": home, "updated_at": row.updated_at.isoformat()}
