"""Device-health use cases: the bus handlers that judge what trackers report, the sweep
over silent trackers, and the `vehicle.alarm` events their findings become.

Each handler runs in the publisher's thread after its commit, in a short unit of work of its
own: one read of the device, its vehicle and its memory, one write of the memory, the events.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import and_, select

from fengkong.core.bus import Event
from fengkong.core.clock import as_utc
from fengkong.core.uow import UnitOfWork
from fengkong.telematics.health import rules
from fengkong.telematics.health.models import DeviceHealth
from fengkong.telematics.health.rules import Finding, HealthPolicy, Memory, Observation
from fengkong.telematics.models import Device, DeviceInstallation, DeviceState, Vehicle

SWEEP_BATCH = 1000


@dataclass(frozen=True, slots=True)
class Owner:
    """Where a device's alarms belong: its vehicle (and loan) and the unit routing starts at."""

    tenant_id: str
    device_id: str
    wired: bool
    vehicle_id: str | None
    loan_id: str | None
    org_unit_id: str
    registered_iccid: str | None


def owner_of(uow: UnitOfWork, device_id: str) -> Owner | None:
    row = uow.session.execute(
        select(Device.tenant_id, Device.kind, Device.org_unit_id, Device.sim_iccid,
               Vehicle.id, Vehicle.loan_id, Vehicle.org_unit_id)
        .outerjoin(DeviceInstallation, and_(DeviceInstallation.device_id == Device.id,
                                            DeviceInstallation.removed_at.is_(None)))
        .outerjoin(Vehicle, Vehicle.id == DeviceInstallation.vehicle_id)
        .where(Device.id == device_id)).first()
    if row is None:
        return None
    tenant_id, kind, device_unit, iccid, vehicle_id, loan_id, vehicle_unit = row
    return Owner(tenant_id, device_id, kind == "wired", vehicle_id, loan_id,
                 vehicle_unit or device_unit, iccid)


def _memory(row: DeviceHealth | None, owner: Owner) -> Memory:
    if row is None:
        return Memory(iccid=owner.registered_iccid)
    return Memory(frozenset(row.active), row.judged_at, row.iccid, row.same_latitude,
                  row.same_longitude, row.same_since, row.same_count, row.nofix_since,
                  tuple(row.nofix_cells))


def _keep(uow: UnitOfWork, owner: Owner, row: DeviceHealth | None, memory: Memory) -> None:
    if row is None:
        row = DeviceHealth(device_id=owner.device_id, tenant_id=owner.tenant_id)
        uow.session.add(row)
    row.active = sorted(memory.active)
    row.judged_at, row.iccid = memory.judged_at, memory.iccid
    row.same_latitude, row.same_longitude = memory.same_latitude, memory.same_longitude
    row.same_since, row.same_count = memory.same_since, memory.same_count
    row.nofix_since, row.nofix_cells = memory.nofix_since, list(memory.nofix_cells)
    row.updated_at = uow.clock.now()


def emit(uow: UnitOfWork, owner: Owner, findings: Iterable[Finding]) -> None:
    """Findings as `vehicle.alarm` events (docs: /work/briefs/alarm-events.md)."""
    for f in findings:
        uow.emit("vehicle.alarm", owner.tenant_id, type=f.type, vehicle_id=owner.vehicle_id,
                 device_id=owner.device_id, loan_id=owner.loan_id,
                 org_unit_id=owner.org_unit_id, severity=f.severity,
                 occurred_at=f.occurred_at.isoformat(), key=f.key, state=f.state,
                 evidence=f.evidence)


def _at(value: str) -> datetime:
    return as_utc(datetime.fromisoformat(value))


def observations_of_positions(positions: Sequence[Mapping[str, Any]]) -> list[Observation]:
    return [Observation(_at(p["fix_time"]), True, p["id"], p["latitude"], p["longitude"],
                        p.get("speed_kmh") or 0.0, p.get("attributes") or {})
            for p in positions if not p.get("archived")]


def observations_of_readings(readings: Sequence[Mapping[str, Any]]) -> list[Observation]:
    return [Observation(_at(r["at"]), False, attributes=r) for r in readings]


Judge = Callable[[Owner, Memory], rules.Outcome]


