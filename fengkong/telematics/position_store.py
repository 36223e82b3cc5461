"""Durable writes of decoded positions, and the live state they move.

`store_positions(session, reports)` takes one batch of decoded reports (positions and
statuses of any number of devices) and costs a fixed number of statements however large the
batch: one read of the devices' live state and current installation, one multi-row INSERT of
the kept positions with ON CONFLICT DO NOTHING on (device_id, fix_time), and one upsert of
the devices' live state. A device that re-sends what it sent before (its acknowledgement got
lost) therefore stores nothing twice. It never commits: the caller's transaction makes the
batch durable, and only then may the devices be acknowledged.

Rules, stated once:
- Filtered fixes (`positions.screen`) are counted by reason and not stored. A fix dropped as
  `invalid` or `zero` still carries the device's status (alarm, ACC, power): that part is kept
  as if it had come in a status report, because a power-cut alarm from a car in a garage has
  no GPS fix and must not be lost with it.
- `archived`: the codec flagged the fix as re-uploaded history, or its fix time is not after
  the newest fix of the device seen so far (the live one, or an earlier one of this batch).
- The live state moves forward only: a device's fix columns change only to a newer fix (the
  upsert itself compares, so two writers cannot move it back), and the status columns take
  the readings of the latest report that is not history.
- Events, published after the caller commits: `position.received` once per device and batch,
  carrying that batch's new positions of the device in arrival order (one event per fix would
  cost more than the insert); `device.alarm` once per report carrying alarms; and
  `device.status_changed` when a device that was not online reports; `device.readings` once
  per device and batch with the health readings (power, battery, SIM, serving cell) of its
  reports that stored no fix (statuses, fixes dropped as invalid).

On PostgreSQL `positions` is partitioned by month on `fix_time`; the monthly partitions live
in the schema `telematics_parts` and are created on demand before a batch needs them (in a
short transaction of their own, under an advisory lock, so concurrent writers do not race).
"""

from __future__ import annotations

import weakref
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    and_,
    case,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from fengkong.core.db import Base
from fengkong.core.ids import new_id
from fengkong.core.uow import UnitOfWork
from fengkong.telematics.bulk_sql import BulkWriter
from fengkong.telematics.models import Device, DeviceInstallation, DeviceState, StoredPosition
from fengkong.telematics.positions import FilterRules, Fix, Reason, screen
from fengkong.telematics.protocols import position as key
from fengkong.telematics.protocols.position import Position, Status, alarms

PARTITION_SCHEMA = "telematics_parts"
ONLINE, OFFLINE, UNKNOWN = "online", "offline", "unknown"
# Dropped fixes whose status readings are still worth keeping.
_STATUS_BEARING = {Reason.INVALID, Reason.ZERO}

FIX_COLUMNS = ("fix_time", "latitude", "longitude", "speed_kmh", "course", "valid",
               "satellites", "position_id")
# live-state column <- (attribute key, type); later keys of a column win
READINGS: tuple[tuple[str, str, type], ...] = (
    ("acc", key.IGNITION, bool),
    ("external_power", key.CHARGING, bool),
    ("power_voltage", key.POWER, float),
    ("battery_level", key.BATTERY_LEVEL, int),
    ("battery_voltage", key.BATTERY, float),
    ("signal", key.RSSI, int),
    ("odometer_m", key.ODOMETER, int),
    ("engine_cut", key.BLOCKED, bool),
    ("engine_cut", key.ENGINE_CUT, bool),
)
READING_COLUMNS = tuple(dict.fromkeys(column for column, _, _ in READINGS))
STATE_COLUMNS = ("device_id", "tenant_id", "status", "last_seen", "updated_at", *FIX_COLUMNS,
                 *READING_COLUMNS, "alarm", "alarm_at")


@dataclass(frozen=True, slots=True)
class Report:
    """One decoded position or status of a registered device, as received."""

    tenant_id: str
    device_id: str
    received_at: datetime
    message: Position | Status


class Notice(NamedTuple):
    """An event to publish once the batch is committed."""

    topic: str
    tenant_id: str
    payload: dict[str, Any]


@dataclass
class StoreResult:
    stored: list[str] = field(default_factory=list)   # ids of the positions written now
    counts: Counter[str] = field(default_factory=Counter)
    notices: list[Notice] = field(default_factory=list)


