"""Use cases of geofences and risk areas: draw, assign, list, delete, import in bulk.

A fence applies to the vehicles named, to the vehicles of the units named (a unit means its
subtree) or to the whole tenant; risk areas always apply to the whole tenant. Each change
emits `geofence.changed`, on which the streaming path recompiles the tenant's fences.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select

from fengkong.core import audit_service as audit
from fengkong.core.errors import InvalidInput, NotFound
from fengkong.core.ids import new_id
from fengkong.core.uow import UnitOfWork
from fengkong.org.scoping import Principal, scoped
from fengkong.telematics.analytics.models import FenceState, Geofence, GeofenceAssignment
from fengkong.telematics.analytics.permissions import GEOFENCES_MANAGE, GEOFENCES_READ
from fengkong.telematics.analytics.riskarea_files import CATEGORIES, RiskAreaRow
from fengkong.telematics.analytics.shapes import parse_shape, shape_geojson, shape_radius
from fengkong.telematics.device_service import get_vehicle, keyset_page, unit_by_code
from fengkong.telematics.permissions import VEHICLES_READ

KINDS = ("allowed", "forbidden")
IMPORT_CHUNK = 2000


@dataclass(frozen=True)
class FenceDraft:
    name: str
    kind: str
    geometry: dict[str, Any]
    radius_m: float | None = None
    vehicle_ids: Sequence[str] = ()
    org_units: Sequence[str] = ()
    whole_tenant: bool = False
    dwell_s: int = 0
    category: str | None = None
    org_unit: str | None = None   # the owning unit's code; the caller's own by default


def create_fence(uow: UnitOfWork, principal: Principal, draft: FenceDraft) -> Geofence:
    principal.scope_for(GEOFENCES_MANAGE)
    if draft.kind not in KINDS:
        raise InvalidInput("kind is allowed or forbidden", code="invalid_kind", field="kind")
    shape = parse_shape(draft.geometry, draft.radius_m)
    if draft.category is not None and draft.category not in CATEGORIES:
        raise InvalidInput(f"category must be one of {', '.join(CATEGORIES)}",
                           code="unknown_category", field="category")
    if not (draft.vehicle_ids or draft.org_units or draft.whole_tenant):
        raise InvalidInput("say where it applies: vehicle_ids, org_units or whole_tenant",
                           code="required", field="vehicle_ids")
    vehicles = [get_vehicle(uow, principal, v, VEHICLES_READ).id for v in draft.vehicle_ids]
    units = [unit_by_code(uow, principal, code, GEOFENCES_MANAGE, "org_units").id
             for code in draft.org_units]
    owner = (principal.org_unit_id if draft.org_unit is None else
             unit_by_code(uow, principal, draft.org_unit, GEOFENCES_MANAGE).id)
    fence = Geofence(id=new_id(), tenant_id=principal.tenant_id,
                     org_unit_id=owner, name=draft.name, kind=draft.kind,
                     is_risk_area=False, category=draft.category,
                     geometry=shape_geojson(shape), radius_m=shape_radius(shape),
                     dwell_s=draft.dwell_s, applies_to_all=draft.whole_tenant,
                     created_by=principal.actor_id, created_at=uow.clock.now())
    uow.session.add(fence)
    uow.session.flush()
    for vehicle_id in dict.fromkeys(vehicles):
        uow.session.add(GeofenceAssignment(id=new_id(), tenant_id=fence.tenant_id,
                                           geofence_id=fence.id, vehicle_id=vehicle_id))
    for unit_id in dict.fromkeys(units):
        uow.session.add(GeofenceAssignment(id=new_id(), tenant_id=fence.tenant_id,
                                           geofence_id=fence.id, unit_id=unit_id))
    uow.session.flush()
    audit.record(uow, principal, "geofence.created", entity_type="geofence", entity_id=fence.id,
                 changes={"name": draft.name, "kind": draft.kind, "vehicles": vehicles,
                          "org_units": list(draft.org_units),
                          "whole_tenant": draft.whole_tenant})
    uow.emit("geofence.changed", fence.tenant_id, geofence_id=fence.id, change="created")
    return fence


def get_fence(uow: UnitOfWork, principal: Principal, fence_id: str,
              permission: str = GEOFENCES_READ) -> Geofence:
    fence = uow.session.scalar(scoped(select(Geofence), Geofence, principal, permission)
                               .where(Geofence.id == fence_id))
    if fence is None:
        raise NotFound("geofence", fence_id)
    return fence


def assignments(uow: UnitOfWork, fence_ids: Sequence[str]) -> dict[str, list[GeofenceAssignment]]:
    out: dict[str, list[GeofenceAssignment]] = {f: [] for f in fence_ids}
    if fence_ids:
        for a in uow.session.scalars(select(GeofenceAssignment).where(
                GeofenceAssignment.geofence_id.in_(fence_ids))):
            out[a.geofence_id].append(a)
    return out


def list_fences(uow: UnitOfWork, principal: Principal, *, risk_areas: bool = False,
                category: str | None = None, after: str | None = None,
                limit: int = 100) -> Sequence[Geofence]:
    stmt = scoped(select(Geofence), Geofence, principal, GEOFENCES_READ).where(
        Geofence.is_risk_area.is_(risk_areas))
    if category is not None:
        stmt = stmt.where(Geofence.category == category)
    return uow.session.scalars(keyset_page(stmt, Geofence.id, after, limit)).all()


def delete_fence(uow: UnitOfWork, principal: Principal, fence_id: str) -> None:
    fence = get_fence(uow, principal, fence_id, GEOFENCES_MANAGE)
    uow.session.execute(delete(FenceState).where(FenceState.geofence_id == fence.id))
    uow.session.execute(delete(GeofenceAssignment).where(
        GeofenceAssignment.geofence_id == fence.id))
    uow.session.delete(fence)
    uow.session.flush()
    audit.record(uow, principal, "geofence.deleted", entity_type="geofence", entity_id=fence.id,
                 changes={"name": fence.name})
    uow.emit("geofence.changed", fence.tenant_id, geofence_id=fence.id, change="deleted")


def import_risk_areas(uow: UnitOfWork, principal: Principal, rows: Iterable[RiskAreaRow], *,
                      source: str = "", replace: bool = False,
                      progress: Callable[[int], None] | None = None) -> int:
    """Insert risk areas in chunks (one multi-row INSERT per chunk). With `replace`, the
    tenant's risk areas from the same source file are dropped first. Rows are all checked
    before anything is written."""
    principal.scope_for(GEOFENCES_MANAGE)
    checked = list(rows)
    now = uow.clock.now()
    if replace:
        old = select(Geofence.id).where(Geofence.tenant_id == principal.tenant_id,
                                        Geofence.is_risk_area.is_(True))
        uow.session.execute(delete(FenceState).where(FenceState.geofence_id.in_(old)))
        uow.session.execute(delete(Geofence).where(Geofence.tenant_id == principal.tenant_id,
                                                   Geofence.is_risk_area.is_(True)))
    for lo in range(0, len(checked), IMPORT_CHUNK):
        chunk = checked[lo:lo + IMPORT_CHUNK]
        uow.session.execute(insert(Geofence), [
            {"id": new_id(), "tenant_id": principal.tenant_id,
             "org_unit_id": principal.org_unit_id, "name": r.name, "kind": "forbidden",
             "is_risk_area": True, "category": r.category, "geometry": shape_geojson(r.shape),
             "radius_m": shape_radius(r.shape), "dwell_s": r.dwell_s, "applies_to_all": True,
             "external_ref": r.external_ref, "created_by": principal.actor_id,
             "created_at": now} for r in chunk])
        if progress is not None:
            progress(len(chunk))
    audit.record(uow, principal, "riskareas.imported", entity_type="geofence",
                 changes={"count": len(checked), "source": source, "replace": replace})
    uow.emit("geofence.changed", principal.tenant_id, geofence_id=None, change="imported")
    return len(checked)


def count_risk_areas(uow: UnitOfWork, principal: Principal) -> int:
    stmt = scoped(select(func.count()).select_from(Geofence), Geofence, principal,
                  GEOFENCES_READ).where(Geofence.is_risk_area.is_(True))
    return int(uow.session.scalar(stmt) or 0)
