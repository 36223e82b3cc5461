"""A car in EAST-SH with a wired GT06 and a wireless JT/T 808 tracker, the health analyzers
and the alerts context wired to the bus, and reports fed through the real position store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from fengkong.alerts import escalation_service
from fengkong.alerts.models import Alarm, AlarmRecipient
from fengkong.bootstrap import Container
from fengkong.core.clock import FixedClock
from fengkong.demo import DemoWorld, principal_of
from fengkong.org.models import User
from fengkong.telematics import device_service, position_store
from fengkong.telematics.health import wiring as health_wiring
from fengkong.telematics.health.rules import HealthPolicy
from fengkong.telematics.health.service import HealthAnalyzers
from fengkong.telematics.position_store import Report
from fengkong.telematics.protocols.crc import luhn
from fengkong.telematics.protocols.position import Position, Status
from tests.integration.alerts_world import wire as wire_alerts

SHANGHAI = (31.2304, 121.4737)


def imei(n: int) -> str:
    body = f"86111100{n:06d}"
    return body + str(luhn(int(body)))


@dataclass
class Car:
    container: Container
    clock: FixedClock
    vehicle_id: str
    wired: str
    wireless: str
    analyzers: HealthAnalyzers
    loan_id: str = "LOAN-1"

    def fix(self, device: str, at: datetime, *, lat: float = SHANGHAI[0],
            lon: float = SHANGHAI[1], speed: float = 0.0, **attributes: Any) -> Report:
        return Report(self.tenant_id, device, at, Position(
            device, at, True, lat, lon, speed_kmh=speed, satellites=9, attributes=attributes))

    def status(self, device: str, at: datetime, **attributes: Any) -> Report:
        return Report(self.tenant_id, device, at, Status(device, at, attributes))

    def nofix(self, device: str, at: datetime, **attributes: Any) -> Report:
        return Report(self.tenant_id, device, at, Position(
            device, at, False, SHANGHAI[0], SHANGHAI[1], attributes=attributes))

    @property
    def tenant_id(self) -> str:
        with self.container.uow() as uow:
            return device_service.get_vehicle(uow, principal_of(uow, "demo.monitor"),
                                              self.vehicle_id).tenant_id

    def send(self, *reports: Report) -> None:
        with self.container.uow() as uow:
            position_store.store_batch(uow, list(reports))
            uow.commit()

    def alarms(self, type_: str | None = None) -> list[Alarm]:
        with self.container.uow() as uow:
            stmt = select(Alarm).order_by(Alarm.id)
            if type_ is not None:
                stmt = stmt.where(Alarm.type == type_)
            rows = list(uow.session.scalars(stmt))
            uow.session.expunge_all()
            return rows

    def inbox(self, alarm_id: str) -> dict[str, int]:
        with self.container.uow() as uow:
            return dict(uow.session.execute(select(User.username, AlarmRecipient.level).join(
                AlarmRecipient, AlarmRecipient.user_id == User.id).where(
                AlarmRecipient.alarm_id == alarm_id)).all())

    def check_routed_and_escalated(self, alarm: Alarm) -> None:
        """Routed to the HQ monitor (EAST-SH and EAST have none); a critical alarm goes to
        the Shanghai branch manager after 15 minutes unacknowledged, then to East."""
        assert self.inbox(alarm.id) == {"demo.monitor": 0}
        if alarm.severity != "critical":
            assert alarm.next_escalation_at is None
            return
        assert alarm.next_escalation_at == alarm.created_at + timedelta(minutes=15)
        self.clock.set(alarm.created_at + timedelta(minutes=15))
        escalation_service.tick(self.container.uow, self.clock)
        assert self.inbox(alarm.id) == {"demo.monitor": 0, "demo.sh": 1}
        self.clock.advance(minutes=15)
        escalation_service.tick(self.container.uow, self.clock)
        assert self.inbox(alarm.id) == {"demo.monitor": 0, "demo.sh": 1, "demo.east": 2}


def make_car(container: Container, world: DemoWorld, clock: FixedClock,
             policy: HealthPolicy = HealthPolicy()) -> Car:
    wire_alerts(container)
    analyzers = health_wiring.wire(container.bus, container.uow, policy)
    with container.uow() as uow:
        monitor = principal_of(uow, "demo.monitor")
        vehicle = device_service.create_vehicle(uow, monitor, vin="LSVAM4187C2184847",
                                                org_unit="EAST-SH", plate="沪A1F203",
                                                loan_id="LOAN-1")
        wired = device_service.register_device(uow, monitor, identifier=imei(1),
                                               protocol="gt06", org_unit="EAST-SH",
                                               kind="wired", sim_iccid="898600000000000001")
        wireless = device_service.register_device(uow, monitor, identifier="13800001111",
                                                  protocol="jt808", org_unit="EAST-SH",
                                                  kind="wireless")
        at = clock.now() - timedelta(days=1)
        for device in (wired, wireless):
            device_service.install(uow, monitor, vehicle.id,
                                   device_service.Fitting(device.id, installed_at=at))
        uow.commit()
    return Car(container, clock, vehicle.id, wired.id, wireless.id, analyzers)
