"""The streaming analytics of one batch of `position.received` events of one tenant: fences
and risk areas, the track signals (towing, position jumps, leaving home), the hourly place
refresh, standing signals and the risk score, all in the caller's unit of work.

Only fixes newer than the vehicle's watermark are taken in: re-uploaded history (archived)
and fixes that arrive out of order never move the live state back or raise an alarm.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from sqlalchemy import select

from fengkong.core.uow import UnitOfWork
from fengkong.org.models import OrgUnit, Tenant
from fengkong.telematics.analytics import alarms, refresh
from fengkong.telematics.analytics import signals as sig
from fengkong.telematics.analytics.alarms import VehicleRef
from fengkong.telematics.analytics.fence_engine import Transition
from fengkong.telematics.analytics.models import Geofence, VehicleAnalytics
from fengkong.telematics.analytics.signals import Finding, SignalRules
from fengkong.telematics.analytics.tenant_fences import (
    TenantFences,
    compile_tenant,
    load_states,
    save_states,
)
from fengkong.telematics.models import Vehicle


@dataclass
class Counts:
    batches: int = 0
    positions: int = 0
    taken: int = 0
    stale: int = 0
    alarms: int = 0


@dataclass
class Batch:
    """The fixes of one vehicle in a batch, oldest first, with the device of each."""

    fixes: list[dict[str, Any]] = field(default_factory=list)


def _fix_time(p: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(p["fix_time"])


class LiveAnalytics:
    """Holds each tenant's compiled fences between batches (dropped on `geofence.changed`)."""

    def __init__(self, rules: SignalRules = SignalRules()) -> None:
        self.rules = rules
        self.tenants: dict[str, TenantFences] = {}
        self.counts = Counts()

    def invalidate(self, tenant_id: str | None) -> None:
        if tenant_id is None:
            self.tenants.clear()
        else:
            self.tenants.pop(tenant_id, None)

    def process(self, uow: UnitOfWork, tenant_id: str, payloads: Sequence[dict[str, Any]]
                ) -> None:
        session = uow.session
        self.counts.batches += 1
        by_vehicle: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for payload in payloads:
            vehicle_id = payload.get("vehicle_id")
            for p in payload.get("positions") or ():
                self.counts.positions += 1
                if vehicle_id and p.get("valid", True) and not p.get("archived"):
                    by_vehicle[vehicle_id].append({**p, "device_id": payload.get("device_id")})
        if not by_vehicle:
            return
        tf = self.tenants.get(tenant_id)
        if tf is None:
            tf = self.tenants[tenant_id] = compile_tenant(session, tenant_id)
        refs = self._vehicles(uow, tenant_id, list(by_vehicle))
        rows = self._rows(uow, tenant_id, list(refs))
        fresh = self._fresh(by_vehicle, rows, refs)
        if not fresh:
            return
        now = uow.clock.now()
        vids = list(fresh)
        for vid in vids:
            tf.prepare(vid, refs[vid].unit_path)
        load_states(session, tf, vids)
        for vid in vids:
            last = rows[vid].last_fix
            if last:
                tf.engine.last_fix[tf.code(vid)] = (
                    float(last["t"]), float(last["latitude"]), float(last["longitude"]),
                    frozenset(int(x) for x in last.get("near", ())))
            else:
                tf.engine.last_fix.pop(tf.code(vid), None)
        flat = [(vid, p) for vid in vids for p in fresh[vid]]
        codes = np.array([tf.code(vid) for vid, _ in flat], np.int64)
        t = np.array([_fix_time(p).timestamp() for _, p in flat])
        lat = np.array([p["latitude"] for _, p in flat], float)
        lon = np.array([p["longitude"] for _, p in flat], float)
        transitions = tf.engine.evaluate(codes, t, lat, lon)
        save_states(session, tf, vids, now)
        for tr in transitions:
            vid = tf.ids[tr.vehicle]
            finding = self._fence_finding(tf, tr, refs[vid], flat)
            if finding is not None:
                self._apply(uow, rows[vid], refs[vid], finding, flat[tr.fix][1]["device_id"])
        zone = self._zone(uow, tenant_id)
        borders = self._border_areas(tf)
        for vid in vids:
            self._track(uow, rows[vid], refs[vid], fresh[vid], tf, zone, borders)

    # --- loading -------------------------------------------------------------------------------

    def _vehicles(self, uow: UnitOfWork, tenant_id: str, ids: list[str]
                  ) -> dict[str, VehicleRef]:
        rows = uow.session.execute(
            select(Vehicle.id, Vehicle.org_unit_id, OrgUnit.path, Vehicle.loan_id)
            .join(OrgUnit, OrgUnit.id == Vehicle.org_unit_id)
            .where(Vehicle.tenant_id == tenant_id, Vehicle.id.in_(ids))).all()
        return {r[0]: VehicleRef(r[0], tenant_id, r[1], r[2], r[3]) for r in rows}

    def _rows(self, uow: UnitOfWork, tenant_id: str, ids: list[str]
              ) -> dict[str, VehicleAnalytics]:
        rows = {r.vehicle_id: r for r in uow.session.scalars(
            select(VehicleAnalytics).where(VehicleAnalytics.vehicle_id.in_(ids)))}
        for vid in ids:
            if vid not in rows:
                rows[vid] = VehicleAnalytics(vehicle_id=vid, tenant_id=tenant_id, flags={},
                                             active={}, risk_score=0, risk_reasons=[],
                                             updated_at=uow.clock.now())
                uow.session.add(rows[vid])
        return rows

    def _fresh(self, by_vehicle: dict[str, list[dict[str, Any]]],
               rows: dict[str, VehicleAnalytics], refs: dict[str, VehicleRef]
               ) -> dict[str, list[dict[str, Any]]]:
        """Each vehicle's fixes after its watermark, oldest first, one per instant."""
        out: dict[str, list[dict[str, Any]]] = {}
        for vid, fixes in by_vehicle.items():
            if vid not in refs:
                continue
            mark = rows[vid].watermark
            fixes.sort(key=lambda p: p["fix_time"])
            kept, last = [], mark
            for p in fixes:
                at = _fix_time(p)
                if last is not None and at <= last:
                    self.counts.stale += 1
                    continue
                kept.append(p)
                last = at
            if kept:
                out[vid] = kept
                self.counts.taken += len(kept)
        return out

    def _zone(self, uow: UnitOfWork, tenant_id: str) -> ZoneInfo:
        name = uow.session.scalar(select(Tenant.timezone).where(Tenant.id == tenant_id))
        return ZoneInfo(name or "Asia/Shanghai")

    def _border_areas(self, tf: TenantFences) -> list[tuple[str, float, float]]:
        out = []
        for f in tf.fences:
            if f.category == "port_border":
                c = _centre(f)
                out.append((f.id, c[0], c[1]))
        return out

    # --- findings ------------------------------------------------------------------------------

    def _fence_finding(self, tf: TenantFences, tr: Transition, vehicle: VehicleRef,
                       flat: list[tuple[str, dict[str, Any]]]) -> Finding | None:
        fence = tf.fences[tr.fence]
        if not tf.applies(tr.fence, vehicle.id, vehicle.unit_path):
            return None
        fixes = [flat[tr.fix][1]] if tr.previous_fix is None else [
            flat[tr.previous_fix][1], flat[tr.fix][1]]
        evidence: dict[str, Any] = {"fence_id": fence.id, "fence_name": fence.name,
                    "positions": [sig.pos_evidence(p) for p in fixes]}
        name = fence.name
        if fence.is_risk_area:
            key = f"riskAreaDwell:{vehicle.id}:{fence.id}"
            evidence["category"] = fence.category
            if tr.kind == "dwell" or (tr.kind == "enter" and fence.dwell_s <= 0):
                return Finding("riskAreaDwell", key, "critical", tr.at,
                               f"in risk area {name} ({fence.category}) for "
                               f"{fence.dwell_s // 60} min or more", evidence)
            if tr.kind == "exit":
                return Finding("riskAreaDwell", key, "info", tr.at, f"left risk area {name}",
                               evidence, state="cleared")
            return None
        if fence.kind == "allowed":
            key = f"geofenceExit:{vehicle.id}:{fence.id}"
            if tr.kind == "exit":
                return Finding("geofenceExit", key, "warning", tr.at,
                               f"left the allowed area {name}", evidence)
            if tr.kind == "enter":
                return Finding("geofenceExit", key, "info", tr.at,
                               f"back in the allowed area {name}", evidence, state="cleared")
            return None
        key = f"geofenceEnter:{vehicle.id}:{fence.id}"
        if tr.kind == "enter":
            return Finding("geofenceEnter", key, "warning", tr.at,
                           f"entered the forbidden area {name}", evidence)
        if tr.kind == "exit":
            return Finding("geofenceEnter", key, "info", tr.at, f"left the forbidden area {name}",
                           evidence, state="cleared")
        if tr.kind == "crossed":
            return Finding("geofenceEnter", f"{key}:{int(tr.at)}", "warning", tr.at,
                           f"crossed the forbidden area {name} between two fixes", evidence,
                           transient=True)
        return None

    def _apply(self, uow: UnitOfWork, row: VehicleAnalytics, vehicle: VehicleRef,
               finding: Finding, device_id: str | None) -> None:
        if alarms.apply(uow, row, vehicle, finding, device_id):
            self.counts.alarms += 1

    def _track(self, uow: UnitOfWork, row: VehicleAnalytics, vehicle: VehicleRef,
               fixes: list[dict[str, Any]], tf: TenantFences, zone: ZoneInfo,
               borders: list[tuple[str, float, float]]) -> None:
        rules = self.rules
        device = fixes[-1]["device_id"]
        for f in sig.towing(vehicle.id, fixes, rules):
            self._apply(uow, row, vehicle, f, device)
        for f in sig.position_jumps(vehicle.id, fixes, row.last_fix, rules):
            self._apply(uow, row, vehicle, f, device)
        if row.home_latitude is not None and row.home_longitude is not None:
            self._left_home(uow, row, vehicle, fixes, device)
        last = fixes[-1]
        row.watermark = _fix_time(last)
        near = sorted(tf.engine.last_fix.get(tf.code(vehicle.id), (0, 0, 0, frozenset()))[3])
        row.last_fix = {"id": last.get("id"), "fix_time": last["fix_time"],
                        "t": row.watermark.timestamp(), "latitude": last["latitude"],
                        "longitude": last["longitude"], "speed_kmh": last.get("speed_kmh"),
                        "acc": (last.get("attributes") or {}).get("ignition"), "near": near}
        if refresh.due(row):
            for f in refresh.refresh(uow.session, row, vehicle.id, zone, borders, rules):
                self._apply(uow, row, vehicle, f, device)
        alarms.expire(row, row.watermark.timestamp())
        alarms.rescore(uow, row, vehicle)
        row.updated_at = uow.clock.now()

    def _left_home(self, uow: UnitOfWork, row: VehicleAnalytics, vehicle: VehicleRef,
                   fixes: list[dict[str, Any]], device: str | None) -> None:
        home = (float(row.home_latitude or 0.0), float(row.home_longitude or 0.0))
        flags = dict(row.flags or {})
        for signal, limit in (("leftHomeCity", self.rules.home_city_m),
                              ("leftHomeProvince", self.rules.home_province_m)):
            was = bool(flags.get(signal))
            for p in fixes:
                now_out = sig.left_home(was, home, p["latitude"], p["longitude"], limit,
                                        self.rules)
                if now_out != was:
                    key = f"{signal}:{vehicle.id}"
                    text = (f"more than {limit / 1000:.0f} km from home" if now_out else
                            "back near home")
                    finding = Finding(signal, key, "warning" if now_out else "info",
                                      _fix_time(p).timestamp(), text,
                                      {"positions": [sig.pos_evidence(p)],
                                       "home": {"latitude": home[0], "longitude": home[1]},
                                       "rule": "distance from home (not a boundary test)"},
                                      state="raised" if now_out else "cleared")
                    self._apply(uow, row, vehicle, finding, device)
                    was = now_out
            flags[signal] = was
        row.flags = flags


def _centre(f: Geofence) -> tuple[float, float]:
    g = f.geometry
    if g.get("type") == "Point":
        return float(g["coordinates"][1]), float(g["coordinates"][0])
    c = shapely.geometry.shape(g).centroid
    return float(c.y), float(c.x)
