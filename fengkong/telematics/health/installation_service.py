"""Use cases of the installation check: installing a registered device on a vehicle through
the contract route, starting and re-judging the check as the devices report, failing it when
the time limit passes (`installationFailed`), and answering the origination question
`installation_check_passed(uow, vehicle_id)`."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from fengkong.core import audit_service as audit
from fengkong.core.audit_service import SystemActor
from fengkong.core.bus import Event
from fengkong.core.ids import new_id
from fengkong.core.uow import UnitOfWork
from fengkong.org.scoping import Principal
from fengkong.telematics import device_service
from fengkong.telematics.health.installation import CheckPolicy, DeviceFacts, reasons, verdict
from fengkong.telematics.health.models import InstallationCheck
from fengkong.telematics.models import Device, DeviceInstallation, DeviceState, Vehicle
from fengkong.telematics.permissions import VEHICLES_READ

CHECKER = SystemActor(actor_id="installation-check", name="installation check")


@dataclass(frozen=True)
class Installed:
    installation: DeviceInstallation
    check: InstallationCheck


def install_device(uow: UnitOfWork, principal: Principal, vehicle_id: str, device_id: str,
                   wired: bool, policy: CheckPolicy = CheckPolicy(),
                   **fitting: Any) -> Installed:
    """Put a registered device on the vehicle as wired or wireless, and start the check."""
    row = device_service.install(uow, principal, vehicle_id,
                                 device_service.Fitting(device_id, **fitting))
    device = uow.session.get(Device, row.device_id)  # install() checked the caller's reach
    assert device is not None
    device.kind = "wired" if wired else "wireless"
    return Installed(row, start_check(uow, principal, row, policy))


def start_check(uow: UnitOfWork, actor: Principal | SystemActor, row: DeviceInstallation,
                policy: CheckPolicy = CheckPolicy()) -> InstallationCheck:
    """A new check of the vehicle after `row` was installed, judged at once."""
    vehicle = uow.session.get(Vehicle, row.vehicle_id)
    device = uow.session.get(Device, row.device_id)
    assert vehicle is not None and device is not None
    now = uow.clock.now()
    check = InstallationCheck(
        id=new_id(), tenant_id=vehicle.tenant_id, org_unit_id=vehicle.org_unit_id,
        vehicle_id=vehicle.id, installation_id=row.id, state="pending", started_at=now,
        deadline=now + policy.time_limit, results=[])
    uow.session.add(check)
    uow.session.flush()
    audit.record(uow, actor, "installation_check.started", entity_type="installation_check",
                 entity_id=check.id, tenant_id=vehicle.tenant_id,
                 changes={"vehicle_id": vehicle.id, "device_id": device.id,
                          "kind": device.kind, "deadline": check.deadline.isoformat()})
    uow.emit("installation_check.started", check.tenant_id, check_id=check.id,
             vehicle_id=check.vehicle_id)
    judge(uow, check, policy)
    return check


def _facts(uow: UnitOfWork, vehicle_id: str) -> list[DeviceFacts]:
    rows = uow.session.execute(
        select(DeviceInstallation, Device.kind, DeviceState)
        .join(Device, Device.id == DeviceInstallation.device_id)
        .outerjoin(DeviceState, DeviceState.device_id == DeviceInstallation.device_id)
        .where(DeviceInstallation.vehicle_id == vehicle_id,
               DeviceInstallation.removed_at.is_(None))
        .order_by(DeviceInstallation.installed_at, DeviceInstallation.id)).all()
    return [DeviceFacts(i.device_id, kind == "wired", i.installed_at, i.latitude, i.longitude,
                        s.last_seen if s else None, s.fix_time if s else None,
                        s.valid if s else None, s.latitude if s else None,
                        s.longitude if s else None, s.external_power if s else None)
            for i, kind, s in rows]


def judge(uow: UnitOfWork, check: InstallationCheck, policy: CheckPolicy = CheckPolicy()
          ) -> str:
    """Judge a pending check from the devices' live state; record it when it is decided."""
    if check.state != "pending":
        return check.state
    facts = _facts(uow, check.vehicle_id)
    results = [(f.device_id, reasons(f, policy)) for f in facts]
    check.results = [{"device_id": d, "wired": f.wired, "passed": not why, "reasons": why}
                     for (d, why), f in zip(results, facts, strict=True)]
    now = uow.clock.now()
    check.state = verdict(results, now, check.deadline)
    if check.state == "pending":
        return check.state
    check.finished_at = now
    uow.session.flush()
    actor = SystemActor(tenant_id=check.tenant_id, actor_id=CHECKER.actor_id, name=CHECKER.name)
    audit.record(uow, actor, f"installation_check.{check.state}",
                 entity_type="installation_check", entity_id=check.id,
                 changes={"vehicle_id": check.vehicle_id, "results": check.results})
    _announce(uow, check)
    return check.state


