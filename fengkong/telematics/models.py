"""Tables of the telematics context: vehicles, devices, installations, pending identifiers,
positions and the live state of each device.

Choices, stated once:
- A device's connection status and last-seen time live in `device_states` next to its last
  fix, not on `devices`: the state row is the one written on every batch, so the registry row
  stays cold and a batch costs one upsert instead of an upsert and an update.
- A vehicle's live state is not stored: it is the state of whichever of its installed devices
  has the newest fix (`device_service.vehicle_live`).
- `positions` carries no foreign keys (a check per row on the hottest write path); the store
  writes only ids it has just read. On PostgreSQL the table is partitioned by month on
  `fix_time` (see migration 0007 and `position_store.ensure_partitions`), which is why the
  primary key includes `fix_time`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from fengkong.core.db import Base, IdColumn


class Vehicle(Base):
    __tablename__ = "vehicles"
    __table_args__ = (
        UniqueConstraint("tenant_id", "vin", name="uq_vehicles_tenant_vin"),
        Index("ix_vehicles_tenant_unit", "tenant_id", "org_unit_id"),
    )

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    org_unit_id: Mapped[str] = mapped_column(ForeignKey("org_units.id"))
    vin: Mapped[str] = mapped_column(String(17))
    plate: Mapped[str | None] = mapped_column(String(20))
    make: Mapped[str | None] = mapped_column(String(60))
    model: Mapped[str | None] = mapped_column(String(60))
    colour: Mapped[str | None] = mapped_column(String(30))
    purchase_price_fen: Mapped[int | None]
    # The loan the car secures. A reference only: telematics does not read the loans tables.
    loan_id: Mapped[str | None] = mapped_column(IdColumn)
    created_at: Mapped[datetime]


class Device(Base):
    __tablename__ = "devices"
    __table_args__ = (
        UniqueConstraint("protocol", "identifier", name="uq_devices_protocol_identifier"),
        Index("ix_devices_tenant_unit", "tenant_id", "org_unit_id"),
    )

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    org_unit_id: Mapped[str] = mapped_column(ForeignKey("org_units.id"))
    protocol: Mapped[str] = mapped_column(String(10))
    identifier: Mapped[str] = mapped_column(String(20))  # IMEI, or terminal phone sans zeros
    model: Mapped[str | None] = mapped_column(String(40))
    sim_iccid: Mapped[str | None] = mapped_column(String(22))
    sim_phone: Mapped[str | None] = mapped_column(String(20))
    kind: Mapped[str | None] = mapped_column(String(10))  # wired | wireless
    firmware: Mapped[str | None] = mapped_column(String(60))
    accept_bad_crc: Mapped[bool] = mapped_column(Boolean, default=False)
    timezone: Mapped[str | None] = mapped_column(String(60))
    auth_code: Mapped[str | None] = mapped_column(String(40))  # JT/T 808, issued at 0x0100
    created_at: Mapped[datetime]


class DeviceInstallation(Base):
    """A device on a vehicle from `installed_at` until `removed_at`. A device is on at most
    one vehicle at a time: the partial unique index enforces it even under a race."""

    __tablename__ = "device_installations"
    __table_args__ = (
        Index("ix_device_installations_vehicle", "vehicle_id", "installed_at"),
        Index("uq_device_installations_active_device", "device_id", unique=True,
              sqlite_where=text("removed_at IS NULL"),
              postgresql_where=text("removed_at IS NULL")),
    )

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"))
    vehicle_id: Mapped[str] = mapped_column(ForeignKey("vehicles.id"))
    installed_at: Mapped[datetime]
    installed_by: Mapped[str] = mapped_column(IdColumn)  # the acting user or API key
    installer: Mapped[str | None] = mapped_column(String(120))  # who fitted it, as told
    address: Mapped[str | None] = mapped_column(String(300))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    photos: Mapped[list[str]] = mapped_column(JSON)  # references into a file store
    removed_at: Mapped[datetime | None]
    removed_by: Mapped[str | None] = mapped_column(IdColumn)
    removal_reason: Mapped[str | None] = mapped_column(String(300))


class PendingDevice(Base):
    """An identifier that spoke to a listener without being registered. Platform-wide: until
    it is registered nobody knows whose tracker it is."""

    __tablename__ = "pending_devices"
    __table_args__ = (
        UniqueConstraint("protocol", "identifier", name="uq_pending_devices_protocol_identifier"),
    )

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    protocol: Mapped[str] = mapped_column(String(10))
    identifier: Mapped[str] = mapped_column(String(20))
    count: Mapped[int]
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    last_remote: Mapped[str | None] = mapped_column(String(64))


class DeviceState(Base):
    """The live state of one device: its newest fix, its latest status readings and its
    connection. Written by the position store only, and only forward in fix time."""

    __tablename__ = "device_states"
    __table_args__ = (Index("ix_device_states_tenant_status", "tenant_id", "status"),)

    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    status: Mapped[str] = mapped_column(String(10))  # online | offline | unknown
    last_seen: Mapped[datetime | None]
    fix_time: Mapped[datetime | None]
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    speed_kmh: Mapped[float | None] = mapped_column(Float)
    course: Mapped[float | None] = mapped_column(Float)
    valid: Mapped[bool | None] = mapped_column(Boolean)
    satellites: Mapped[int | None]
    position_id: Mapped[str | None] = mapped_column(IdColumn)
    acc: Mapped[bool | None] = mapped_column(Boolean)
    external_power: Mapped[bool | None] = mapped_column(Boolean)
    power_voltage: Mapped[float | None] = mapped_column(Float)
    battery_level: Mapped[int | None]
    battery_voltage: Mapped[float | None] = mapped_column(Float)
    signal: Mapped[int | None]
    odometer_m: Mapped[int | None]
    engine_cut: Mapped[bool | None] = mapped_column(Boolean)
    alarm: Mapped[str | None] = mapped_column(String(200))
    alarm_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class StoredPosition(Base):
    """A stored fix. `archived` marks history: a fix older than the device's live fix when it
    arrived, or one the device flagged as re-uploaded (blind area, buffered)."""

    __tablename__ = "positions"
    __table_args__ = (
        UniqueConstraint("device_id", "fix_time", name="uq_positions_device_fix_time"),
        Index("ix_positions_vehicle_fix_time", "vehicle_id", "fix_time"),
    )

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    fix_time: Mapped[datetime] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(IdColumn)
    device_id: Mapped[str] = mapped_column(IdColumn)
    vehicle_id: Mapped[str | None] = mapped_column(IdColumn)
    received_at: Mapped[datetime]
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    altitude: Mapped[float | None] = mapped_column(Float)
    speed_kmh: Mapped[float] = mapped_column(Float)
    course: Mapped[float | None] = mapped_column(Float)
    valid: Mapped[bool] = mapped_column(Boolean)
    archived: Mapped[bool] = mapped_column(Boolean)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON)
