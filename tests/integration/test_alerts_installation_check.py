"""The installation check: passes when every device of the vehicle logged in, has a valid
fix near where it was fitted and (wired) external power; fails with reasons when the time
limit passes first, raising `installationFailed`; gates disbursement."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fengkong.bootstrap import Container
from fengkong.core.clock import FixedClock
from fengkong.core.errors import Conflict, InvalidInput
from fengkong.core.models import AuditRecord
from fengkong.demo import DemoWorld, principal_of
from fengkong.telematics import device_service
from fengkong.telematics.health import installation_service as svc
from fengkong.telematics.health.installation_service import installation_check_passed
from tests.integration.health_world import SHANGHAI, Car, imei, make_car


@pytest.fixture
def car(container: Container, world: DemoWorld, clock: FixedClock) -> Car:
    car = make_car(container, world, clock)
    watcher = svc.CheckWatcher(container.uow)
    container.bus.subscribe("position.received", watcher)
    container.bus.subscribe("device.status_changed", watcher)
    container.bus.subscribe("installation_check.started", watcher.on_check_started)
    return car


def new_device(container: Container, n: int) -> str:
    with container.uow() as uow:
        device = device_service.register_device(uow, principal_of(uow, "demo.installer2"),
                                                identifier=imei(n), protocol="gt06",
                                                org_unit="EAST-SH")
        uow.commit()
        return device.id


@pytest.fixture
def installer(container: Container, world: DemoWorld) -> None:
    from fengkong.org import service
    with container.uow() as uow:
        service.create_user(uow, principal_of(uow, "demo.admin"), container.hasher,
                            username="demo.installer2", display_name="Installer",
                            password="fengkong-demo", org_unit_id=world.units["EAST-SH"],
                            roles=["installer"], min_password_length=8)
        uow.commit()


def install(container: Container, vehicle_id: str, device_id: str, wired: bool = True,
            **fitting: object) -> svc.Installed:
    with container.uow() as uow:
        done = svc.install_device(uow, principal_of(uow, "demo.installer2"), vehicle_id,
                                  device_id, wired, **fitting)
        uow.commit()
        return done


def checks(container: Container, vehicle_id: str) -> tuple[str, list[dict[str, object]]]:
    with container.uow() as uow:
        check = svc.latest_check(uow, principal_of(uow, "demo.monitor"), vehicle_id)
        assert check is not None
        return check.state, check.results


def passed(container: Container, vehicle_id: str) -> bool:
    with container.uow() as uow:
        return installation_check_passed(uow, vehicle_id)


def test_a_check_passes_when_every_device_shows_up_properly(
        car: Car, container: Container, clock: FixedClock, installer: None) -> None:
    device = new_device(container, 7)
    done = install(container, car.vehicle_id, device, latitude=SHANGHAI[0],
                   longitude=SHANGHAI[1], address="No. 1 Century Avenue")
    assert done.check.state == "pending"
    assert not passed(container, car.vehicle_id)
    t = clock.now()
    car.send(car.fix(device, t, charging=True), car.fix(car.wired, t, charging=True),
             car.fix(car.wireless, t))
    state, results = checks(container, car.vehicle_id)
    assert state == "passed", results
    assert all(r["passed"] for r in results) and len(results) == 3
    assert passed(container, car.vehicle_id)
    with container.uow() as uow:
        actions = set(uow.session.scalars(select(AuditRecord.action)))
    assert {"installation_check.started", "installation_check.passed"} <= actions
    assert car.alarms() == []


def test_a_check_fails_with_reasons_after_the_time_limit(
        car: Car, container: Container, clock: FixedClock, installer: None) -> None:
    device = new_device(container, 8)
    install(container, car.vehicle_id, device, latitude=30.0, longitude=120.0)
    t = clock.now()
    car.send(car.fix(device, t, charging=False), car.fix(car.wireless, t))
    assert checks(container, car.vehicle_id)[0] == "pending"
    clock.advance(minutes=31)
    with container.uow() as uow:
        assert svc.judge_overdue(uow) == 1
        uow.commit()
    state, results = checks(container, car.vehicle_id)
    assert state == "failed"
    why = {r["device_id"]: r["reasons"] for r in results}
    assert why[device] == ["far_from_installation", "no_external_power"]
    assert why[car.wired] == ["not_logged_in", "no_valid_fix", "no_external_power"]
    assert why[car.wireless] == []
    assert not passed(container, car.vehicle_id)
    (alarm,) = car.alarms("installationFailed")
    assert alarm.vehicle_id == car.vehicle_id and alarm.loan_id == "LOAN-1"
    assert alarm.evidence["results"] == results
    car.check_routed_and_escalated(alarm)


def test_a_device_fitted_after_a_passed_check_needs_its_own(
        car: Car, container: Container, clock: FixedClock, installer: None) -> None:
    first = new_device(container, 9)
    install(container, car.vehicle_id, first)
    t = clock.now()
    car.send(car.fix(first, t, charging=True), car.fix(car.wired, t, charging=True),
             car.fix(car.wireless, t))
    assert passed(container, car.vehicle_id)
    second = new_device(container, 10)
    install(container, car.vehicle_id, second, wired=False)
    assert not passed(container, car.vehicle_id)


def test_installing_refuses_bad_input_and_changes_nothing(
        car: Car, container: Container, installer: None) -> None:
    device = new_device(container, 11)
    with pytest.raises(InvalidInput) as error:
        install(container, car.vehicle_id, "0" * 26)
    assert error.value.field == "device_id"
    with pytest.raises(Conflict):
        install(container, car.vehicle_id, car.wired)
    with pytest.raises(InvalidInput):
        install(container, car.vehicle_id, device, latitude=31.0)
    with container.uow() as uow:
        assert svc.pending_for_device(uow, device) == []


