"""Routes of the tracker registry: devices, pending identifiers, vehicles, installations, live
state and position history. Times are UTC, ISO 8601."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status
from pydantic import Field

from fengkong.api.deps import UoW, require
from fengkong.api.schemas import Code, Id, Input, Output
from fengkong.core.money import from_minor
from fengkong.core.uow import UnitOfWork
from fengkong.org.scoping import Principal
from fengkong.telematics import device_service as svc
from fengkong.telematics import tracking
from fengkong.telematics.models import (
    Device,
    DeviceInstallation,
    DeviceState,
    PendingDevice,
    StoredPosition,
    Vehicle,
)
from fengkong.telematics.permissions import (
    DEVICES_MANAGE,
    DEVICES_READ,
    INSTALL,
    POSITIONS_READ,
    SIM_READ,
    VEHICLES_MANAGE,
    VEHICLES_READ,
)

router = APIRouter(tags=["telematics"])

Protocol = Literal["gt06", "jt808"]
Kind = Literal["wired", "wireless"]
Status = Literal["online", "offline", "unknown"]
Model = Annotated[str, Field(min_length=1, max_length=40)]
Iccid = Annotated[str, Field(pattern=r"^[0-9]{18,22}$")]
Phone = Annotated[str, Field(pattern=r"^\+?[0-9]{5,19}$")]
Firmware = Annotated[str, Field(min_length=1, max_length=60)]
Zone = Annotated[str, Field(min_length=1, max_length=60, description="IANA time zone")]
Cursor = Annotated[str | None, Query(max_length=200, description="cursor from `next`")]


# --- devices ---------------------------------------------------------------------------------


class DeviceDetails(Input):
    model: Model | None = None
    sim_iccid: Iccid | None = None
    sim_phone: Phone | None = None
    kind: Kind | None = None
    firmware: Firmware | None = None
    accept_bad_crc: bool = Field(False, description="keep frames failing CRC/XOR (firmware bug)")
    timezone: Zone | None = Field(None, description="device clock zone; default: protocol's")


class DeviceIn(DeviceDetails):
    identifier: Annotated[str, Field(min_length=1, max_length=25,
                                     description="IMEI (gt06) or terminal phone (jt808)")]
    protocol: Protocol
    org_unit: Code


class PendingRegistrationIn(DeviceDetails):
    org_unit: Code
    protocol: Protocol | None = Field(None, description="only if it spoke both protocols")


class DevicePatch(Input):
    model: Model | None = None
    sim_iccid: Iccid | None = None
    sim_phone: Phone | None = None
    kind: Kind | None = None
    firmware: Firmware | None = None
    accept_bad_crc: bool | None = None
    timezone: Zone | None = None
    org_unit: Code | None = None


class DeviceOut(Output):
    id: str
    identifier: str
    protocol: str
    org_unit_id: str
    org_unit: str
    model: str | None
    sim_iccid: str | None
    sim_phone: str | None
    kind: str | None
    firmware: str | None
    accept_bad_crc: bool
    timezone: str | None
    status: str
    last_seen: datetime | None
    vehicle_id: str | None
    created_at: datetime


class DevicePage(Output):
    items: list[DeviceOut]
    next: str | None


def _masked(value: str | None, head: int, tail: int) -> str | None:
    if value is None or len(value) <= head + tail:
        return value
    return value[:head] + "*" * (len(value) - head - tail) + value[-tail:]


def devices_out(uow: UnitOfWork, principal: Principal,
                devices: Sequence[Device]) -> list[DeviceOut]:
    """Devices with their connection and vehicle; SIM numbers masked unless the caller may
    see them."""
    ids = [d.id for d in devices]
    states, carried = svc.states_of(uow, ids), svc.vehicles_carrying(uow, ids)
    codes = svc.unit_codes(uow, [d.org_unit_id for d in devices])
    full = principal.can(SIM_READ)
    out = []
    for d in devices:
        state = states.get(d.id)
        out.append(DeviceOut(
            id=d.id, identifier=d.identifier, protocol=d.protocol, org_unit_id=d.org_unit_id,
            org_unit=codes.get(d.org_unit_id, ""), model=d.model,
            sim_iccid=d.sim_iccid if full else _masked(d.sim_iccid, 0, 4),
            sim_phone=d.sim_phone if full else _masked(d.sim_phone, 3, 4), kind=d.kind,
            firmware=d.firmware, accept_bad_crc=d.accept_bad_crc, timezone=d.timezone,
            status=state.status if state else "unknown",
            last_seen=state.last_seen if state else None, vehicle_id=carried.get(d.id),
            created_at=d.created_at))
    return out


def _one_device(uow: UnitOfWork, principal: Principal, device: Device) -> DeviceOut:
    return devices_out(uow, principal, [device])[0]


@router.post("/devices", response_model=DeviceOut, status_code=status.HTTP_201_CREATED)
def register_device(body: DeviceIn, uow: UoW,
                    principal: Principal = require(DEVICES_MANAGE)) -> DeviceOut:
    """Register a tracker by its IMEI (GT06, Luhn-checked) or terminal phone (JT/T 808)."""
    device = svc.register_device(uow, principal, **body.model_dump())
    uow.commit()
    return _one_device(uow, principal, device)


@router.get("/devices", response_model=DevicePage)
def list_devices(
    uow: UoW,
    principal: Principal = require(DEVICES_READ),
    org_unit: Annotated[Code | None, Query(description="org unit code")] = None,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    after: Annotated[str | None, Query(max_length=26)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> DevicePage:
    rows = svc.list_devices(uow, principal, org_unit=org_unit, status=status_, after=after,
                            limit=limit)
    page = rows[:limit]
    return DevicePage(items=devices_out(uow, principal, page),
                      next=page[-1].id if len(rows) > limit else None)


class PendingOut(Output):
    identifier: str
    protocol: str
    count: int
    first_seen: datetime
    last_seen: datetime


class PendingPage(Output):
    items: list[PendingOut]
    next: str | None


@router.get("/devices/pending", response_model=PendingPage)
def list_pending(uow: UoW, principal: Principal = require(DEVICES_MANAGE),
                 after: Cursor = None,
                 limit: Annotated[int, Query(ge=1, le=500)] = 100) -> PendingPage:
    """Identifiers that spoke to a listener but are not registered, latest first."""
    rows = svc.list_pending(uow, principal, after=after, limit=limit)
    page: Sequence[PendingDevice] = rows[:limit]
    more = len(rows) > limit
    return PendingPage(items=[PendingOut.model_validate(p) for p in page],
                       next=svc.encode_cursor(page[-1].last_seen, page[-1].id) if more else None)


@router.post("/devices/pending/{identifier}/register", response_model=DeviceOut,
             status_code=status.HTTP_201_CREATED)
def register_pending(identifier: str, body: PendingRegistrationIn, uow: UoW,
                     principal: Principal = require(DEVICES_MANAGE)) -> DeviceOut:
    """Register a pending identifier in one step, with the protocol it spoke."""
    device = svc.register_pending(uow, principal, identifier, **body.model_dump())
    uow.commit()
    return _one_device(uow, principal, device)


@router.get("/devices/{device_id}", response_model=DeviceOut)
def get_device(device_id: str, uow: UoW,
               principal: Principal = require(DEVICES_READ)) -> DeviceOut:
    return _one_device(uow, principal, svc.get_device(uow, principal, device_id))


@router.patch("/devices/{device_id}", response_model=DeviceOut)
def update_device(device_id: str, body: DevicePatch, uow: UoW,
                  principal: Principal = require(DEVICES_MANAGE)) -> DeviceOut:
    device = svc.update_device(uow, principal, device_id, body.model_dump(exclude_unset=True))
    uow.commit()
    return _one_device(uow, principal, device)


# --- vehicles --------------------------------------------------------------------------------

Text20 = Annotated[str, Field(min_length=1, max_length=20)]
Text60 = Annotated[str, Field(min_length=1, max_length=60)]
Price = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2)]


class VehicleIn(Input):
    vin: Annotated[str, Field(min_length=1, max_length=20)]
    org_unit: Code
    plate: Text20 | None = None
    make: Text60 | None = None
    model: Text60 | None = None
    colour: Annotated[str, Field(min_length=1, max_length=30)] | None = None
    purchase_price: Price | None = None
    loan_id: Id | None = None


class VehiclePatch(Input):
    vin: Annotated[str, Field(min_length=1, max_length=20)] | None = None
    org_unit: Code | None = None
    plate: Text20 | None = None
    make: Text60 | None = None
    model: Text60 | None = None
    colour: Annotated[str, Field(min_length=1, max_length=30)] | None = None
    purchase_price: Price | None = None
    loan_id: Id | None = None


class VehicleOut(Output):
    id: str
    vin: str
    plate: str | None
    make: str | None
    model: str | None
    colour: str | None
    purchase_price: str | None
    loan_id: str | None
    org_unit_id: str
    org_unit: str
    created_at: datetime


class VehiclePage(Output):
    items: list[VehicleOut]
    next: str | None


def vehicles_out(uow: UnitOfWork, vehicles: Sequence[Vehicle]) -> list[VehicleOut]:
    codes = svc.unit_codes(uow, [v.org_unit_id for v in vehicles])
    return [VehicleOut(
        id=v.id, vin=v.vin, plate=v.plate, make=v.make, model=v.model, colour=v.colour,
        purchase_price=(None if v.purchase_price_fen is None
                        else f"{from_minor(v.purchase_price_fen):f}"),
        loan_id=v.loan_id, org_unit_id=v.org_unit_id, org_unit=codes.get(v.org_unit_id, ""),
        created_at=v.created_at) for v in vehicles]


@router.post("/vehicles", response_model=VehicleOut, status_code=status.HTTP_201_CREATED)
def create_vehicle(body: VehicleIn, uow: UoW,
                   principal: Principal = require(VEHICLES_MANAGE)) -> VehicleOut:
    """Record a vehicle; its VIN's check digit (position 9) must be right."""
    vehicle = svc.create_vehicle(uow, principal, **body.model_dump())
    uow.commit()
    return vehicles_out(uow, [vehicle])[0]