def _announce(uow: UnitOfWork, check: InstallationCheck) -> None:
    failed = [r for r in check.results if not r["passed"]]
    text = ("every device passed" if not failed else "; ".join(
        f"{r['device_id']}: {', '.join(r['reasons'])}" for r in failed)
        if check.results else "no device installed")
    loan_id = uow.session.scalar(select(Vehicle.loan_id).where(Vehicle.id == check.vehicle_id))
    uow.emit("vehicle.alarm", check.tenant_id, type="installationFailed",
             vehicle_id=check.vehicle_id, device_id=failed[0]["device_id"] if failed else None,
             loan_id=loan_id, org_unit_id=check.org_unit_id, severity="warning",
             occurred_at=uow.clock.now().isoformat(),
             key=f"installationFailed:{check.vehicle_id}",
             state="raised" if check.state == "failed" else "cleared",
             evidence={"check_id": check.id, "results": check.results, "text": text})
    uow.emit(f"installation_check.{check.state}", check.tenant_id, check_id=check.id,
             vehicle_id=check.vehicle_id)


def pending_for_device(uow: UnitOfWork, device_id: str) -> Sequence[InstallationCheck]:
    vehicles = select(DeviceInstallation.vehicle_id).where(
        DeviceInstallation.device_id == device_id, DeviceInstallation.removed_at.is_(None))
    return uow.session.scalars(select(InstallationCheck).where(
        InstallationCheck.state == "pending",
        InstallationCheck.vehicle_id.in_(vehicles))).all()


class CheckWatcher:
    """Bus handler: a device on a vehicle with a pending check reported, so the check is
    judged again. Which devices have pending checks is cached for `ttl_s` (and refreshed at
    once when this process starts a check), so that positions of devices with nothing
    pending, nearly all of them, cost no query."""

    def __init__(self, new_uow: Callable[[], UnitOfWork], policy: CheckPolicy = CheckPolicy(),
                 ttl_s: float = 5.0) -> None:
        self.new_uow, self.policy, self.ttl_s = new_uow, policy, ttl_s
        self._watched: frozenset[str] = frozenset()
        self._until = 0.0

    def _devices(self) -> frozenset[str]:
        now = time.monotonic()
        if now >= self._until:
            with self.new_uow() as uow:
                self._watched = frozenset(uow.session.scalars(
                    select(DeviceInstallation.device_id).where(
                        DeviceInstallation.removed_at.is_(None),
                        DeviceInstallation.vehicle_id.in_(select(
                            InstallationCheck.vehicle_id).where(
                            InstallationCheck.state == "pending")))))
            self._until = now + self.ttl_s
        return self._watched

    def on_check_started(self, event: Event) -> None:
        self._until = 0.0

    def __call__(self, event: Event) -> None:
        device_id = event.payload.get("device_id")
        if not device_id or device_id not in self._devices():
            return
        with self.new_uow() as uow:
            for check in pending_for_device(uow, device_id):
                judge(uow, check, self.policy)
            uow.commit()


def judge_overdue(uow: UnitOfWork, policy: CheckPolicy = CheckPolicy()) -> int:
    """Pending checks whose time limit passed are judged (and fail unless all passed)."""
    overdue = uow.session.scalars(select(InstallationCheck).where(
        InstallationCheck.state == "pending",
        InstallationCheck.deadline <= uow.clock.now()).limit(500)).all()
    for check in overdue:
        judge(uow, check, policy)
    return len(overdue)


def latest_check(uow: UnitOfWork, principal: Principal, vehicle_id: str
                 ) -> InstallationCheck | None:
    vehicle = device_service.get_vehicle(uow, principal, vehicle_id, VEHICLES_READ)
    return _latest(uow, vehicle.id)


def _latest(uow: UnitOfWork, vehicle_id: str) -> InstallationCheck | None:
    return uow.session.scalar(select(InstallationCheck).where(
        InstallationCheck.vehicle_id == vehicle_id).order_by(InstallationCheck.id.desc())
        .limit(1))


def installation_check_passed(uow: UnitOfWork, vehicle_id: str) -> bool:
    """Whether the vehicle may secure a disbursement: its latest check passed and covered
    every device installed on it now (a device fitted since needs its own check)."""
    check = _latest(uow, vehicle_id)
    if check is None or check.state != "passed":
        return False
    installed = set(uow.session.scalars(select(DeviceInstallation.device_id).where(
        DeviceInstallation.vehicle_id == vehicle_id, DeviceInstallation.removed_at.is_(None))))
    return bool(installed) and installed <= {r["device_id"] for r in check.results}
