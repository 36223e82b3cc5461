"""The composition root's reactions, as `fengkong serve` wires them: a tracker's power cut
becomes a routed alarm, and the scheduler's ticks escalate it and sweep silent trackers."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from fengkong.alerts.models import Alarm
from fengkong.alerts.wiring import AlarmScheduler
from fengkong.bootstrap import Container, wire_reactions
from fengkong.core.clock import FixedClock
from fengkong.demo import DemoWorld, principal_of
from fengkong.telematics import device_service, position_store
from fengkong.telematics.position_store import Report
from fengkong.telematics.protocols.position import Position
from tests.integration.health_world import imei


def test_serve_reactions_turn_reports_into_escalated_alarms(container: Container,
                                                            world: DemoWorld,
                                                            clock: FixedClock) -> None:
    reactions = wire_reactions(container)
    try:
        with container.uow() as uow:
            monitor = principal_of(uow, "demo.monitor")
            car = device_service.create_vehicle(uow, monitor, vin="LSVAM4187C2184847",
                                                org_unit="EAST-SH")
            device = device_service.register_device(uow, monitor, identifier=imei(40),
                                                    protocol="gt06", org_unit="EAST-SH",
                                                    kind="wired")
            device_service.install(uow, monitor, car.id, device_service.Fitting(
                device.id, installed_at=clock.now() - timedelta(hours=1)))
            uow.commit()
        at = clock.now()
        with container.uow() as uow:
            position_store.store_batch(uow, [Report(world.tenant_id, device.id, at, Position(
                device.id, at, True, 31.23, 121.47, speed_kmh=30.0,
                attributes={"charging": False, "alarm": "powerCut"}))])
            uow.commit()
        scheduler = AlarmScheduler(reactions.ticks)
        clock.advance(minutes=21)
        scheduler.run_once()
        with container.uow() as uow:
            alarms = {a.type: a for a in uow.session.scalars(select(Alarm))}
            uow.session.expunge_all()
        assert set(alarms) == {"powerCut", "offline"}
        assert alarms["powerCut"].escalation_level == 1  # 21 minutes unacknowledged
        assert alarms["offline"].severity == "critical"  # last seen at 30 km/h
        assert getattr(container.bus, "dead_letters", []) == []
    finally:
        reactions.close()