class HealthAnalyzers:
    """The bus handlers and the sweep, sharing one policy and two caches: each device's
    owner (its vehicle and unit, re-read after `owner_ttl_s`, as the gateway's directory
    does) and its memory. A judgement that raises or clears something, or sees a new ICCID,
    is written at once with its events; one that only moves the device's runs forward (the
    common case: a normal fix) stays in memory and is written by the next `flush()` (each
    sweep), so that an ordinary batch costs the database nothing here."""

    def __init__(self, new_uow: Callable[[], UnitOfWork],
                 policy: HealthPolicy = HealthPolicy(), *, owner_ttl_s: float = 30.0,
                 max_cached: int = 200_000) -> None:
        self.new_uow, self.policy = new_uow, policy
        self.owner_ttl_s, self.max_cached = owner_ttl_s, max_cached
        self._lock = threading.Lock()
        self._owners: dict[str, tuple[float, Owner | None]] = {}
        self._memory: dict[str, tuple[Owner, Memory, float]] = {}  # …, read again after
        self._dirty: set[str] = set()

    def _owner(self, device_id: str) -> Owner | None:
        now = time.monotonic()
        hit = self._owners.get(device_id)
        if hit is not None and hit[0] > now:
            return hit[1]
        with self.new_uow() as uow:
            owner = owner_of(uow, device_id)
        if len(self._owners) > self.max_cached:
            self._owners.clear()
        self._owners[device_id] = (now + self.owner_ttl_s, owner)
        return owner

    def _recall(self, owner: Owner) -> Memory:
        """The device's memory: cached, or read again once `owner_ttl_s` has passed (the
        sweep of another process may have raised a condition meanwhile)."""
        now = time.monotonic()
        cached = self._memory.get(owner.device_id)
        if cached is not None and cached[2] > now:
            return cached[1]
        with self.new_uow() as uow:
            stored = _memory(uow.session.get(DeviceHealth, owner.device_id), owner)
        if cached is not None and owner.device_id in self._dirty:
            stored = replace(cached[1], active=stored.active)  # keep the newer runs
        if len(self._memory) > self.max_cached:
            self._flush_locked()
            self._memory.clear()
        self._memory[owner.device_id] = (owner, stored, now + self.owner_ttl_s)
        return stored

    def judge(self, device_id: str, judge: Judge, *, stored_active: bool = False
              ) -> list[Finding]:
        """Judge one device under the analyzers' lock; write and emit what matters.
        `stored_active`: take the raised conditions from the database, not the cache (the
        sweep, which may run in another process than the one judging the positions)."""
        with self._lock:
            owner = self._owner(device_id)
            if owner is None:
                return []
            before = self._recall(owner)
            if stored_active:
                with self.new_uow() as uow:
                    active = uow.session.scalar(select(DeviceHealth.active).where(
                        DeviceHealth.device_id == device_id))
                before = replace(before, active=frozenset(active or ()))
            outcome = judge(owner, before)
            self._memory[device_id] = (owner, outcome.memory, self._memory[device_id][2])
            if (outcome.findings or outcome.memory.active != before.active
                    or outcome.memory.iccid != before.iccid):
                with self.new_uow() as uow:
                    row = uow.session.get(DeviceHealth, device_id, with_for_update=True)
                    _keep(uow, owner, row, outcome.memory)
                    emit(uow, owner, outcome.findings)
                    uow.commit()
                self._dirty.discard(device_id)
            else:
                self._dirty.add(device_id)
            return outcome.findings

    def flush(self) -> int:
        """Write the memories that moved without raising anything."""
        with self._lock:
            return self._flush_locked()

    def _flush_locked(self) -> int:
        dirty, self._dirty = self._dirty, set()
        if not dirty:
            return 0
        with self.new_uow() as uow:
            rows = {r.device_id: r for r in uow.session.scalars(
                select(DeviceHealth).where(DeviceHealth.device_id.in_(dirty)))}
            for device_id in dirty:
                owner, memory, _ = self._memory[device_id]
                _keep(uow, owner, rows.get(device_id), memory)
            uow.commit()
        return len(dirty)

    def _reports(self, device_id: str, observations: list[Observation]) -> None:
        if observations:
            self.judge(device_id, lambda owner, memory: rules.judge_reports(
                device_id, owner.wired, memory, observations, self.policy))

    def on_positions(self, event: Event) -> None:
        """`position.received`: the device's new fixes of one batch."""
        self._reports(event.payload["device_id"],
                      observations_of_positions(event.payload["positions"]))

    def on_readings(self, event: Event) -> None:
        """`device.readings`: statuses and fixless reports."""
        self._reports(event.payload["device_id"],
                      observations_of_readings(event.payload["readings"]))

    def on_device_alarm(self, event: Event) -> None:
        """`device.alarm`: alarms the tracker raised itself."""
        p = event.payload
        position = None
        if p.get("position_id"):
            position = {"id": p["position_id"], "fix_time": p["at"],
                        "latitude": p["latitude"], "longitude": p["longitude"]}
        self.judge(p["device_id"], lambda owner, memory: rules.judge_device_alarms(
            p["device_id"], memory, p["alarms"], _at(p["at"]), position,
            bool(p.get("archived")), self.policy))

    def on_status_changed(self, event: Event) -> None:
        """`device.status_changed` to online: the end of a silence."""
        p = event.payload
        if p.get("status") == "online":
            self._reports(p["device_id"], [Observation(_at(p["at"]), False)])

    def sweep(self) -> int:
        """Raise offline and removal for devices silent too long (and write the memories
        that moved since the last sweep); how many conditions were raised."""
        self.flush()
        with self.new_uow() as uow:
            todo = silent_findings(uow, self.policy)
        return sum(len(self.judge(device_id, partial(_mark, findings=found),
                                  stored_active=True))
                   for device_id, found in todo)


