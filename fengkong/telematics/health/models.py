"""Tables of device health: what the analyzers remember per device, and installation checks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from fengkong.core.db import Base, IdColumn


class DeviceHealth(Base):
    """The analyzers' memory of one device: the conditions raised and not yet cleared, the
    newest observation judged (older ones are history and raise nothing), the last ICCID,
    the run of identical fixes and the run of reports without a fix."""

    __tablename__ = "device_health"

    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    active: Mapped[list[str]] = mapped_column(JSON)
    judged_at: Mapped[datetime | None]
    iccid: Mapped[str | None] = mapped_column(String(22))
    same_latitude: Mapped[float | None] = mapped_column(Float)
    same_longitude: Mapped[float | None] = mapped_column(Float)
    same_since: Mapped[datetime | None]
    same_count: Mapped[int]
    nofix_since: Mapped[datetime | None]
    nofix_cells: Mapped[list[str]] = mapped_column(JSON)
    updated_at: Mapped[datetime]


class InstallationCheck(Base):
    """One check of a vehicle's devices after an installation: pending until every device
    passes or the time limit runs out; the reasons of each device that did not pass."""

    __tablename__ = "installation_checks"
    __table_args__ = (
        Index("ix_installation_checks_vehicle", "vehicle_id", "id"),
        Index("ix_installation_checks_pending", "state", "deadline"),
    )

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    org_unit_id: Mapped[str] = mapped_column(ForeignKey("org_units.id"))
    vehicle_id: Mapped[str] = mapped_column(ForeignKey("vehicles.id"))
    installation_id: Mapped[str] = mapped_column(ForeignKey("device_installations.id"))
    state: Mapped[str] = mapped_column(String(10))  # pending | passed | failed
    started_at: Mapped[datetime]
    deadline: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