def reports_from(tenant_id: str, device_id: str, received_at: datetime,
                 messages: Iterable[object]) -> list[Report]:
    """The positions and statuses among a frame's decoded messages."""
    return [Report(tenant_id, device_id, received_at, m) for m in messages
            if isinstance(m, Position | Status)]


def dialect_insert(session: Session, model: type[Base]) -> Any:
    """INSERT into the model's table, with ON CONFLICT support for the session's database
    (Core, not the ORM's bulk path: no per-row bookkeeping)."""
    table = cast(Table, model.__table__)
    name = session.get_bind().dialect.name
    return (postgresql.insert if name == "postgresql" else sqlite.insert)(table)


# --- the batch -------------------------------------------------------------------------------


@dataclass
class _Device:
    """What the batch needs to know of one device before writing."""

    tenant_id: str
    status: str
    live: Fix | None
    vehicle_id: str | None
    installed_at: datetime | None


@dataclass
class _Plan:
    """The rows and notices one batch turns into, before the database has its say."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    row_of_report: dict[int, dict[str, Any]] = field(default_factory=dict)
    dropped: dict[int, Reason] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)


def store_positions(session: Session, reports: Sequence[Report], *,
                    rules: FilterRules = FilterRules(), now: datetime | None = None
                    ) -> StoreResult:
    """Store one batch; see the module docstring for what is kept, marked and published."""
    result = StoreResult()
    if not reports:
        return result
    now = now or max(r.received_at for r in reports)
    devices = _devices(session, {r.device_id for r in reports})
    by_device = _group(reports, devices, result.counts)
    plan = _plan(by_device, devices, rules)
    result.counts.update(plan.counts)
    new_ids = _insert(session, plan.rows)
    result.stored = [row["id"] for row in plan.rows if row["id"] in new_ids]
    result.counts["stored"] += len(result.stored)
    result.counts["already_stored"] += len(plan.rows) - len(result.stored)
    states = []
    for device_id, items in by_device.items():
        device = devices[device_id]
        state, notices = _live_state(device_id, device, items, plan, new_ids, now)
        states.append(state)
        result.notices += notices
    _upsert_states(session, states)
    return result


def store_batch(uow: UnitOfWork, reports: Sequence[Report], *,
                rules: FilterRules = FilterRules()) -> StoreResult:
    """`store_positions` in a unit of work: its events are published after `uow.commit()`."""
    result = store_positions(uow.session, reports, rules=rules, now=uow.clock.now())
    for notice in result.notices:
        uow.emit(notice.topic, notice.tenant_id, **notice.payload)
    return result


def _devices(session: Session, device_ids: set[str]) -> dict[str, _Device]:
    rows = session.execute(
        select(Device.id, Device.tenant_id, DeviceState.status, DeviceState.fix_time,
               DeviceState.latitude, DeviceState.longitude, DeviceInstallation.vehicle_id,
               DeviceInstallation.installed_at)
        .outerjoin(DeviceState, DeviceState.device_id == Device.id)
        .outerjoin(DeviceInstallation, and_(DeviceInstallation.device_id == Device.id,
                                            DeviceInstallation.removed_at.is_(None)))
        .where(Device.id.in_(device_ids))).all()
    out = {}
    for (device_id, tenant_id, status, fix_time, lat, lon, vehicle_id, installed_at) in rows:
        live = None
        if fix_time is not None and lat is not None and lon is not None:
            live = Fix(fix_time, lat, lon)
        out[device_id] = _Device(tenant_id, status or UNKNOWN, live, vehicle_id, installed_at)
    return out


def _group(reports: Sequence[Report], devices: dict[str, _Device],
           counts: Counter[str]) -> dict[str, list[tuple[int, Report]]]:
    """Reports by device in arrival order; those of unknown devices (or naming the wrong
    tenant) are counted and dropped."""
    by_device: dict[str, list[tuple[int, Report]]] = defaultdict(list)
    for index, report in enumerate(reports):
        device = devices.get(report.device_id)
        if device is None or device.tenant_id != report.tenant_id:
            counts["unknown_device"] += 1
            continue
        by_device[report.device_id].append((index, report))
    return by_device


def _plan(by_device: dict[str, list[tuple[int, Report]]], devices: dict[str, _Device],
          rules: FilterRules) -> _Plan:
    plan = _Plan()
    for device_id, items in by_device.items():
        device = devices[device_id]
        fixes = [(i, r) for i, r in items if isinstance(r.message, Position)]
        reasons = screen([_fix(r) for _, r in fixes], device.live, rules)
        newest = device.live.fix_time if device.live else None
        for (index, report), reason in zip(fixes, reasons, strict=True):
            if reason is not None:
                plan.counts[reason.value] += 1
                plan.dropped[index] = reason
                continue
            row = _row(device_id, device, report, newest)
            plan.rows.append(row)
            plan.row_of_report[index] = row
            newest = row["fix_time"] if newest is None else max(newest, row["fix_time"])
        plan.counts["status"] += len(items) - len(fixes)
    return plan


def _fix(report: Report) -> Fix:
    p = report.message
    assert isinstance(p, Position)
    return Fix(p.fix_time, p.latitude, p.longitude, p.valid, report.received_at)


def _row(device_id: str, device: _Device, report: Report,
         newest: datetime | None) -> dict[str, Any]:
    p = report.message
    assert isinstance(p, Position)
    attributes = {k: v for k, v in p.attributes.items() if k != key.ARCHIVED}
    flagged = bool(p.attributes.get(key.ARCHIVED))
    on_vehicle = device.installed_at is not None and p.fix_time >= device.installed_at
    return {
        "id": new_id(), "tenant_id": device.tenant_id, "device_id": device_id,
        "vehicle_id": device.vehicle_id if on_vehicle else None,
        "fix_time": p.fix_time.astimezone(UTC), "received_at": report.received_at,
        "latitude": p.latitude, "longitude": p.longitude, "altitude": p.altitude,
        "speed_kmh": p.speed_kmh, "course": p.course, "valid": p.valid,
        "archived": flagged or (newest is not None and p.fix_time <= newest),
        "attributes": attributes,
        "_satellites": p.satellites,
    }


def _insert(session: Session, rows: list[dict[str, Any]]) -> set[str]:
    """One many-row INSERT; the ids of the rows that were new."""
    if not rows:
        return set()
    if _on_postgresql(session):
        ensure_partitions(session, {(r["fix_time"].year, r["fix_time"].month) for r in rows})
    return set(_bulk(session, "positions").run(session, rows))


POSITION_COLUMNS = ("id", "tenant_id", "device_id", "vehicle_id", "fix_time", "received_at",
                    "latitude", "longitude", "altitude", "speed_kmh", "course", "valid",
                    "archived", "attributes")


def _on_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _positions_statement(stmt: Any) -> Any:
    return (stmt.on_conflict_do_nothing(index_elements=["device_id", "fix_time"])
            .returning(stmt.table.c.id))


def _states_statement(stmt: Any) -> Any:
    """The fix columns move only to a newer fix, the readings only to values a report
    carried, last_seen only forward: the statement compares, so concurrent writers cannot
    move a device's state back."""
    new, old = stmt.excluded, stmt.table.c
    newer_fix = or_(old.fix_time.is_(None),
                    and_(new.fix_time.is_not(None), new.fix_time > old.fix_time))
    later_seen = or_(old.last_seen.is_(None), new.last_seen > old.last_seen)
    changes: dict[str, Any] = {c: case((newer_fix, new[c]), else_=old[c]) for c in FIX_COLUMNS}
    changes |= {c: func.coalesce(new[c], old[c]) for c in (*READING_COLUMNS, "alarm",
                                                             "alarm_at")}
    changes |= {"status": new.status, "updated_at": new.updated_at,
                "last_seen": case((later_seen, new.last_seen), else_=old.last_seen)}
    return stmt.on_conflict_do_update(index_elements=["device_id"], set_=changes)


