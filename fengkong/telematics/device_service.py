"""Use cases of the tracker registry: vehicles, devices, installations and pending identifiers,
and the reads of live state and position history that go with them.

Reads of live state and position history are in `tracking`.

Every use case takes a unit of work and the acting principal, checks the permission, loads
through `scoped()` (an object out of reach answers 404 like a missing one), writes, appends the
audit record and emits its event; none of them commits.

Org units are named by their code in requests (what an installer knows), checked against the
caller's reach for the permission in use.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, and_, or_, select

from fengkong.core import audit_service as audit
from fengkong.core.errors import Conflict, InvalidInput, NotFound
from fengkong.core.ids import new_id
from fengkong.core.money import parse_amount, to_minor
from fengkong.core.uow import UnitOfWork
from fengkong.org.models import OrgUnit
from fengkong.org.scoping import Principal, reaches_unit, scoped
from fengkong.telematics import directory, vin
from fengkong.telematics.models import (
    Device,
    DeviceInstallation,
    DeviceState,
    PendingDevice,
    Vehicle,
)
from fengkong.telematics.permissions import (
    DEVICES_MANAGE,
    DEVICES_READ,
    INSTALL,
    VEHICLES_MANAGE,
    VEHICLES_READ,
)
from fengkong.telematics.protocols.crc import luhn

DEVICE_FIELDS = ("model", "sim_iccid", "sim_phone", "kind", "firmware", "accept_bad_crc",
                 "timezone")
VEHICLE_FIELDS = ("vin", "plate", "make", "model", "colour", "purchase_price", "loan_id")


# --- shared checks ---------------------------------------------------------------------------


def unit_by_code(uow: UnitOfWork, principal: Principal, code: str, permission: str,
                 field: str = "org_unit") -> OrgUnit:
    """The caller's unit named `code`; unknown and out-of-reach read the same."""
    unit = uow.session.scalar(select(OrgUnit).where(OrgUnit.tenant_id == principal.tenant_id,
                                                    OrgUnit.code == code))
    if unit is None or not reaches_unit(principal, permission, unit):
        raise InvalidInput(f"no org unit {code} that you may use", code="unknown_reference",
                           field=field)
    return unit


def unit_codes(uow: UnitOfWork, unit_ids: Sequence[str]) -> dict[str, str]:
    """Unit id -> code, for answers that name units the way requests do."""
    if not unit_ids:
        return {}
    return dict(uow.session.execute(select(OrgUnit.id, OrgUnit.code).where(
        OrgUnit.id.in_(set(unit_ids)))).all())


def check_identifier(protocol: str, identifier: str) -> str:
    """The identifier in stored form, or InvalidInput: a GT06 IMEI is 15 digits with a valid
    Luhn check digit; a JT/T 808 terminal phone is up to 20 digits (12 under the 2013 header,
    20 under 2019; leading zeros are padding)."""
    if protocol not in directory.PROTOCOLS:
        raise InvalidInput(f"unknown protocol {protocol!r}", code="unknown_protocol",
                           field="protocol")
    raw = identifier.strip()
    if protocol == "gt06":
        if len(raw) != 15 or not raw.isdigit() or luhn(int(raw[:-1])) != int(raw[-1]):
            raise InvalidInput("an IMEI is 15 digits ending in its Luhn check digit",
                               code="invalid_imei", field="identifier")
    elif not raw.isdigit() or len(raw) > 20 or not raw.strip("0"):
        raise InvalidInput("a terminal phone is up to 20 digits", code="invalid_terminal_phone",
                           field="identifier")
    return directory.canonical_identifier(protocol, raw)


def _check_timezone(name: str | None) -> None:
    if name is None:
        return
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"unknown time zone {name!r}", code="unknown_timezone",
                           field="timezone") from None


def _check_vin(value: str | None) -> str:
    if value is None:
        raise InvalidInput("a vehicle keeps its VIN", code="required", field="vin")
    normal = vin.normalise(value)
    problem = vin.problem(normal)
    if problem is vin.VinProblem.CHECK_DIGIT:
        raise InvalidInput(f"the check digit of {normal} should be {vin.check_digit(normal)}",
                           code="bad_check_digit", field="vin")
    if problem is not None:
        raise InvalidInput("a VIN is 17 characters: digits and letters except I, O and Q",
                           code="invalid_vin", field="vin")
    return normal


