"""A tenant's fences and risk areas compiled into one `FenceEngine`, with who each applies to.

Built from the tables on first use and again after `geofence.changed`; the engine's
per-(vehicle, fence) state is loaded from and written back to `geofence_states` around each
batch, so several processes (or a restart) continue where the last one stopped.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from fengkong.org.models import OrgUnit
from fengkong.telematics.analytics.fence_engine import FenceEngine, Hysteresis, PairState
from fengkong.telematics.analytics.models import FenceState, Geofence, GeofenceAssignment
from fengkong.telematics.analytics.shapes import Shape, parse_shape

HYSTERESIS = Hysteresis(margin_m=30.0, min_fixes=2, hop_m=500.0)


@dataclass
class TenantFences:
    tenant_id: str
    fences: list[Geofence]
    engine: FenceEngine
    by_vehicle: dict[str, set[int]] = field(default_factory=dict)   # assigned by vehicle
    by_unit_path: list[tuple[str, int]] = field(default_factory=list)  # (unit path, fence)
    everyone: set[int] = field(default_factory=set)
    codes: dict[str, int] = field(default_factory=dict)   # vehicle id -> engine code
    ids: list[str] = field(default_factory=list)          # engine code -> vehicle id
    allowed: list[int] = field(default_factory=list)      # the allowed areas
    scoped: dict[int, frozenset[int]] = field(default_factory=dict)  # code -> own fences
    _keys: np.ndarray | None = None
    _universal: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))

    def code(self, vehicle_id: str) -> int:
        if vehicle_id not in self.codes:
            self.codes[vehicle_id] = len(self.ids)
            self.ids.append(vehicle_id)
        return self.codes[vehicle_id]

    def prepare(self, vehicle_id: str, unit_path: str) -> None:
        """Tell the engine which fences concern this vehicle, and which allowed areas it is
        taken to be inside of."""
        code = self.code(vehicle_id)
        if code in self.scoped:
            return
        own = {*self.by_vehicle.get(vehicle_id, ()),
               *(f for path, f in self.by_unit_path if unit_path.startswith(path))}
        self.scoped[code] = frozenset(own - self.everyone)
        by = self.engine.presumed_by_vehicle
        if by is not None:
            by[code] = frozenset(i for i in self.allowed if i in own or i in self.everyone)
        self._keys = None

    def scope(self, codes: np.ndarray, fences: np.ndarray) -> np.ndarray:
        """Vectorized `applies` over (vehicle code, fence) pairs of vehicles prepared."""
        nf = max(len(self.fences), 1)
        if self._keys is None:
            self._keys = np.sort(np.array([c * nf + f for c, own in self.scoped.items()
                                           for f in own], np.int64))
        keys = codes * nf + fences
        hit = self._universal[fences]
        if len(self._keys):
            pos = np.minimum(np.searchsorted(self._keys, keys), len(self._keys) - 1)
            hit = hit | (self._keys[pos] == keys)
        return np.asarray(hit)

    def applies(self, fence: int, vehicle_id: str, unit_path: str) -> bool:
        if fence in self.everyone or fence in self.by_vehicle.get(vehicle_id, ()):
            return True
        return any(f == fence and unit_path.startswith(path) for path, f in self.by_unit_path)


def compile_tenant(session: Session, tenant_id: str) -> TenantFences:
    fences = list(session.scalars(select(Geofence).where(Geofence.tenant_id == tenant_id)
                                  .order_by(Geofence.id)))
    for f in fences:   # kept beyond this session: detached with what they hold now
        session.expunge(f)
    shapes: list[Shape] = [parse_shape(f.geometry, f.radius_m) for f in fences]
    engine = FenceEngine(shapes, HYSTERESIS,
                         dwell_s=[float(f.dwell_s) if f.is_risk_area else 0.0 for f in fences],
                         presumed_inside=[f.kind == "allowed" for f in fences],
                         presumed_by_vehicle={})
    out = TenantFences(tenant_id, fences, engine,
                       allowed=[i for i, f in enumerate(fences) if f.kind == "allowed"])
    index = {f.id: i for i, f in enumerate(fences)}
    out.everyone = {i for i, f in enumerate(fences) if f.applies_to_all or f.is_risk_area}
    out._universal = np.array([i in out.everyone for i in range(len(fences))], bool)
    engine.scope = out.scope
    rows = session.execute(select(GeofenceAssignment.geofence_id, GeofenceAssignment.vehicle_id,
                                  OrgUnit.path)
                           .outerjoin(OrgUnit, OrgUnit.id == GeofenceAssignment.unit_id)
                           .where(GeofenceAssignment.tenant_id == tenant_id)).all()
    by_vehicle: dict[str, set[int]] = defaultdict(set)
    for fence_id, vehicle_id, path in rows:
        i = index.get(fence_id)
        if i is None:
            continue
        if vehicle_id is not None:
            by_vehicle[vehicle_id].add(i)
        elif path is not None:
            out.by_unit_path.append((path, i))
    out.by_vehicle = dict(by_vehicle)
    return out


def load_states(session: Session, tf: TenantFences, vehicle_ids: list[str]) -> None:
    """The stored fence states of these vehicles into the engine (replacing what it had)."""
    index = {f.id: i for i, f in enumerate(tf.fences)}
    for vehicle_id in vehicle_ids:
        tf.engine.state.pop(tf.code(vehicle_id), None)
    rows = session.scalars(select(FenceState).where(FenceState.vehicle_id.in_(vehicle_ids)))
    for row in rows:
        i = index.get(row.geofence_id)
        if i is None:
            continue
        since = row.since.timestamp() if row.since is not None else None
        tf.engine.state.setdefault(tf.code(row.vehicle_id), {})[i] = PairState(
            row.inside, row.run_zone, row.run_len, since, row.dwelt)


def save_states(session: Session, tf: TenantFences, vehicle_ids: list[str], now: datetime
                ) -> None:
    session.execute(delete(FenceState).where(FenceState.vehicle_id.in_(vehicle_ids)))
    rows = [{"vehicle_id": vehicle_id, "geofence_id": tf.fences[i].id,
             "tenant_id": tf.tenant_id, "inside": s.inside, "run_zone": s.run_zone,
             "run_len": s.run_len,
             "since": None if s.since is None else datetime.fromtimestamp(s.since, UTC),
             "dwelt": s.dwelt, "updated_at": now}
            for vehicle_id in vehicle_ids
            for i, s in tf.engine.state.get(tf.code(vehicle_id), {}).items()]
    if rows:
        session.execute(insert(FenceState), rows)