_BULK_SPECS: dict[str, tuple[type[Base], tuple[str, ...], Any, bool]] = {
    "positions": (StoredPosition, POSITION_COLUMNS, _positions_statement, True),
    "states": (DeviceState, STATE_COLUMNS, _states_statement, False),
}
_bulk_writers: dict[tuple[str, str], BulkWriter] = {}


def _bulk(session: Session, name: str) -> BulkWriter:
    dialect = session.get_bind().dialect.name
    writer = _bulk_writers.get((name, dialect))
    if writer is None:
        model, columns, build, returning = _BULK_SPECS[name]
        writer = BulkWriter(cast(Table, model.__table__), columns, dialect, build,
                            returning=returning)
        _bulk_writers[(name, dialect)] = writer
    return writer


# --- live state ------------------------------------------------------------------------------


def _live_state(device_id: str, device: _Device, items: list[tuple[int, Report]], plan: _Plan,
                new_ids: set[str], now: datetime) -> tuple[dict[str, Any], list[Notice]]:
    """The device's state row after this batch, and the notices the batch raises for it."""
    state: dict[str, Any] = dict.fromkeys(STATE_COLUMNS)
    state.update(device_id=device_id, tenant_id=device.tenant_id, status=ONLINE,
                 updated_at=now, last_seen=max(r.received_at for _, r in items))
    newest = device.live.fix_time if device.live else None
    fresh: list[dict[str, Any]] = []
    readings: list[dict[str, Any]] = []
    notices: list[Notice] = []
    for index, report in items:
        row = plan.row_of_report.get(index)
        if row is not None and row["id"] not in new_ids:
            continue  # stored by an earlier send: it moved the state then
        reason = plan.dropped.get(index)
        if reason is not None and reason not in _STATUS_BEARING:
            continue  # a jump, a repeat, a fix from the future: none of it is believed
        if row is None:
            _take_readings(state, report.message.attributes, _reported_at(report))
            reading = _reading(report)
            if reading is not None:
                readings.append(reading)
        else:
            fresh.append(row)
            if newest is None or row["fix_time"] > newest:
                newest = row["fix_time"]
                _take_fix(state, row)
                _take_readings(state, report.message.attributes, row["fix_time"])
        alarm = _alarm_notice(device_id, device, report, row)
        if alarm is not None:
            notices.append(alarm)
    if fresh:
        notices.insert(0, Notice("position.received", device.tenant_id, {
            "device_id": device_id, "vehicle_id": device.vehicle_id,
            "positions": [_position_payload(row) for row in fresh]}))
    if readings:
        notices.append(Notice("device.readings", device.tenant_id, {
            "device_id": device_id, "vehicle_id": device.vehicle_id, "readings": readings}))
    if device.status != ONLINE:
        notices.append(Notice("device.status_changed", device.tenant_id, {
            "device_id": device_id, "status": ONLINE, "previous": device.status,
            "at": state["last_seen"].isoformat()}))
    return state, notices