@router.get("/vehicles", response_model=VehiclePage)
def list_vehicles(
    uow: UoW,
    principal: Principal = require(VEHICLES_READ),
    org_unit: Annotated[Code | None, Query(description="org unit code")] = None,
    after: Annotated[str | None, Query(max_length=26)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> VehiclePage:
    rows = svc.list_vehicles(uow, principal, org_unit=org_unit, after=after, limit=limit)
    page = rows[:limit]
    return VehiclePage(items=vehicles_out(uow, page),
                       next=page[-1].id if len(rows) > limit else None)


@router.get("/vehicles/{vehicle_id}", response_model=VehicleOut)
def get_vehicle(vehicle_id: str, uow: UoW,
                principal: Principal = require(VEHICLES_READ)) -> VehicleOut:
    return vehicles_out(uow, [svc.get_vehicle(uow, principal, vehicle_id)])[0]


@router.patch("/vehicles/{vehicle_id}", response_model=VehicleOut)
def update_vehicle(vehicle_id: str, body: VehiclePatch, uow: UoW,
                   principal: Principal = require(VEHICLES_MANAGE)) -> VehicleOut:
    vehicle = svc.update_vehicle(uow, principal, vehicle_id,
                                 body.model_dump(exclude_unset=True))
    uow.commit()
    return vehicles_out(uow, [vehicle])[0]


# --- installations ---------------------------------------------------------------------------


class InstallationIn(Input):
    device_id: Id
    installed_at: datetime | None = Field(None, description="default: now")
    installer: Annotated[str, Field(min_length=1, max_length=120)] | None = None
    address: Annotated[str, Field(min_length=1, max_length=300)] | None = None
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = None
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None
    photos: Annotated[list[Annotated[str, Field(min_length=1, max_length=500)]],
                      Field(max_length=20)] = []


class RemovalIn(Input):
    reason: Annotated[str, Field(min_length=1, max_length=300)]
    removed_at: datetime | None = Field(None, description="default: now")


class InstallationOut(Output):
    id: str
    device_id: str
    vehicle_id: str
    installed_at: datetime
    installed_by: str
    installer: str | None
    address: str | None
    latitude: float | None
    longitude: float | None
    photos: list[str]
    removed_at: datetime | None
    removed_by: str | None
    removal_reason: str | None


class InstallationList(Output):
    items: list[InstallationOut]


@router.post("/vehicles/{vehicle_id}/installations", response_model=InstallationOut,
             status_code=status.HTTP_201_CREATED)
def install(vehicle_id: str, body: InstallationIn, uow: UoW,
            principal: Principal = require(INSTALL)) -> InstallationOut:
    """Put a device on the vehicle (one not installed elsewhere)."""
    row = svc.install(uow, principal, vehicle_id, svc.Fitting(**body.model_dump()))
    uow.commit()
    return InstallationOut.model_validate(row)


@router.get("/vehicles/{vehicle_id}/installations", response_model=InstallationList)
def installation_history(vehicle_id: str, uow: UoW,
                         principal: Principal = require(VEHICLES_READ)) -> InstallationList:
    rows: Sequence[DeviceInstallation] = svc.installations(uow, principal, vehicle_id)
    return InstallationList(items=[InstallationOut.model_validate(r) for r in rows])


@router.post("/installations/{installation_id}/removal", response_model=InstallationOut)
def remove(installation_id: str, body: RemovalIn, uow: UoW,
           principal: Principal = require(INSTALL)) -> InstallationOut:
    """Take the device off its vehicle, with the reason."""
    row = svc.remove(uow, principal, installation_id, reason=body.reason,
                     removed_at=body.removed_at)
    uow.commit()
    return InstallationOut.model_validate(row)


# --- live state ------------------------------------------------------------------------------


class DeviceLink(Output):
    device_id: str
    status: str
    last_seen: datetime | None
    fix_time: datetime | None


class LiveOut(Output):
    vehicle_id: str
    vin: str
    plate: str | None
    org_unit_id: str
    status: str
    last_seen: datetime | None
    device_id: str | None = Field(description="the device whose fix is shown")
    fix_time: datetime | None = None
    latitude: float | None = None
    longitude: float | None = None
    speed_kmh: float | None = None
    course: float | None = None
    valid: bool | None = None
    satellites: int | None = None
    acc: bool | None = None
    external_power: bool | None = None
    power_voltage: float | None = None
    battery_level: int | None = None
    battery_voltage: float | None = None
    signal: int | None = None
    odometer_m: int | None = None
    engine_cut: bool | None = None
    alarm: str | None = None
    alarm_at: datetime | None = None
    devices: list[DeviceLink]


class LivePage(Output):
    items: list[LiveOut]
    next: str | None


_LIVE_FIELDS = ("fix_time", "latitude", "longitude", "speed_kmh", "course", "valid",
                "satellites", "acc", "external_power", "power_voltage", "battery_level",
                "battery_voltage", "signal", "odometer_m", "engine_cut", "alarm", "alarm_at")


def live_out(live: tracking.VehicleLive) -> LiveOut:
    lead: DeviceState | None = live.leading
    seen = [s.last_seen for _, s in live.devices if s is not None and s.last_seen is not None]
    fields: dict[str, Any] = {f: getattr(lead, f) for f in _LIVE_FIELDS} if lead else {}
    v = live.vehicle
    return LiveOut(
        vehicle_id=v.id, vin=v.vin, plate=v.plate, org_unit_id=v.org_unit_id,
        status=live.status, last_seen=max(seen) if seen else None,
        device_id=lead.device_id if lead else None, **fields,
        devices=[DeviceLink(device_id=d, status=s.status if s else "unknown",
                            last_seen=s.last_seen if s else None,
                            fix_time=s.fix_time if s else None) for d, s in live.devices])


@router.get("/live", response_model=LivePage)
def live(
    uow: UoW,
    principal: Principal = require(POSITIONS_READ),
    org_unit: Annotated[Code | None, Query(description="org unit code")] = None,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    after: Annotated[str | None, Query(max_length=26)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> LivePage:
    """Every vehicle you may watch, with the newest fix of its devices."""
    rows = tracking.live_vehicles(uow, principal, org_unit=org_unit, status=status_, after=after,
                             limit=limit)
    page = rows[:limit]
    return LivePage(items=[live_out(x) for x in page],
                    next=page[-1].vehicle.id if len(rows) > limit else None)


@router.get("/vehicles/{vehicle_id}/live", response_model=LiveOut)
def vehicle_live(vehicle_id: str, uow: UoW,
                 principal: Principal = require(POSITIONS_READ)) -> LiveOut:
    return live_out(tracking.vehicle_live(uow, principal, vehicle_id))


# --- positions -------------------------------------------------------------------------------


class PositionOut(Output):
    fix_time: datetime
    latitude: float
    longitude: float
    altitude: float | None
    speed_kmh: float
    course: float | None
    valid: bool
    archived: bool
    attributes: dict[str, Any]
    device_id: str
    received_at: datetime


class PositionPage(Output):
    items: list[PositionOut]
    next: str | None


From = Annotated[datetime, Query(alias="from", description="ISO 8601; no zone means UTC")]
To = Annotated[datetime, Query(alias="to", description="ISO 8601, excluded; at most 31 days "
                                                       "after `from`")]
Limit = Annotated[int, Query(ge=1, le=5000)]


def _positions_page(rows: Sequence[StoredPosition], limit: int) -> PositionPage:
    page = rows[:limit]
    more = len(rows) > limit
    return PositionPage(items=[PositionOut.model_validate(p) for p in page],
                        next=svc.encode_cursor(page[-1].fix_time, page[-1].device_id)
                        if more else None)


@router.get("/devices/{device_id}/positions", response_model=PositionPage)
def device_positions(device_id: str, start: From, end: To, uow: UoW,
                     principal: Principal = require(POSITIONS_READ), after: Cursor = None,
                     limit: Limit = 500) -> PositionPage:
    """A device's fixes in [from, to), oldest first, keyset-paged."""
    rows = tracking.device_positions(uow, principal, device_id, start, end, after=after,
                                     limit=limit)
    return _positions_page(rows, limit)


@router.get("/vehicles/{vehicle_id}/positions", response_model=PositionPage)
def vehicle_positions(vehicle_id: str, start: From, end: To, uow: UoW,
                      principal: Principal = require(POSITIONS_READ), after: Cursor = None,
                      limit: Limit = 500) -> PositionPage:
    """The vehicle's fixes from every device it carried, in [from, to), oldest first."""
    rows = tracking.vehicle_positions(uow, principal, vehicle_id, start, end, after=after,
                                 limit=limit)
    return _positions_page(rows, limit)
