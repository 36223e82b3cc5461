"""Reading where trackers are: the live state of vehicles and the position history of devices
and vehicles, each through the caller's reach (`telematics.positions.read`).

A vehicle's live state is derived, not stored: it is the state of whichever of its installed
devices has the newest fix, with the connection of every one of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, or_, select

from fengkong.core.errors import InvalidInput
from fengkong.core.uow import UnitOfWork
from fengkong.org.scoping import Principal, scoped
from fengkong.telematics.device_service import (
    as_utc,
    decode_cursor,
    get_device,
    get_vehicle,
    in_unit,
    keyset_page,
)
from fengkong.telematics.models import DeviceInstallation, DeviceState, StoredPosition, Vehicle
from fengkong.telematics.permissions import POSITIONS_READ

MAX_RANGE = timedelta(days=31)


# --- live state ------------------------------------------------------------------------------


@dataclass
class VehicleLive:
    """A vehicle's live state: the state of its installed device with the newest fix, and
    the connection of every installed device."""

    vehicle: Vehicle
    devices: list[tuple[str, DeviceState | None]]

    @property
    def leading(self) -> DeviceState | None:
        fixed = [s for _, s in self.devices if s is not None and s.fix_time is not None]
        return max(fixed, key=lambda s: s.fix_time or datetime.min) if fixed else None

    @property
    def status(self) -> str:
        seen = {s.status for _, s in self.devices if s is not None}
        return next((s for s in ("online", "offline") if s in seen), "unknown")


def vehicle_live(uow: UnitOfWork, principal: Principal, vehicle_id: str) -> VehicleLive:
    vehicle = get_vehicle(uow, principal, vehicle_id, POSITIONS_READ)
    return _live_of(uow, [vehicle])[0]


def live_vehicles(uow: UnitOfWork, principal: Principal, *, org_unit: str | None = None,
                  status: str | None = None, after: str | None = None,
                  limit: int = 200) -> list[VehicleLive]:
    """Every vehicle the caller may watch, with its live state; `status` keeps those whose
    devices are online (any), offline (none online) or unknown (never heard)."""
    stmt = scoped(select(Vehicle), Vehicle, principal, POSITIONS_READ)
    stmt = in_unit(uow, principal, stmt, Vehicle, org_unit, POSITIONS_READ)
    if status is not None:
        stmt = stmt.where(_vehicle_status_is(status))
    return _live_of(uow, uow.session.scalars(keyset_page(stmt, Vehicle.id, after, limit)).all())


def _device_in(status: str) -> Any:
    return exists().where(DeviceInstallation.vehicle_id == Vehicle.id,
                          DeviceInstallation.removed_at.is_(None),
                          DeviceState.device_id == DeviceInstallation.device_id,
                          DeviceState.status == status)


def _vehicle_status_is(status: str) -> Any:
    if status == "online":
        return _device_in("online")
    if status == "offline":
        return and_(~_device_in("online"), _device_in("offline"))
    return and_(~_device_in("online"), ~_device_in("offline"))


def _live_of(uow: UnitOfWork, vehicles: Sequence[Vehicle]) -> list[VehicleLive]:
    rows = uow.session.execute(
        select(DeviceInstallation.vehicle_id, DeviceInstallation.device_id, DeviceState)
        .outerjoin(DeviceState, DeviceState.device_id == DeviceInstallation.device_id)
        .where(DeviceInstallation.vehicle_id.in_([v.id for v in vehicles]),
               DeviceInstallation.removed_at.is_(None))
        .order_by(DeviceInstallation.installed_at)).all()
    carried: dict[str, list[tuple[str, DeviceState | None]]] = {v.id: [] for v in vehicles}
    for vehicle_id, device_id, state in rows:
        carried[vehicle_id].append((device_id, state))
    return [VehicleLive(v, carried[v.id]) for v in vehicles]


# --- position history ------------------------------------------------------------------------


def check_range(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    start, end = as_utc(start), as_utc(end)
    if start >= end:
        raise InvalidInput("`from` must be before `to`", code="bad_range", field="to")
    if end - start > MAX_RANGE:
        raise InvalidInput(f"a range covers {MAX_RANGE.days} days at most",
                           code="range_too_long", field="to")
    return start, end


def device_positions(uow: UnitOfWork, principal: Principal, device_id: str, start: datetime,
                     end: datetime, *, after: str | None = None,
                     limit: int = 500) -> Sequence[StoredPosition]:
    """A device's fixes in [start, end), oldest first, `limit` + 1 at most (the extra one
    says there is a next page)."""
    start, end = check_range(start, end)
    device = get_device(uow, principal, device_id, POSITIONS_READ)
    return _track(uow, StoredPosition.device_id == device.id, start, end, after, limit)


def vehicle_positions(uow: UnitOfWork, principal: Principal, vehicle_id: str, start: datetime,
                      end: datetime, *, after: str | None = None,
                      limit: int = 500) -> Sequence[StoredPosition]:
    """A vehicle's fixes from all devices it carried, in [start, end), oldest first."""
    start, end = check_range(start, end)
    vehicle = get_vehicle(uow, principal, vehicle_id, POSITIONS_READ)
    return _track(uow, StoredPosition.vehicle_id == vehicle.id, start, end, after, limit)


def _track(uow: UnitOfWork, whose: Any, start: datetime, end: datetime, after: str | None,
           limit: int) -> Sequence[StoredPosition]:
    p = StoredPosition
    stmt = select(p).where(whose, p.fix_time >= start, p.fix_time < end)
    if after:
        at, device_id = decode_cursor(after)
        stmt = stmt.where(or_(p.fix_time > at, and_(p.fix_time == at, p.device_id > device_id)))
    return uow.session.scalars(stmt.order_by(p.fix_time, p.device_id).limit(limit + 1)).all()
