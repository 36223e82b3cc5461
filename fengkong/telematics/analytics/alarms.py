"""Turning findings into `vehicle.alarm` events (the shape in the alarm-events contract) and
keeping each vehicle's standing signals and risk score."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fengkong.core.uow import UnitOfWork
from fengkong.telematics.analytics import risk
from fengkong.telematics.analytics.models import VehicleAnalytics
from fengkong.telematics.analytics.signals import Finding

STANDING_DAYS = 7   # a signal without an end (a crossing, a jump) counts this long


@dataclass(frozen=True)
class VehicleRef:
    id: str
    tenant_id: str
    org_unit_id: str
    unit_path: str
    loan_id: str | None


def emit_alarm(uow: UnitOfWork, vehicle: VehicleRef, finding: Finding,
               device_id: str | None) -> None:
    uow.emit("vehicle.alarm", vehicle.tenant_id, type=finding.type, vehicle_id=vehicle.id,
             device_id=device_id, loan_id=vehicle.loan_id, org_unit_id=vehicle.org_unit_id,
             severity=finding.severity,
             occurred_at=datetime.fromtimestamp(finding.occurred_at, UTC).isoformat(),
             key=finding.key, state=finding.state,
             evidence={**finding.evidence, "text": finding.text})


def apply(uow: UnitOfWork, row: VehicleAnalytics, vehicle: VehicleRef, finding: Finding,
          device_id: str | None) -> bool:
    """Record the finding among the vehicle's standing signals and emit it, unless it says
    nothing new (raised while standing, cleared while not)."""
    active = dict(row.active or {})
    if finding.state == "raised":
        if finding.key in active:
            return False
        active[finding.key] = {"signal": finding.type, "text": finding.text,
                               "at": finding.occurred_at, "transient": finding.transient}
    else:
        if finding.key not in active:
            return False
        del active[finding.key]
    row.active = active
    emit_alarm(uow, vehicle, finding, device_id)
    return True


def expire(row: VehicleAnalytics, now: float) -> None:
    """Drop signals that were events, not conditions (a towing, a jump, a crossing), once
    they are a week old: they never clear of themselves."""
    active = row.active or {}
    keep = {k: v for k, v in active.items()
            if not v.get("transient") or now - float(v["at"]) < STANDING_DAYS * 86_400}
    if len(keep) != len(active):
        row.active = keep


def rescore(uow: UnitOfWork, row: VehicleAnalytics, vehicle: VehicleRef) -> None:
    """Recompute the score; publish `vehicle.risk_changed` when it or its reasons moved."""
    result = risk.score(row.active or {})
    if result.score == row.risk_score and result.reasons == (row.risk_reasons or []):
        return
    previous = row.risk_score
    row.risk_score, row.risk_reasons = result.score, result.reasons
    payload: dict[str, Any] = {"vehicle_id": vehicle.id, "loan_id": vehicle.loan_id,
                               "score": result.score, "previous": previous,
                               "reasons": result.reasons}
    uow.emit("vehicle.risk_changed", vehicle.tenant_id, **payload)
