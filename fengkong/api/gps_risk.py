"""Routes of GPS analytics: geofences and risk areas, a vehicle's stops, trips, mileage,
places, trajectory, navigation links and risk score. Times are UTC, ISO 8601; geometry is
GeoJSON in WGS-84."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import Field

from fengkong.api.deps import UoW, require
from fengkong.api.schemas import Code, Id, Input, Output
from fengkong.org.scoping import Principal
from fengkong.telematics.analytics import geofence_service as fences
from fengkong.telematics.analytics import track_service as tracks
from fengkong.telematics.analytics.models import Geofence
from fengkong.telematics.analytics.permissions import GEOFENCES_MANAGE, GEOFENCES_READ, RISK_READ
from fengkong.telematics.analytics.riskarea_files import CATEGORIES, read_rows
from fengkong.telematics.device_service import unit_codes

router = APIRouter(tags=["gps risk"])

From = Annotated[datetime, Query(alias="from", description="ISO 8601; no zone means UTC")]
To = Annotated[datetime, Query(alias="to", description="ISO 8601, excluded; at most 31 days")]
Cursor = Annotated[str | None, Query(max_length=40, description="id from `next`")]
Category = Literal[CATEGORIES]  # type: ignore[valid-type]


class GeofenceIn(Input):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    kind: Literal["allowed", "forbidden"]
    geometry: dict[str, Any] = Field(description="GeoJSON Polygon or MultiPolygon, or a "
                                                 "Point with radius_m")
    radius_m: Annotated[float, Field(ge=1, le=2_000_000)] | None = None
    vehicle_ids: list[Id] = Field(default_factory=list, max_length=10_000)
    org_units: list[Code] = Field(default_factory=list, max_length=100,
                                  description="applies to these units' subtrees")
    whole_tenant: bool = False
    dwell_s: Annotated[int, Field(ge=0, le=7 * 86_400)] = 0
    owner_unit: Code | None = Field(None, description="owning unit; yours by default")


class GeofenceOut(Output):
    id: str
    name: str
    kind: str
    is_risk_area: bool
    category: str | None
    geometry: dict[str, Any]
    radius_m: float | None
    dwell_s: int
    whole_tenant: bool
    vehicle_ids: list[str]
    org_units: list[str]
    owner_unit: str
    created_at: datetime


class GeofencePage(Output):
    items: list[GeofenceOut]
    next: str | None


class RiskAreaImport(Input):
    filename: Annotated[str, Field(min_length=1, max_length=200,
                                   description="*.csv or *.geojson: says the format")]
    content: Annotated[str, Field(min_length=1, max_length=50_000_000)]
    replace: bool = Field(False, description="drop the tenant's risk areas first")


def _out(uow: UoW, rows: list[Geofence]) -> list[GeofenceOut]:
    assigned = fences.assignments(uow, [f.id for f in rows])
    units = {a.unit_id for f in rows for a in assigned[f.id] if a.unit_id}
    codes = unit_codes(uow, [*units, *(f.org_unit_id for f in rows)])
    return [GeofenceOut(id=f.id, name=f.name, kind=f.kind, is_risk_area=f.is_risk_area,
                        category=f.category, geometry=f.geometry, radius_m=f.radius_m,
                        dwell_s=f.dwell_s, whole_tenant=f.applies_to_all,
                        vehicle_ids=[a.vehicle_id for a in assigned[f.id] if a.vehicle_id],
                        org_units=[codes[a.unit_id] for a in assigned[f.id] if a.unit_id],
                        owner_unit=codes.get(f.org_unit_id, ""), created_at=f.created_at)
            for f in rows]


def _page(uow: UoW, rows: list[Geofence], limit: int) -> GeofencePage:
    page = rows[:limit]
    return GeofencePage(items=_out(uow, page),
                        next=page[-1].id if len(rows) > limit and page else None)


@router.post("/geofences", status_code=status.HTTP_201_CREATED, response_model=GeofenceOut)
def create_geofence(body: GeofenceIn, uow: UoW,
                    principal: Principal = require(GEOFENCES_MANAGE)) -> GeofenceOut:
    """Draw a fence: `allowed` alarms on exit, `forbidden` on entry."""
    fence = fences.create_fence(uow, principal, fences.FenceDraft(
        name=body.name, kind=body.kind, geometry=body.geometry, radius_m=body.radius_m,
        vehicle_ids=body.vehicle_ids, org_units=body.org_units,
        whole_tenant=body.whole_tenant, dwell_s=body.dwell_s, org_unit=body.owner_unit))
    out = _out(uow, [fence])[0]
    uow.commit()
    return out


@router.get("/geofences", response_model=GeofencePage)
def list_geofences(uow: UoW, principal: Principal = require(GEOFENCES_READ),
                   after: Cursor = None,
                   limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> GeofencePage:
    return _page(uow, list(fences.list_fences(uow, principal, after=after, limit=limit)), limit)


@router.get("/geofences/{geofence_id}", response_model=GeofenceOut)
def get_geofence(geofence_id: str, uow: UoW,
                 principal: Principal = require(GEOFENCES_READ)) -> GeofenceOut:
    return _out(uow, [fences.get_fence(uow, principal, geofence_id)])[0]


@router.delete("/geofences/{geofence_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_geofence(geofence_id: str, uow: UoW,
                    principal: Principal = require(GEOFENCES_MANAGE)) -> Response:
    fences.delete_fence(uow, principal, geofence_id)
    uow.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/risk-areas", response_model=GeofencePage)
def list_risk_areas(uow: UoW, principal: Principal = require(GEOFENCES_READ),
                    category: Category | None = None, after: Cursor = None,
                    limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> GeofencePage:
    rows = fences.list_fences(uow, principal, risk_areas=True, category=category, after=after,
                              limit=limit)
    return _page(uow, list(rows), limit)


@router.post("/risk-areas/import", status_code=status.HTTP_201_CREATED)
def import_risk_areas(body: RiskAreaImport, uow: UoW,
                      principal: Principal = require(GEOFENCES_MANAGE)) -> dict[str, int]:
    """Risk areas in bulk from a CSV (name, category, latitude, longitude, radius_m[,
    dwell_s, id]) or a GeoJSON FeatureCollection; every row is checked before any is stored."""
    count = fences.import_risk_areas(uow, principal,
                                     read_rows(body.content.encode(), body.filename),
                                     source=body.filename, replace=body.replace)
    uow.commit()
    return {"imported": count}


# --- a vehicle's movements ---------------------------------------------------------------


class Items(Output):
    items: list[dict[str, Any]]


@router.get("/vehicles/{vehicle_id}/stops", response_model=Items)
def vehicle_stops(vehicle_id: str, start: From, end: To, uow: UoW,
                  principal: Principal = require(RISK_READ)) -> Items:
    """Stops (100 m, 5 minutes, parked heartbeats allowed) overlapping [from, to)."""
    return Items(items=tracks.stops(uow, principal, vehicle_id, start, end))


@router.get("/vehicles/{vehicle_id}/trips", response_model=Items)
def vehicle_trips(vehicle_id: str, start: From, end: To, uow: UoW,
                  principal: Principal = require(RISK_READ)) -> Items:
    return Items(items=tracks.trips(uow, principal, vehicle_id, start, end))


@router.get("/vehicles/{vehicle_id}/mileage", response_model=Items)
def vehicle_mileage(vehicle_id: str, start: From, end: To, uow: UoW,
                    principal: Principal = require(RISK_READ)) -> Items:
    """Metres driven per day in the tenant's time zone."""
    return Items(items=tracks.mileage(uow, principal, vehicle_id, start, end))