# Readings of reports without a stored fix that the device-health analyzers judge.
_HEALTH_KEYS = (key.CHARGING, key.BATTERY_LEVEL, key.ICCID, key.MCC, key.MNC, key.LAC,
                key.CID, key.IGNITION)


def _reading(report: Report) -> dict[str, Any] | None:
    """A status, or a fix dropped as invalid, as `device.readings` carries it (history and
    reports with nothing the analyzers use are left out)."""
    attributes = report.message.attributes
    if attributes.get(key.ARCHIVED):
        return None
    kept = {k: attributes[k] for k in _HEALTH_KEYS
            if isinstance(attributes.get(k), bool | int | float | str)}
    if not kept:
        return None
    return {"at": _reported_at(report).isoformat(), **kept}


def _reported_at(report: Report) -> datetime:
    message = report.message
    if isinstance(message, Status) and message.device_time is not None:
        return message.device_time
    return report.received_at


def _take_fix(state: dict[str, Any], row: dict[str, Any]) -> None:
    for column in ("fix_time", "latitude", "longitude", "speed_kmh", "course", "valid"):
        state[column] = row[column]
    state["satellites"] = row["_satellites"]
    state["position_id"] = row["id"]


def _take_readings(state: dict[str, Any], attributes: dict[str, Any], at: datetime) -> None:
    for column, attribute, kind in READINGS:
        value = _as(kind, attributes.get(attribute))
        if value is not None:
            state[column] = value
    names = alarms(attributes)
    if names:
        state["alarm"] = ",".join(names)[:200]
        state["alarm_at"] = at


