"""The tracker registry on a real database: devices and vehicles with their checks, one
vehicle per device at a time, pending identifiers, and the directory the gateway asks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from fengkong.bootstrap import Container
from fengkong.core.errors import Conflict, FengkongError, InvalidInput, NotFound
from fengkong.core.models import AuditRecord
from fengkong.demo import DemoWorld, principal_of
from fengkong.telematics import device_service as svc
from fengkong.telematics import directory, tracking
from fengkong.telematics.demo_data import DEMO_CARS, DEMO_DEVICES, seed_trackers
from fengkong.telematics.models import Device, PendingDevice
from fengkong.telematics.protocols.crc import luhn

T0 = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
VIN = "LSVAM4187C2184847"


def imei(n: int) -> str:
    body = f"86471700{n:06d}"
    return body + str(luhn(int(body)))


def test_a_registered_device_is_found_by_the_directory_and_audited(
        container: Container, world: DemoWorld) -> None:
    with container.uow() as uow:
        admin = principal_of(uow, "demo.admin")
        device = svc.register_device(uow, admin, identifier=imei(1), protocol="gt06",
                                     org_unit="EAST-SH", model="ET25", accept_bad_crc=True,
                                     timezone="Asia/Shanghai")
        uow.commit()
        found = directory.lookup(uow.session, "gt06", imei(1))
        actions = uow.session.scalars(select(AuditRecord.action)).all()
        device_id = device.id
    assert found == directory.KnownDevice(
        tenant_id=world.tenant_id, device_id=device_id, identifier=imei(1), protocol="gt06",
        model="ET25", accept_bad_crc=True, timezone="Asia/Shanghai")
    assert "device.registered" in actions


def test_a_terminal_phone_matches_with_or_without_its_zero_padding(
        container: Container, world: DemoWorld) -> None:
    with container.uow() as uow:
        admin = principal_of(uow, "demo.admin")
        device = svc.register_device(uow, admin, identifier="013912345678", protocol="jt808",
                                     org_unit="EAST-SH")
        uow.commit()
        assert device.identifier == "13912345678"
        for heard in ("013912345678", "00000000013912345678", "13912345678"):
            known = directory.lookup(uow.session, "jt808", heard)
            assert known is not None and known.device_id == device.id
        assert directory.lookup(uow.session, "gt06", "13912345678") is None


@pytest.mark.parametrize(("identifier", "protocol", "code"), [
    ("864717003283582", "gt06", "invalid_imei"),         # Luhn digit wrong
    ("86471700328358", "gt06", "invalid_imei"),          # 14 digits
    ("86471700328358A", "gt06", "invalid_imei"),
    ("123456789012345678901", "jt808", "invalid_terminal_phone"),   # 21 digits
    ("0000", "jt808", "invalid_terminal_phone"),
    ("13912345678", "tk103", "unknown_protocol"),
])
def test_bad_identifiers_are_refused_with_their_reason(
        container: Container, world: DemoWorld, identifier: str, protocol: str,
        code: str) -> None:
    with container.uow() as uow:
        admin = principal_of(uow, "demo.admin")
        with pytest.raises(InvalidInput) as caught:
            svc.register_device(uow, admin, identifier=identifier, protocol=protocol,
                                org_unit="EAST-SH")
    assert caught.value.code == code
    assert caught.value.field in ("identifier", "protocol")


def test_an_identifier_is_registered_once_across_the_platform(
        container: Container, world: DemoWorld) -> None:
    with container.uow() as uow:
        admin = principal_of(uow, "demo.admin")
        svc.register_device(uow, admin, identifier=imei(2), protocol="gt06", org_unit="HQ")
        with pytest.raises(Conflict) as caught:
            svc.register_device(uow, admin, identifier=imei(2), protocol="gt06",
                                org_unit="EAST-SH")
    assert (caught.value.code, caught.value.field) == ("duplicate_identifier", "identifier")


def test_a_unit_out_of_the_callers_reach_reads_as_unknown(
        container: Container, world: DemoWorld) -> None:
    with container.uow() as uow:
        manager = principal_of(uow, "demo.sh")     # branch manager of EAST-SH
        for code in ("EAST-HZ", "NOWHERE"):
            with pytest.raises(InvalidInput) as caught:
                svc.create_vehicle(uow, manager, vin=VIN, org_unit=code)
            assert (caught.value.code, caught.value.field) == ("unknown_reference", "org_unit")


@pytest.mark.parametrize(("number", "code"), [
    ("LSVAM4188C2184847", "bad_check_digit"),
    ("LSVAM4187C218484", "invalid_vin"),
    ("LSVAM4187C218484O", "invalid_vin"),
])
def test_a_vin_must_carry_its_check_digit(container: Container, world: DemoWorld,
                                          number: str, code: str) -> None:
    with container.uow() as uow:
        admin = principal_of(uow, "demo.admin")
        with pytest.raises(InvalidInput) as caught:
            svc.create_vehicle(uow, admin, vin=number, org_unit="EAST-SH")
    assert (caught.value.code, caught.value.field) == (code, "vin")


def test_vins_are_stored_upper_case_and_unique_per_tenant(
        container: Container, world: DemoWorld) -> None:
    with container.uow() as uow:
        admin = principal_of(uow, "demo.admin")
        car = svc.create_vehicle(uow, admin, vin=VIN.lower(), org_unit="EAST-SH",
                                 purchase_price="158000.00", plate="沪A12345")
        assert (car.vin, car.purchase_price_fen) == (VIN, 15_800_000)
        with pytest.raises(Conflict) as caught:
            svc.create_vehicle(uow, admin, vin=VIN, org_unit="WEST-CD")
    assert caught.value.code == "duplicate_vin"


def test_a_device_is_on_one_vehicle_at_a_time_and_its_history_is_kept(
        container: Container, world: DemoWorld, clock) -> None:
    with container.uow() as uow:
        admin = principal_of(uow, "demo.admin")
        device = svc.register_device(uow, admin, identifier=imei(3), protocol="gt06",
                                     org_unit="EAST-SH", kind="wired")
        first = svc.create_vehicle(uow, admin, vin=VIN, org_unit="EAST-SH")
        second = svc.create_vehicle(uow, admin, vin="1M8GDM9AXKP042788", org_unit="EAST-SH")
        on_first = svc.install(uow, admin, first.id, svc.Fitting(
            device.id, installed_at=T0 - timedelta(days=10), installer="Wang Shifu",
            address="Pudong", latitude=31.2, longitude=121.5, photos=["s3://p/1.jpg"]))
        with pytest.raises(Conflict) as caught:
            svc.install(uow, admin, second.id, svc.Fitting(device.id))
        assert caught.value.code == "device_installed"
        svc.remove(uow, admin, on_first.id, reason="moved to another car",
                   removed_at=T0 - timedelta(days=1))
        with pytest.raises(Conflict):
            svc.remove(uow, admin, on_first.id, reason="again")
        on_second = svc.install(uow, admin, second.id, svc.Fitting(device.id))
        uow.commit()
        assert [i.id for i in svc.installations(uow, admin, first.id)] == [on_first.id]
        assert svc.vehicles_carrying(uow, [device.id]) == {device.id: second.id}
        assert on_second.installed_at == clock.now()
        assert on_first.removed_by == admin.actor_id and on_first.photos == ["s3://p/1.jpg"]


def test_installation_times_are_checked(container: Container, world: DemoWorld) -> None:
    with container.uow() as uow:
        admin = principal_of(uow, "demo.admin")
        device = svc.register_device(uow, admin, identifier=imei(4), protocol="gt06",
                                     org_unit="EAST-SH")
        car = svc.create_vehicle(uow, admin, vin=VIN, org_unit="EAST-SH")
        with pytest.raises(InvalidInput) as future:
            svc.install(uow, admin, car.id, svc.Fitting(device.id, T0 + timedelta(hours=1)))
        fitted = svc.install(uow, admin, car.id, svc.Fitting(device.id, T0))
        with pytest.raises(InvalidInput) as early:
            svc.remove(uow, admin, fitted.id, reason="x", removed_at=T0 - timedelta(1))
    assert (future.value.code, early.value.code) == ("in_future", "before_installation")


def test_another_branchs_vehicle_and_device_are_out_of_reach(
        container: Container, world: DemoWorld) -> None:
    with container.uow() as uow:
        admin = principal_of(uow, "demo.admin")
        device = svc.register_device(uow, admin, identifier=imei(5), protocol="gt06",
                                     org_unit="WEST-CD")
        car = svc.create_vehicle(uow, admin, vin=VIN, org_unit="WEST-CD")
        own_car = svc.create_vehicle(uow, admin, vin="1M8GDM9AXKP042788", org_unit="EAST-SH")
        uow.commit()
        manager = principal_of(uow, "demo.east")
        for call in (lambda: svc.get_device(uow, manager, device.id),
                     lambda: svc.get_vehicle(uow, manager, car.id)):
            with pytest.raises(NotFound):
                call()
        monitor = principal_of(uow, "demo.monitor")   # GPS monitor at HQ: installs anywhere
        with pytest.raises(FengkongError):
            svc.install(uow, manager, own_car.id, svc.Fitting(device.id))
        assert svc.install(uow, monitor, own_car.id, svc.Fitting(device.id)).id


def test_unknown_identifiers_are_counted_as_pending_until_registered(
        container: Container, world: DemoWorld) -> None:
    with container.uow() as uow:
        for n, remote in enumerate(("10.0.0.1:5000", "10.0.0.2:6000", "10.0.0.3:7000")):
            directory.note_unknown(uow.session, "jt808", "013900000001", remote,
                                   T0 + timedelta(minutes=n))
        uow.commit()
        pending = uow.session.scalars(select(PendingDevice)).one()
        assert (pending.identifier, pending.count, pending.last_remote) == (
            "13900000001", 3, "10.0.0.3:7000")
        assert (pending.first_seen, pending.last_seen) == (T0, T0 + timedelta(minutes=2))
        installer = principal_of(uow, "demo.admin")
        assert [p.identifier for p in svc.list_pending(uow, installer)] == ["13900000001"]
        device = svc.register_pending(uow, installer, "013900000001", org_unit="EAST-SH",
                                      model="JT701")
        uow.commit()
        assert (device.protocol, device.model) == ("jt808", "JT701")
        assert uow.session.scalars(select(PendingDevice)).all() == []
        directory.note_unknown(uow.session, "jt808", "13900000001", "10.0.0.4:1", T0)
        assert uow.session.scalars(select(PendingDevice)).all() == []


def test_registering_an_identifier_that_spoke_both_protocols_needs_the_protocol(
        container: Container, world: DemoWorld) -> None:
    with container.uow() as uow:
        for protocol in ("gt06", "jt808"):
            directory.note_unknown(uow.session, protocol, imei(6), "10.0.0.1:1", T0)
        admin = principal_of(uow, "demo.admin")
        with pytest.raises(InvalidInput) as caught:
            svc.register_pending(uow, admin, imei(6), org_unit="EAST-SH")
        assert caught.value.code == "ambiguous_protocol"
        assert svc.register_pending(uow, admin, imei(6), org_unit="EAST-SH",
                                    protocol="gt06").protocol == "gt06"
        with pytest.raises(NotFound):
            svc.register_pending(uow, admin, imei(7), org_unit="EAST-SH")


def test_an_auth_code_is_issued_checked_and_replaced(container: Container,
                                                     world: DemoWorld) -> None:
    with container.uow() as uow:
        admin = principal_of(uow, "demo.admin")
        device = svc.register_device(uow, admin, identifier="13800000000", protocol="jt808",
                                     org_unit="EAST-SH")
        uow.commit()
        device_id = device.id
    sessions = directory.Directory(container.session_factory, container.clock)
    assert not sessions.check_auth_code(device_id, "")
    first = sessions.issue_auth_code(device_id)
    assert sessions.check_auth_code(device_id, first)
    assert not sessions.check_auth_code(device_id, first.lower() + "x")
    second = sessions.issue_auth_code(device_id)
    assert second != first
    assert not sessions.check_auth_code(device_id, first)
    assert sessions.check_auth_code(device_id, second)
    sessions.note_unknown("gt06", imei(8), "10.1.1.1:1")
    known = sessions.lookup("jt808", "013800000000")
    assert known is not None and known.device_id == device_id
    with container.uow() as uow:
        assert uow.session.scalar(select(PendingDevice.identifier)) == imei(8)
        assert uow.session.get(Device, device_id).auth_code == second  # type: ignore[union-attr]


def test_the_demo_cars_carry_trackers_a_simulator_can_speak_as(
        container: Container, world: DemoWorld) -> None:
    with container.uow() as uow:
        seed_trackers(container, uow, world)
        uow.commit()
        monitor = principal_of(uow, "demo.monitor")
        cars = tracking.live_vehicles(uow, monitor)
        assert len(cars) == len(DEMO_CARS)
        assert all(len(car.devices) == 2 for car in cars)
        for protocol, identifier, _, _ in (d for pair in DEMO_DEVICES for d in pair):
            assert directory.lookup(uow.session, protocol, identifier) is not None