def _not_in_future(uow: UnitOfWork, at: datetime, field: str) -> datetime:
    at = as_utc(at)
    if at > uow.clock.now():
        raise InvalidInput(f"{field} is in the future", code="in_future", field=field)
    return at


def as_utc(at: datetime) -> datetime:
    """Times without a zone are taken as UTC."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


# --- vehicles --------------------------------------------------------------------------------


def create_vehicle(uow: UnitOfWork, principal: Principal, *, vin: str, org_unit: str,
                   **details: Any) -> Vehicle:
    principal.scope_for(VEHICLES_MANAGE)
    unit = unit_by_code(uow, principal, org_unit, VEHICLES_MANAGE)
    vehicle = Vehicle(id=new_id(), tenant_id=principal.tenant_id, org_unit_id=unit.id,
                      vin="", created_at=uow.clock.now())
    changes = _apply_vehicle(uow, principal, vehicle, {"vin": vin, **details})
    uow.session.add(vehicle)
    uow.session.flush()
    audit.record(uow, principal, "vehicle.created", entity_type="vehicle", entity_id=vehicle.id,
                 changes={**changes, "org_unit": org_unit})
    uow.emit("vehicle.created", vehicle.tenant_id, vehicle_id=vehicle.id,
             org_unit_id=vehicle.org_unit_id, loan_id=vehicle.loan_id)
    return vehicle


def update_vehicle(uow: UnitOfWork, principal: Principal, vehicle_id: str,
                   changes: Mapping[str, Any]) -> Vehicle:
    vehicle = get_vehicle(uow, principal, vehicle_id, VEHICLES_MANAGE)
    changes = dict(changes)
    recorded = _apply_vehicle(uow, principal, vehicle, changes)
    if "org_unit" in changes:
        vehicle.org_unit_id = unit_by_code(uow, principal, changes["org_unit"],
                                           VEHICLES_MANAGE).id
        recorded["org_unit"] = changes["org_unit"]
    uow.session.flush()
    audit.record(uow, principal, "vehicle.changed", entity_type="vehicle", entity_id=vehicle.id,
                 changes=recorded)
    uow.emit("vehicle.changed", vehicle.tenant_id, vehicle_id=vehicle.id,
             org_unit_id=vehicle.org_unit_id, loan_id=vehicle.loan_id)
    return vehicle


def _apply_vehicle(uow: UnitOfWork, principal: Principal, vehicle: Vehicle,
                   changes: Mapping[str, Any]) -> dict[str, Any]:
    """Set the given vehicle fields after checking them; what changed, for the audit."""
    recorded = {k: v for k, v in changes.items() if k in VEHICLE_FIELDS}
    if "vin" in changes:
        number = _check_vin(changes["vin"])
        if number != vehicle.vin and uow.session.scalar(select(Vehicle.id).where(
                Vehicle.tenant_id == principal.tenant_id, Vehicle.vin == number)):
            raise Conflict(f"a vehicle with VIN {number} exists", code="duplicate_vin",
                           field="vin")
        vehicle.vin = recorded["vin"] = number
    if "purchase_price" in changes:
        price = changes["purchase_price"]
        vehicle.purchase_price_fen = (None if price is None else
                                      to_minor(parse_amount(price, field="purchase_price")))
        recorded["purchase_price"] = None if price is None else str(price)
    for name in ("plate", "make", "model", "colour", "loan_id"):
        if name in changes:
            setattr(vehicle, name, changes[name])
    return recorded


def get_vehicle(uow: UnitOfWork, principal: Principal, vehicle_id: str,
                permission: str = VEHICLES_READ) -> Vehicle:
    vehicle = uow.session.scalar(scoped(select(Vehicle), Vehicle, principal, permission)
                                 .where(Vehicle.id == vehicle_id))
    if vehicle is None:
        raise NotFound("vehicle", vehicle_id)
    return vehicle


def list_vehicles(uow: UnitOfWork, principal: Principal, *, org_unit: str | None = None,
                  after: str | None = None, limit: int = 50) -> Sequence[Vehicle]:
    stmt = scoped(select(Vehicle), Vehicle, principal, VEHICLES_READ)
    stmt = keyset_page(in_unit(uow, principal, stmt, Vehicle, org_unit, VEHICLES_READ),
                 Vehicle.id, after, limit)
    return uow.session.scalars(stmt).all()


def in_unit(uow: UnitOfWork, principal: Principal, stmt: Select[Any], model: Any,
             org_unit: str | None, permission: str) -> Select[Any]:
    """`stmt` kept to the subtree of the unit coded `org_unit` (a region means its branches)."""
    if org_unit is None:
        return stmt
    unit = unit_by_code(uow, principal, org_unit, permission)
    return stmt.where(model.org_unit_id.in_(select(OrgUnit.id).where(
        OrgUnit.tenant_id == unit.tenant_id,
        OrgUnit.path.startswith(unit.path, autoescape=True))))


def keyset_page(stmt: Select[Any], column: Any, after: str | None, limit: int) -> Select[Any]:
    """`limit` + 1 rows after `after` in `column` order: the extra one says a next page exists."""
    if after:
        stmt = stmt.where(column > after)
    return stmt.order_by(column).limit(limit + 1)


# --- devices ---------------------------------------------------------------------------------


def register_device(uow: UnitOfWork, principal: Principal, *, identifier: str, protocol: str,
                    org_unit: str, **details: Any) -> Device:
    """A tracker joins the registry; if it has been speaking already it stops being pending,
    and the gateway knows it from its next frame."""
    principal.scope_for(DEVICES_MANAGE)
    stored = check_identifier(protocol, identifier)
    unit = unit_by_code(uow, principal, org_unit, DEVICES_MANAGE)
    if uow.session.scalar(select(Device.id).where(Device.protocol == protocol,
                                                  Device.identifier == stored)):
        raise Conflict(f"{protocol} device {stored} is registered already",
                       code="duplicate_identifier", field="identifier")
    device = Device(id=new_id(), tenant_id=principal.tenant_id, org_unit_id=unit.id,
                    protocol=protocol, identifier=stored, accept_bad_crc=False,
                    created_at=uow.clock.now())
    recorded = _apply_device(device, details)
    uow.session.add(device)
    uow.session.flush()
    directory.forget_pending(uow.session, protocol, stored)
    audit.record(uow, principal, "device.registered", entity_type="device", entity_id=device.id,
                 changes={"identifier": stored, "protocol": protocol, "org_unit": org_unit,
                          **recorded})
    uow.emit("device.registered", device.tenant_id, device_id=device.id, protocol=protocol,
             identifier=stored, org_unit_id=unit.id)
    return device


def register_pending(uow: UnitOfWork, principal: Principal, identifier: str, *,
                     org_unit: str, protocol: str | None = None, **details: Any) -> Device:
    """Register an identifier from the pending list in one step: its protocol is known from
    the frames it sent (name it only when it spoke both protocols)."""
    principal.scope_for(DEVICES_MANAGE)
    candidates = uow.session.scalars(select(PendingDevice).where(or_(*(
        and_(PendingDevice.protocol == p,
             PendingDevice.identifier == directory.canonical_identifier(p, identifier))
        for p in directory.PROTOCOLS if protocol in (None, p))))).all()
    if not candidates:
        raise NotFound("pending device", identifier)
    if len(candidates) > 1:
        raise InvalidInput("this identifier spoke both protocols: name one",
                           code="ambiguous_protocol", field="protocol")
    pending = candidates[0]
    return register_device(uow, principal, identifier=pending.identifier,
                           protocol=pending.protocol, org_unit=org_unit, **details)


def update_device(uow: UnitOfWork, principal: Principal, device_id: str,
                  changes: Mapping[str, Any]) -> Device:
    device = get_device(uow, principal, device_id, DEVICES_MANAGE)
    recorded = _apply_device(device, changes)
    if "org_unit" in changes:
        device.org_unit_id = unit_by_code(uow, principal, changes["org_unit"],
                                          DEVICES_MANAGE).id
        recorded["org_unit"] = changes["org_unit"]
    uow.session.flush()
    audit.record(uow, principal, "device.changed", entity_type="device", entity_id=device.id,
                 changes=recorded)
    uow.emit("device.changed", device.tenant_id, device_id=device.id,
             org_unit_id=device.org_unit_id)
    return device


def _apply_device(device: Device, changes: Mapping[str, Any]) -> dict[str, Any]:
    recorded = {k: v for k, v in changes.items() if k in DEVICE_FIELDS}
    _check_timezone(recorded.get("timezone"))
    if recorded.get("accept_bad_crc") is None:
        recorded.pop("accept_bad_crc", None)
    for name, value in recorded.items():
        setattr(device, name, value)
    return recorded


def get_device(uow: UnitOfWork, principal: Principal, device_id: str,
               permission: str = DEVICES_READ) -> Device:
    device = uow.session.scalar(scoped(select(Device), Device, principal, permission)
                                .where(Device.id == device_id))
    if device is None:
        raise NotFound("device", device_id)
    return device


def list_devices(uow: UnitOfWork, principal: Principal, *, org_unit: str | None = None,
                 status: str | None = None, after: str | None = None,
                 limit: int = 50) -> Sequence[Device]:
    stmt = scoped(select(Device), Device, principal, DEVICES_READ)
    stmt = in_unit(uow, principal, stmt, Device, org_unit, DEVICES_READ)
    if status is not None:
        stmt = stmt.outerjoin(DeviceState, DeviceState.device_id == Device.id)
        stmt = stmt.where(DeviceState.status == status if status != "unknown" else
                          or_(DeviceState.status.is_(None), DeviceState.status == "unknown"))
    return uow.session.scalars(keyset_page(stmt, Device.id, after, limit)).all()


def states_of(uow: UnitOfWork, device_ids: Sequence[str]) -> dict[str, DeviceState]:
    """The live state rows of these devices (none for a device that never spoke)."""
    if not device_ids:
        return {}
    rows = uow.session.scalars(select(DeviceState).where(DeviceState.device_id.in_(device_ids)))
    return {s.device_id: s for s in rows}


def vehicles_carrying(uow: UnitOfWork, device_ids: Sequence[str]) -> dict[str, str]:
    """Device id -> the vehicle it is installed on now."""
    if not device_ids:
        return {}
    return dict(uow.session.execute(select(
        DeviceInstallation.device_id, DeviceInstallation.vehicle_id).where(
        DeviceInstallation.device_id.in_(device_ids),
        DeviceInstallation.removed_at.is_(None))).all())


def list_pending(uow: UnitOfWork, principal: Principal, *, after: str | None = None,
                 limit: int = 100) -> Sequence[PendingDevice]:
    """Identifiers heard but not registered, most recently heard first. Platform-wide: the
    tenant of an unregistered tracker is unknown, so anyone who may register trackers sees
    them (identifiers and times only, not where they connected from)."""
    principal.scope_for(DEVICES_MANAGE)
    stmt = select(PendingDevice)
    if after:
        at, last_id = decode_cursor(after)
        stmt = stmt.where(or_(PendingDevice.last_seen < at,
                              and_(PendingDevice.last_seen == at, PendingDevice.id > last_id)))
    stmt = stmt.order_by(PendingDevice.last_seen.desc(), PendingDevice.id).limit(limit + 1)
    return uow.session.scalars(stmt).all()


# --- installations ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Fitting:
    """What an installer reports about one installation."""

    device_id: str
    installed_at: datetime | None = None
    installer: str | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    photos: Sequence[str] = field(default_factory=tuple)


def install(uow: UnitOfWork, principal: Principal, vehicle_id: str,
            fitting: Fitting) -> DeviceInstallation:
    """Put a device on a vehicle. A device is on one vehicle at a time: one still installed
    elsewhere must be removed first (a unique index holds this against races too)."""
    vehicle = get_vehicle(uow, principal, vehicle_id, INSTALL)
    device = uow.session.scalar(scoped(select(Device), Device, principal, INSTALL)
                                .where(Device.id == fitting.device_id))
    if device is None:
        raise InvalidInput(f"no device {fitting.device_id} that you may install",
                           code="unknown_reference", field="device_id")
    if (fitting.latitude is None) != (fitting.longitude is None):
        raise InvalidInput("give both latitude and longitude, or neither",
                           code="incomplete_position", field="longitude")
    at = _not_in_future(uow, fitting.installed_at or uow.clock.now(), "installed_at")
    if vehicles_carrying(uow, [device.id]).get(device.id) is not None:
        raise Conflict("the device is installed on a vehicle: remove it first",
                       code="device_installed", field="device_id")
    row = DeviceInstallation(
        id=new_id(), tenant_id=principal.tenant_id, device_id=device.id, vehicle_id=vehicle.id,
        installed_at=at, installed_by=principal.actor_id, installer=fitting.installer,
        address=fitting.address, latitude=fitting.latitude, longitude=fitting.longitude,
        photos=list(fitting.photos))
    uow.session.add(row)
    uow.session.flush()
    audit.record(uow, principal, "device.installed", entity_type="device_installation",
                 entity_id=row.id, changes={"device_id": device.id, "vehicle_id": vehicle.id,
                                            "installed_at": at.isoformat(),
                                            "installer": fitting.installer,
                                            "address": fitting.address,
                                            "photos": list(fitting.photos)})
    uow.emit("device.installed", row.tenant_id, installation_id=row.id, device_id=device.id,
             vehicle_id=vehicle.id, installed_at=at.isoformat())
    return row


def remove(uow: UnitOfWork, principal: Principal, installation_id: str, *,
           reason: str, removed_at: datetime | None = None) -> DeviceInstallation:
    row = get_installation(uow, principal, installation_id, INSTALL)
    if row.removed_at is not None:
        raise Conflict("the device was removed already", code="already_removed",
                       field="removed_at")
    at = _not_in_future(uow, removed_at or uow.clock.now(), "removed_at")
    if at < row.installed_at:
        raise InvalidInput("a device is removed after it was installed",
                           code="before_installation", field="removed_at")
    row.removed_at, row.removed_by, row.removal_reason = at, principal.actor_id, reason
    uow.session.flush()
    audit.record(uow, principal, "device.removed", entity_type="device_installation",
                 entity_id=row.id, changes={"device_id": row.device_id,
                                            "vehicle_id": row.vehicle_id,
                                            "removed_at": at.isoformat(), "reason": reason})
    uow.emit("device.removed", row.tenant_id, installation_id=row.id, device_id=row.device_id,
             vehicle_id=row.vehicle_id, removed_at=at.isoformat())
    return row


def get_installation(uow: UnitOfWork, principal: Principal, installation_id: str,
                     permission: str = VEHICLES_READ) -> DeviceInstallation:
    """An installation, reached through its vehicle's unit."""
    stmt = scoped(select(DeviceInstallation).join(
        Vehicle, Vehicle.id == DeviceInstallation.vehicle_id), Vehicle, principal, permission)
    row = uow.session.scalar(stmt.where(DeviceInstallation.id == installation_id))
    if row is None:
        raise NotFound("installation", installation_id)
    return row


def installations(uow: UnitOfWork, principal: Principal,
                  vehicle_id: str) -> Sequence[DeviceInstallation]:
    """A vehicle's installation history, newest first."""
    vehicle = get_vehicle(uow, principal, vehicle_id)
    return uow.session.scalars(select(DeviceInstallation).where(
        DeviceInstallation.vehicle_id == vehicle.id).order_by(
        DeviceInstallation.installed_at.desc(), DeviceInstallation.id.desc())).all()


# --- cursors ---------------------------------------------------------------------------------


def encode_cursor(at: datetime, key: str) -> str:
    """An opaque keyset cursor: a time and an id."""
    return base64.urlsafe_b64encode(f"{as_utc(at).isoformat()}|{key}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        at, key = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return as_utc(datetime.fromisoformat(at)), key
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput("not a cursor this API gave out", code="bad_cursor",
                           field="after") from None