def _as(kind: type, value: Any) -> Any:
    """`value` as the column's type, or None when it is missing or not a number."""
    if value is None or not isinstance(value, bool | int | float):
        return None
    if kind is bool:
        return bool(value)
    return kind(value)


def _alarm_notice(device_id: str, device: _Device, report: Report,
                  row: dict[str, Any] | None) -> Notice | None:
    names = alarms(report.message.attributes)
    if not names:
        return None
    payload: dict[str, Any] = {
        "device_id": device_id, "vehicle_id": device.vehicle_id, "alarms": list(names),
        "at": (row["fix_time"] if row else _reported_at(report)).isoformat(),
        "position_id": row["id"] if row else None,
        "latitude": row["latitude"] if row else None,
        "longitude": row["longitude"] if row else None,
        "archived": row["archived"] if row else False,
    }
    return Notice("device.alarm", device.tenant_id, payload)


def _position_payload(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "fix_time": row["fix_time"].isoformat(),
            "latitude": row["latitude"], "longitude": row["longitude"],
            "speed_kmh": row["speed_kmh"], "course": row["course"], "valid": row["valid"],
            "archived": row["archived"], "attributes": row["attributes"]}


def _upsert_states(session: Session, states: list[dict[str, Any]]) -> None:
    """One upsert for every device of the batch (see `_states_statement`)."""
    _bulk(session, "states").run(session, states)


# --- connection status -----------------------------------------------------------------------


def set_connection_status(session: Session, device_id: str, tenant_id: str, status: str,
                          at: datetime) -> Notice | None:
    """A device's connection came up (`online`) or went away (`offline`): its state row says
    so, and the change is announced when it is one."""
    previous = session.scalar(select(DeviceState.status).where(
        DeviceState.device_id == device_id)) or UNKNOWN
    row: dict[str, Any] = dict.fromkeys(STATE_COLUMNS)
    row.update(device_id=device_id, tenant_id=tenant_id, status=status, updated_at=at,
               last_seen=at if status == ONLINE else None)
    _upsert_states(session, [row])
    if previous == status:
        return None
    return Notice("device.status_changed", tenant_id, {
        "device_id": device_id, "status": status, "previous": previous,
        "at": at.isoformat()})


def mark_silent_offline(session: Session, now: datetime, silence: timedelta
                        ) -> list[Notice]:
    """Devices online but silent for longer than `silence` (a connection that died without a
    goodbye) are offline from now; one notice each."""
    changed = session.execute(
        update(DeviceState)
        .where(DeviceState.status == ONLINE, DeviceState.last_seen < now - silence)
        .values(status=OFFLINE, updated_at=now)
        .returning(DeviceState.device_id, DeviceState.tenant_id)).all()
    return [Notice("device.status_changed", tenant_id, {
        "device_id": device_id, "status": OFFLINE, "previous": ONLINE,
        "at": now.isoformat()}) for device_id, tenant_id in changed]


# --- monthly partitions (PostgreSQL) ---------------------------------------------------------

_known_partitions: weakref.WeakKeyDictionary[Engine, set[tuple[int, int]]] = (
    weakref.WeakKeyDictionary())


def partition_name(year: int, month: int) -> str:
    return f"positions_{year:04d}_{month:02d}"


def ensure_partitions(session: Session, months: Iterable[tuple[int, int]]) -> None:
    """Create the monthly partitions of `positions` that `months` need and do not have yet,
    each in a short transaction of its own (PostgreSQL only)."""
    engine = _engine_of(session)
    known = _known_partitions.setdefault(engine, set())
    missing = sorted(set(months) - known)
    if not missing:
        return
    with engine.begin() as conn:
        # One creator at a time across processes; IF NOT EXISTS alone still races.
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('fengkong.positions'))"))
        for year, month in missing:
            conn.execute(text(partition_ddl(year, month)))
    known.update(missing)


def partition_ddl(year: int, month: int) -> str:
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    return (f"CREATE TABLE IF NOT EXISTS {PARTITION_SCHEMA}.{partition_name(year, month)} "
            f"PARTITION OF positions FOR VALUES FROM ('{start.isoformat()}') "
            f"TO ('{end.isoformat()}')")


def _engine_of(session: Session) -> Engine:
    bind = session.get_bind()
    return bind.engine if isinstance(bind, Connection) else bind