def _position(state: DeviceState) -> dict[str, Any] | None:
    if state.fix_time is None:
        return None
    return {"id": state.position_id, "fix_time": state.fix_time.isoformat(),
            "latitude": state.latitude, "longitude": state.longitude,
            "speed_kmh": state.speed_kmh}


def silent_findings(uow: UnitOfWork, policy: HealthPolicy
                    ) -> list[tuple[str, list[Finding]]]:
    """The devices silent longer than the shortest threshold, each with the offline and
    removal findings it has not raised yet."""
    now = uow.clock.now()
    cutoff = now - min(policy.offline_after, policy.removal_silence)
    silent = uow.session.execute(
        select(DeviceState, DeviceHealth.active)
        .outerjoin(DeviceHealth, DeviceHealth.device_id == DeviceState.device_id)
        .where(DeviceState.last_seen < cutoff)
        .order_by(DeviceState.last_seen.desc())  # the newly silent first: the rest were judged
        .limit(SWEEP_BATCH)).all()
    out = []
    for state, active in silent:
        keys = set(active or ())
        todo = [f for f in _silence_findings(uow, state, now, policy) if f.key not in keys]
        if todo:
            out.append((state.device_id, todo))
    return out


def _mark(owner: Owner, memory: Memory, findings: list[Finding]) -> rules.Outcome:
    fresh = [f for f in findings if f.key not in memory.active]
    return rules.Outcome(replace(memory, active=memory.active | {f.key for f in fresh}), fresh)


def _silence_findings(uow: UnitOfWork, state: DeviceState, now: datetime,
                      policy: HealthPolicy) -> list[Finding]:
    assert state.last_seen is not None
    silent = rules.Silent(state.device_id, state.last_seen, state.speed_kmh, state.acc,
                          _position(state))
    out = []
    offline = rules.judge_offline(silent, now, policy)
    if offline is not None:
        out.append(offline)
    partner = _wireless_partner(uow, state.device_id)
    if partner is not None:
        removal = rules.judge_removal(silent, partner[0], partner[1], now, policy)
        if removal is not None:
            out.append(removal)
    return out


def _wireless_partner(uow: UnitOfWork, device_id: str) -> tuple[str, datetime] | None:
    """For a wired device on a vehicle: the most recently heard wireless device on the same
    vehicle, and when it was heard."""
    mine = DeviceInstallation.__table__.alias("mine")
    other = DeviceInstallation.__table__.alias("other")
    partner = Device.__table__.alias("partner")
    row = uow.session.execute(
        select(DeviceState.device_id, DeviceState.last_seen)
        .select_from(mine)
        .join(Device, and_(Device.id == mine.c.device_id, Device.kind == "wired"))
        .join(other, and_(other.c.vehicle_id == mine.c.vehicle_id,
                          other.c.device_id != mine.c.device_id,
                          other.c.removed_at.is_(None)))
        .join(partner, and_(partner.c.id == other.c.device_id, partner.c.kind == "wireless"))
        .join(DeviceState, DeviceState.device_id == other.c.device_id)
        .where(mine.c.device_id == device_id, mine.c.removed_at.is_(None),
               DeviceState.last_seen.is_not(None))
        .order_by(DeviceState.last_seen.desc()).limit(1)).first()
    return (row[0], row[1]) if row is not None and row[1] is not None else None
