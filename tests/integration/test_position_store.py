"""The position store on a real database: batches written once, history marked and kept out
of the live state, a vehicle's live state from the newest of its devices, events, and the
monthly partitions of PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text

from fengkong.bootstrap import Container
from fengkong.core.bus import Event
from fengkong.demo import DemoWorld, principal_of
from fengkong.telematics import device_service as svc
from fengkong.telematics import tracking
from fengkong.telematics.models import DeviceState, StoredPosition
from fengkong.telematics.position_store import (
    Report,
    mark_silent_offline,
    reports_from,
    set_connection_status,
    store_batch,
    store_positions,
)
from fengkong.telematics.protocols.crc import luhn
from fengkong.telematics.protocols.messages import Login
from fengkong.telematics.protocols.position import Position, Status
from tests.conftest import requires_postgres

T0 = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)
LAT, LON = 31.2304, 121.4737


@dataclass
class Fleet:
    tenant_id: str
    devices: list[str]
    vehicle: str


def imei(n: int) -> str:
    body = f"35209900{n:06d}"
    return body + str(luhn(int(body)))


@pytest.fixture
def fleet(container: Container, world: DemoWorld) -> Fleet:
    """Two devices (wired and wireless) on one car, and a third device on no car."""
    with container.uow() as uow:
        admin = principal_of(uow, "demo.admin")
        devices = [svc.register_device(uow, admin, identifier=imei(n), protocol="gt06",
                                       org_unit="EAST-SH").id for n in range(3)]
        car = svc.create_vehicle(uow, admin, vin="LSVAM4187C2184847", org_unit="EAST-SH")
        for device_id in devices[:2]:
            svc.install(uow, admin, car.id, svc.Fitting(device_id, T0 - timedelta(days=30)))
        uow.commit()
        return Fleet(world.tenant_id, devices, car.id)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def position(seconds: float, lat: float = LAT, **attributes: Any) -> Position:
    return Position(None, at(seconds), True, lat, LON, altitude=4.0, speed_kmh=36.0,
                    course=90.0, satellites=9, attributes=attributes)


def report(fleet: Fleet, device: int, message: Position | Status,
           received: float | None = None) -> Report:
    fix = message.fix_time if isinstance(message, Position) else T0
    return Report(fleet.tenant_id, fleet.devices[device],
                  at(received) if received is not None else fix + timedelta(seconds=1), message)


def store(container: Container, reports: list[Report]) -> Any:
    with container.uow() as uow:
        result = store_positions(uow.session, reports)
        uow.commit()
        return result


def state(container: Container, device_id: str) -> DeviceState:
    with container.uow() as uow:
        row = uow.session.get(DeviceState, device_id)
        assert row is not None
        uow.session.expunge(row)
        return row


def stored(container: Container) -> list[tuple[str, datetime, bool]]:
    with container.uow() as uow:
        return [tuple(r) for r in uow.session.execute(  # type: ignore[misc]
            select(StoredPosition.device_id, StoredPosition.fix_time, StoredPosition.archived)
            .order_by(StoredPosition.fix_time)).all()]


def test_a_batch_is_stored_in_one_go_and_a_resend_stores_nothing(
        container: Container, fleet: Fleet) -> None:
    batch = [report(fleet, d, position(i * 10, LAT + i * 0.001)) for d in (0, 1)
             for i in range(50)]
    first = store(container, batch)
    assert first.counts["stored"] == 100 and len(first.stored) == 100
    again = store(container, batch)
    assert again.stored == [] and again.counts["stored"] == 0
    assert again.counts["already_stored"] + again.counts["duplicate"] == 100
    assert len(stored(container)) == 100


def test_filtered_fixes_are_counted_by_reason_and_not_stored(
        container: Container, fleet: Fleet) -> None:
    batch = [
        report(fleet, 0, position(0)),
        report(fleet, 0, Position(None, at(10), False, LAT, LON)),         # invalid
        report(fleet, 0, Position(None, at(20), True, 0.0, 0.0)),           # zero
        report(fleet, 0, position(86_400 * 2), received=30),                # future
        report(fleet, 0, position(0)),                                      # duplicate
        report(fleet, 0, position(40, LAT + 1.0)),                          # 111 km in 40 s
        report(fleet, 0, position(50, LAT + 0.002)),
    ]
    result = store(container, batch)
    assert {k: v for k, v in result.counts.items() if v} == {
        "stored": 2, "invalid": 1, "zero": 1, "future": 1, "duplicate": 1, "too_fast": 1}
    assert [t for _, t, _ in stored(container)] == [at(0), at(50)]


def test_history_arriving_late_is_archived_and_the_live_state_never_moves_back(
        container: Container, fleet: Fleet) -> None:
    store(container, [report(fleet, 0, position(600, LAT + 0.01, ignition=True))])
    late = store(container, [
        report(fleet, 0, position(300, LAT + 0.005, ignition=False), received=700),
        report(fleet, 0, position(400, LAT + 0.006, archived=True), received=700),
    ])
    assert late.counts["stored"] == 2
    live = state(container, fleet.devices[0])
    assert (live.fix_time, live.latitude, live.acc) == (at(600), LAT + 0.01, True)
    assert stored(container) == [(fleet.devices[0], at(300), True),
                                 (fleet.devices[0], at(400), True),
                                 (fleet.devices[0], at(600), False)]


def test_a_batch_out_of_order_archives_what_is_older_than_what_came_before_it(
        container: Container, fleet: Fleet) -> None:
    store(container, [report(fleet, 0, position(20, LAT + 0.002)),
                      report(fleet, 0, position(10, LAT + 0.001))])
    assert [a for _, _, a in stored(container)] == [True, False]   # 10 s came second
    assert state(container, fleet.devices[0]).fix_time == at(20)


def test_flagged_re_uploads_are_archived_even_when_newer(
        container: Container, fleet: Fleet) -> None:
    store(container, [report(fleet, 0, position(10))])
    store(container, [report(fleet, 0, position(20, LAT + 0.001, archived=True))])
    (_, _, first), (_, _, second) = stored(container)
    assert (first, second) == (False, True)
    assert state(container, fleet.devices[0]).fix_time == at(20)


def test_a_status_updates_the_readings_but_not_the_fix(container: Container,
                                                      fleet: Fleet) -> None:
    store(container, [report(fleet, 0, position(0, odometer=1200))])
    store(container, [report(fleet, 0, Status(None, at(30), {
        "ignition": False, "charging": True, "battery_level": 83, "rssi": 4, "blocked": True,
        "power": 12.6}), received=30)])
    live = state(container, fleet.devices[0])
    assert (live.fix_time, live.odometer_m) == (at(0), 1200)
    assert (live.acc, live.external_power, live.battery_level, live.signal) == (
        False, True, 83, 4)
    assert (live.engine_cut, live.power_voltage, live.status) == (True, 12.6, "online")
    assert live.last_seen == at(30)


def test_a_vehicles_live_state_is_its_device_with_the_newest_fix(
        container: Container, fleet: Fleet) -> None:
    store(container, [report(fleet, 0, position(100, LAT + 0.01)),
                      report(fleet, 1, position(50, LAT + 0.02))])
    with container.uow() as uow:
        admin = principal_of(uow, "demo.admin")
        live = tracking.vehicle_live(uow, admin, fleet.vehicle)
        assert live.leading is not None and live.leading.device_id == fleet.devices[0]
    store(container, [report(fleet, 1, position(200, LAT + 0.02))])
    with container.uow() as uow:
        live = tracking.vehicle_live(uow, principal_of(uow, "demo.admin"), fleet.vehicle)
        assert live.leading is not None and live.leading.device_id == fleet.devices[1]
        assert live.status == "online" and len(live.devices) == 2


def test_positions_of_an_installed_device_carry_its_vehicle(container: Container,
                                                            fleet: Fleet) -> None:
    store(container, [report(fleet, 0, position(0)), report(fleet, 2, position(0))])
    with container.uow() as uow:
        rows = dict(uow.session.execute(select(StoredPosition.device_id,
                                               StoredPosition.vehicle_id)).all())
    assert rows == {fleet.devices[0]: fleet.vehicle, fleet.devices[2]: None}


def test_events_are_published_after_the_commit(container: Container, fleet: Fleet) -> None:
    heard: list[Event] = []
    container.bus.subscribe("*", heard.append)
    messages = [Login(imei(0), 1), position(0, ignition=True),
                Position(None, at(5), False, LAT, LON, attributes={"alarm": "powerCut"}),
                Status(None, None, {"alarm": "removing"})]
    with container.uow() as uow:
        result = store_batch(uow, reports_from(fleet.tenant_id, fleet.devices[0], at(6),
                                                messages))
        assert heard == []
        uow.commit()
    topics = [e.topic for e in heard]
    assert topics == ["position.received", "device.alarm", "device.alarm",
                      "device.status_changed"]
    received, cut, removed, online = heard
    assert received.payload["vehicle_id"] == fleet.vehicle
    assert [p["id"] for p in received.payload["positions"]] == result.stored
    assert cut.payload["alarms"] == ["powerCut"] and cut.payload["position_id"] is None
    assert removed.payload["alarms"] == ["removing"]
    assert online.payload == {"device_id": fleet.devices[0], "status": "online",
                              "previous": "unknown", "at": at(6).isoformat()}
    assert state(container, fleet.devices[0]).alarm == "removing"


def test_connection_changes_are_announced_once(container: Container, fleet: Fleet) -> None:
    device = fleet.devices[0]
    with container.uow() as uow:
        assert set_connection_status(uow.session, device, fleet.tenant_id, "online", at(0))
        assert set_connection_status(uow.session, device, fleet.tenant_id, "online",
                                     at(5)) is None
        off = set_connection_status(uow.session, device, fleet.tenant_id, "offline", at(9))
        uow.commit()
    assert off is not None and off.payload["previous"] == "online"
    live = state(container, device)
    assert (live.status, live.last_seen) == ("offline", at(5))


def test_devices_silent_too_long_go_offline(container: Container, fleet: Fleet) -> None:
    store(container, [report(fleet, 0, position(0)), report(fleet, 1, position(600))])
    with container.uow() as uow:
        notices = mark_silent_offline(uow.session, at(900), timedelta(minutes=10))
        uow.commit()
    assert [n.payload["device_id"] for n in notices] == [fleet.devices[0]]
    assert state(container, fleet.devices[0]).status == "offline"
    assert state(container, fleet.devices[1]).status == "online"


def test_reports_of_unknown_devices_are_dropped(container: Container, fleet: Fleet) -> None:
    stray = Report(fleet.tenant_id, "01ZZZZZZZZZZZZZZZZZZZZZZZZ", at(1), position(0))
    wrong_tenant = Report("01YYYYYYYYYYYYYYYYYYYYYYYY", fleet.devices[0], at(1), position(0))
    result = store(container, [stray, wrong_tenant])
    assert result.counts["unknown_device"] == 2 and stored(container) == []


@requires_postgres
def test_positions_of_two_months_land_in_two_partitions(container: Container,
                                                        fleet: Fleet) -> None:
    new_year = datetime(2026, 1, 1, tzinfo=UTC)
    store(container, [
        Report(fleet.tenant_id, fleet.devices[0], T0,
               Position(None, new_year - timedelta(minutes=1), True, LAT, LON)),
        Report(fleet.tenant_id, fleet.devices[0], T0,
               Position(None, new_year + timedelta(minutes=1), True, LAT, LON + 0.001)),
    ])
    with container.uow() as uow:
        homes = uow.session.execute(text(
            "SELECT tableoid::regclass::text, count(*) FROM positions GROUP BY 1 ORDER BY 1"
        )).all()
        kind = uow.session.scalar(text(
            "SELECT relkind FROM pg_class WHERE oid = 'positions'::regclass"))
        total = uow.session.scalar(select(func.count()).select_from(StoredPosition))
    assert kind == "p"
    assert [tuple(h) for h in homes] == [("telematics_parts.positions_2025_12", 1),
                                         ("telematics_parts.positions_2026_01", 1)]
    assert total == 2