@router.get("/vehicles/{vehicle_id}/places", response_model=Items)
def vehicle_places(vehicle_id: str, uow: UoW,
                   principal: Principal = require(RISK_READ)) -> Items:
    """Places the vehicle frequents (stops clustered), home and work labelled."""
    rows = tracks.places(uow, principal, vehicle_id)
    return Items(items=[{"id": p.id, "latitude": p.latitude, "longitude": p.longitude,
                         "label": p.label, "visits": p.visits, "nights": p.nights,
                         "weekday_hours": p.weekday_hours,
                         "first_seen": p.first_seen.isoformat(),
                         "last_seen": p.last_seen.isoformat()} for p in rows])


@router.get("/vehicles/{vehicle_id}/trajectory")
def vehicle_trajectory(vehicle_id: str, start: From, end: To, uow: UoW,
                       principal: Principal = require(RISK_READ),
                       tolerance_m: Annotated[float, Query(ge=0, le=5000)] = 10.0
                       ) -> dict[str, Any]:
    """Positions simplified (Douglas-Peucker, `tolerance_m`), with stops and trips."""
    return tracks.trajectory(uow, principal, vehicle_id, start, end, tolerance_m)


@router.get("/vehicles/{vehicle_id}/navigation")
def vehicle_navigation(vehicle_id: str, uow: UoW,
                       principal: Principal = require(RISK_READ)) -> dict[str, Any]:
    """The last position, a place label, and links to Amap, Baidu and Apple maps in each
    one's datum (GCJ-02 / BD-09 in mainland China)."""
    return tracks.navigation(uow, principal, vehicle_id)


@router.get("/vehicles/{vehicle_id}/risk")
def vehicle_risk(vehicle_id: str, uow: UoW,
                 principal: Principal = require(RISK_READ)) -> dict[str, Any]:
    """The risk score 0-100, its reasons, the signals standing and the inferred home."""
    return tracks.risk(uow, principal, vehicle_id)
