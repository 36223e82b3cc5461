"""Device health alarms built from positions and statuses through the real position store:
each checks the alarm, its evidence, its routing up the org tree and its escalation timer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fengkong.bootstrap import Container
from fengkong.core.clock import FixedClock
from fengkong.demo import DemoWorld
from tests.integration.health_world import Car, make_car


@pytest.fixture
def car(container: Container, world: DemoWorld, clock: FixedClock) -> Car:
    return make_car(container, world, clock)


def test_external_power_cut_on_the_wired_tracker(car: Car, clock: FixedClock) -> None:
    t0 = clock.now()
    car.send(car.fix(car.wired, t0, charging=True))
    car.send(car.fix(car.wired, t0 + timedelta(minutes=1), lat=31.2310, charging=False))
    (alarm,) = car.alarms()
    assert (alarm.type, alarm.severity, alarm.vehicle_id, alarm.device_id, alarm.loan_id) == (
        "powerCut", "critical", car.vehicle_id, car.wired, "LOAN-1")
    (position,) = alarm.evidence["positions"]
    assert position["latitude"] == 31.2310
    assert alarm.first_at == t0 + timedelta(minutes=1)  # the fix that proved it
    car.send(car.fix(car.wired, t0 + timedelta(minutes=2), lat=31.2311, charging=False))
    assert car.alarms()[0].count == 1  # a condition is raised once
    car.check_routed_and_escalated(alarm)
    car.send(car.fix(car.wired, t0 + timedelta(minutes=40), lat=31.2312, charging=True))
    assert car.alarms()[0].state == "resolved"


def test_a_power_cut_reported_by_the_tracker(car: Car, clock: FixedClock) -> None:
    car.send(car.status(car.wired, clock.now(), alarm="powerCut", charging=False))
    (alarm,) = car.alarms()
    assert alarm.type == "powerCut" and alarm.severity == "critical"
    car.check_routed_and_escalated(alarm)


def test_a_wireless_trackers_power_reading_is_no_power_cut(car: Car, clock: FixedClock) -> None:
    car.send(car.fix(car.wireless, clock.now(), charging=False))
    assert car.alarms() == []


def test_the_wired_tracker_silent_while_the_wireless_one_reports_is_removal(
        car: Car, clock: FixedClock) -> None:
    t0 = clock.now()
    car.send(car.fix(car.wired, t0, speed=0.0), car.fix(car.wireless, t0))
    clock.advance(minutes=11)
    car.send(car.status(car.wireless, clock.now()))
    assert car.analyzers.sweep() == 1
    assert car.analyzers.sweep() == 0  # raised once
    (alarm,) = car.alarms("removal")
    assert alarm.severity == "critical" and alarm.vehicle_id == car.vehicle_id
    assert alarm.evidence["wireless_device_id"] == car.wireless
    assert alarm.evidence["positions"][0]["fix_time"] == t0.isoformat()
    car.check_routed_and_escalated(alarm)


def test_both_trackers_silent_is_no_removal(car: Car, clock: FixedClock) -> None:
    car.send(car.fix(car.wired, clock.now()), car.fix(car.wireless, clock.now()))
    clock.advance(minutes=12)
    car.analyzers.sweep()
    assert car.alarms("removal") == []


def test_offline_while_last_seen_moving_is_critical(car: Car, clock: FixedClock) -> None:
    car.send(car.fix(car.wireless, clock.now(), speed=62.0))
    clock.advance(minutes=19)
    car.analyzers.sweep()
    assert car.alarms() == []
    clock.advance(minutes=2)
    car.analyzers.sweep()
    (alarm,) = car.alarms("offline")
    assert alarm.severity == "critical" and alarm.evidence["moving"] is True
    assert alarm.evidence["positions"][0]["speed_kmh"] == 62.0
    car.check_routed_and_escalated(alarm)
    car.send(car.fix(car.wireless, clock.now(), lat=31.3))
    assert car.alarms("offline")[0].state == "resolved"


def test_offline_while_parked_is_a_warning(car: Car, clock: FixedClock) -> None:
    car.send(car.fix(car.wireless, clock.now()))
    clock.advance(minutes=25)
    car.analyzers.sweep()
    (alarm,) = car.alarms("offline")
    assert alarm.severity == "warning" and alarm.evidence["moving"] is False
    car.check_routed_and_escalated(alarm)


def test_low_battery(car: Car, clock: FixedClock) -> None:
    car.send(car.status(car.wireless, clock.now(), battery_level=12))
    (alarm,) = car.alarms()
    assert alarm.type == "lowBattery" and alarm.evidence["battery_level"] == 12
    assert alarm.severity == "info"  # the default rule
    car.check_routed_and_escalated(alarm)
    car.send(car.status(car.wireless, clock.now() + timedelta(hours=1), battery_level=35))
    assert car.alarms()[0].state == "new"  # hysteresis: not yet recovered
    car.send(car.status(car.wireless, clock.now() + timedelta(hours=2), battery_level=80))
    assert car.alarms()[0].state == "resolved"


def test_no_fix_while_the_cells_change_is_jamming(car: Car, clock: FixedClock) -> None:
    t0 = clock.now()
    car.send(car.fix(car.wired, t0 - timedelta(minutes=1), charging=True))
    car.send(*[car.nofix(car.wired, t0 + timedelta(minutes=i), mcc=460, mnc=0, lac=6311,
                         cid=1000 + i, charging=True) for i in range(3)])
    (alarm,) = car.alarms()
    assert alarm.type == "jamming" and alarm.severity == "critical"
    assert alarm.evidence["cells"] == ["460-0-6311-1000", "460-0-6311-1001", "460-0-6311-1002"]
    car.check_routed_and_escalated(alarm)
    car.send(car.fix(car.wired, t0 + timedelta(minutes=50), charging=True))
    assert car.alarms()[0].state == "resolved"


def test_no_fix_in_one_cell_is_not_jamming(car: Car, clock: FixedClock) -> None:
    car.send(*[car.nofix(car.wired, clock.now() + timedelta(minutes=i), mcc=460, mnc=0,
                         lac=6311, cid=1000, charging=True) for i in range(5)])
    assert car.alarms() == []


def test_gps_antenna_cut_and_tampering_reported_by_the_tracker(car: Car,
                                                                clock: FixedClock) -> None:
    car.send(car.fix(car.wireless, clock.now(), alarm="gpsAntennaCut,tampering"))
    alarms = {a.type: a for a in car.alarms()}
    assert set(alarms) == {"gpsAntennaCut", "tampering"}
    assert alarms["tampering"].evidence["device_alarm"] == "tampering"
    car.check_routed_and_escalated(alarms["tampering"])


def test_the_same_fix_with_the_engine_on_is_stuck_gps(car: Car, clock: FixedClock) -> None:
    t0 = clock.now()
    car.send(*[car.fix(car.wireless, t0 + timedelta(minutes=5 * i), ignition=True)
               for i in range(4)])
    assert car.alarms() == []  # 15 minutes: not yet
    car.send(*[car.fix(car.wireless, t0 + timedelta(minutes=5 * i), ignition=True)
               for i in range(4, 6)])
    (alarm,) = car.alarms()
    assert alarm.type == "stuckGps" and alarm.evidence["fixes"] >= 5
    car.check_routed_and_escalated(alarm)


def test_a_parked_car_repeating_its_fix_is_not_stuck(car: Car, clock: FixedClock) -> None:
    car.send(*[car.fix(car.wireless, clock.now() + timedelta(minutes=10 * i), ignition=False)
               for i in range(8)])
    assert car.alarms() == []


def test_a_new_iccid_is_a_sim_change(car: Car, clock: FixedClock) -> None:
    car.send(car.status(car.wired, clock.now(), iccid="898600000000000001"))
    assert car.alarms() == []
    car.send(car.status(car.wired, clock.now() + timedelta(minutes=1),
                        iccid="898600000000009999"))
    (alarm,) = car.alarms()
    assert alarm.type == "simChanged" and alarm.evidence["previous_iccid"] == (
        "898600000000000001")
    car.check_routed_and_escalated(alarm)


def test_out_of_order_and_re_uploaded_history_raise_nothing(car: Car,
                                                            clock: FixedClock) -> None:
    t0 = clock.now()
    car.send(car.fix(car.wired, t0, charging=True, battery_level=90))
    # older than the live fix: stored as history
    car.send(car.fix(car.wired, t0 - timedelta(hours=3), lat=31.1, charging=False,
                     battery_level=5, alarm="powerCut"))
    # flagged re-upload by the tracker
    car.send(car.fix(car.wired, t0 + timedelta(minutes=1), lat=31.2305, charging=False,
                     archived=True, alarm="removing"))
    car.send(car.status(car.wired, t0 - timedelta(hours=2), alarm="tampering",
                        battery_level=3))
    assert car.alarms() == []


def test_a_sweep_in_another_process_and_the_writer_agree_on_what_is_raised(
        car: Car, container: Container, clock: FixedClock) -> None:
    """`fengkong worker` judges the positions, `fengkong serve` sweeps: the writer reads
    the raised conditions again once its cache expires (here at once), so it clears the
    offline alarm the other process raised."""
    from fengkong.telematics.health.service import HealthAnalyzers

    car.analyzers.owner_ttl_s = 0.0
    serve = HealthAnalyzers(container.uow)
    car.send(car.fix(car.wireless, clock.now()))
    clock.advance(minutes=25)
    assert serve.sweep() == 1
    car.send(car.fix(car.wireless, clock.now(), lat=31.3))
    assert car.alarms("offline")[0].state == "resolved"
    clock.advance(minutes=25)
    assert serve.sweep() == 1  # silent again: raised again
    assert [a.state for a in car.alarms("offline")] == ["resolved", "new"]


def test_ordinary_fixes_are_remembered_and_written_by_the_sweep(
        car: Car, container: Container, clock: FixedClock) -> None:
    from fengkong.telematics.health.models import DeviceHealth

    car.send(car.fix(car.wireless, clock.now(), charging=True))
    with container.uow() as uow:
        assert uow.session.get(DeviceHealth, car.wireless) is None  # nothing worth a write
    car.analyzers.sweep()
    with container.uow() as uow:
        row = uow.session.get(DeviceHealth, car.wireless)
        assert row is not None and row.judged_at == clock.now()
