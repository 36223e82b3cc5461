"""Tables of GPS analytics: geofences and risk areas with their assignments, the stored fence
state of each vehicle, the places each vehicle frequents, and each vehicle's analytics state
(watermark, home, standing signals, risk score).

Choices, stated once:
- A geofence and a risk area are one table: a risk area is a forbidden fence with a category
  and a dwell time, applied to the whole tenant. Geometry is GeoJSON in WGS-84 (a circle is a
  Point with `radius_m`), so what goes in comes back out unchanged.
- `org_unit_id` of a fence is its owner's unit (who sees and edits it); where it applies is
  in `geofence_assignments` (vehicles, units: a unit means its subtree) or `applies_to_all`.
- Fence state is stored per (vehicle, fence), so that a restart resumes without alarming
  again; a vehicle's `watermark` is its newest fix the analytics have taken in: anything at
  or before it (re-uploaded history, out-of-order fixes) never moves the live state.
- Stops and trips are not stored: they are derived from positions on request (the same rule
  the live path uses), so archived history that arrives later is in them at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from fengkong.core.db import Base, IdColumn


class Geofence(Base):
    __tablename__ = "geofences"
    __table_args__ = (
        Index("ix_geofences_tenant_risk", "tenant_id", "is_risk_area"),
        Index("ix_geofences_tenant_unit", "tenant_id", "org_unit_id"),
    )

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    org_unit_id: Mapped[str] = mapped_column(ForeignKey("org_units.id"))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))            # allowed | forbidden
    is_risk_area: Mapped[bool] = mapped_column(Boolean)
    category: Mapped[str | None] = mapped_column(String(30))  # risk areas: see CATEGORIES
    geometry: Mapped[dict[str, Any]] = mapped_column(JSON)   # GeoJSON, WGS-84
    radius_m: Mapped[float | None] = mapped_column(Float)
    dwell_s: Mapped[int]
    applies_to_all: Mapped[bool] = mapped_column(Boolean)
    external_ref: Mapped[str | None] = mapped_column(String(100))  # id in an imported file
    created_by: Mapped[str] = mapped_column(IdColumn)
    created_at: Mapped[datetime]


class GeofenceAssignment(Base):
    __tablename__ = "geofence_assignments"
    __table_args__ = (
        Index("ix_geofence_assignments_fence", "geofence_id"),
        Index("ix_geofence_assignments_vehicle", "vehicle_id"),
    )

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    geofence_id: Mapped[str] = mapped_column(ForeignKey("geofences.id", ondelete="CASCADE"))
    vehicle_id: Mapped[str | None] = mapped_column(ForeignKey("vehicles.id"))
    unit_id: Mapped[str | None] = mapped_column(ForeignKey("org_units.id"))


class FenceState(Base):
    __tablename__ = "geofence_states"

    vehicle_id: Mapped[str] = mapped_column(ForeignKey("vehicles.id"), primary_key=True)
    geofence_id: Mapped[str] = mapped_column(ForeignKey("geofences.id", ondelete="CASCADE"),
                                             primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    inside: Mapped[bool] = mapped_column(Boolean)
    run_zone: Mapped[int]
    run_len: Mapped[int]
    since: Mapped[datetime | None]
    dwelt: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime]


class VehiclePlace(Base):
    __tablename__ = "vehicle_places"
    __table_args__ = (Index("ix_vehicle_places_vehicle", "vehicle_id"),)

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    vehicle_id: Mapped[str] = mapped_column(ForeignKey("vehicles.id"))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    label: Mapped[str | None] = mapped_column(String(10))   # home | work
    visits: Mapped[int]
    nights: Mapped[int]
    weekday_hours: Mapped[float] = mapped_column(Float)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    updated_at: Mapped[datetime]


class VehicleAnalytics(Base):
    __tablename__ = "vehicle_analytics"

    vehicle_id: Mapped[str] = mapped_column(ForeignKey("vehicles.id"), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    watermark: Mapped[datetime | None]
    last_fix: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    home_latitude: Mapped[float | None] = mapped_column(Float)
    home_longitude: Mapped[float | None] = mapped_column(Float)
    # signal states kept between batches: {"leftHomeCity": true, ...}
    flags: Mapped[dict[str, Any]] = mapped_column(JSON)
    # dedup key -> {"signal", "text", "at"} of every signal standing now
    active: Mapped[dict[str, Any]] = mapped_column(JSON)
    risk_score: Mapped[int]
    risk_reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    places_at: Mapped[datetime | None]   # when places and home were last inferred
    updated_at: Mapped[datetime]
