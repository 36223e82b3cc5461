"""What the device-command tests share: a fleet of two installed trackers (GT06 and
JT/T 808) on cars securing loans and a spare tracker, use cases run as demo users, the
dispatcher's fake connection, and readers of a command's row and audit trail."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from fengkong.bootstrap import Container
from fengkong.core.models import AuditRecord
from fengkong.demo import DemoWorld, principal_of
from fengkong.loans import loan_service, product_service
from fengkong.loans.demo_data import CAR_LOAN
from fengkong.telematics import commands, device_service
from fengkong.telematics.command_models import DeviceCommand
from fengkong.telematics.command_rules import Kind, Request
from fengkong.telematics.dispatch import CommandDispatcher, TickReport
from fengkong.telematics.position_store import Report, store_positions
from fengkong.telematics.protocols import jt808
from fengkong.telematics.protocols.crc import luhn
from fengkong.telematics.protocols.position import Position

NOW = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
IMEI_BODY = "86471700"
PHONE = "13512345678"


def imei(n: int) -> str:
    body = f"{IMEI_BODY}{n:06d}"
    return body + str(luhn(int(body)))


@dataclass
class Fleet:
    tenant_id: str
    loan: str
    other_loan: str
    unbooked_loan: str
    gt06: str          # installed on a car securing `loan`
    jt808: str         # installed on a car securing no recorded loan
    spare: str         # not installed


def make_fleet(container: Container, world: DemoWorld) -> Fleet:
    with container.uow() as uow:
        admin = principal_of(uow, "demo.admin")
        product = product_service.create_product(uow, admin, code="CAR", name="Car",
                                                 params=CAR_LOAN)

        def loan(disburse: bool = True) -> str:
            booked = loan_service.book(uow, admin, loan_service.Booking(
                product_id=product.id, borrower_ref="B-1", org_unit_id=world.units["EAST-SH"],
                loan={"principal": "100000.00", "term": 12, "annual_rate": "6",
                      "disbursement_date": "2025-10-05"}, approved_on=date(2025, 10, 1)))
            if disburse:
                loan_service.disburse(uow, admin, booked.id, on=date(2025, 10, 5),
                                      channel="bank")
            return booked.id

        loans = loan(), loan(), loan(disburse=False)

        def fitted(identifier: str, protocol: str, vin: str, loan_id: str | None) -> str:
            device = device_service.register_device(uow, admin, identifier=identifier,
                                                    protocol=protocol, org_unit="EAST-SH")
            car = device_service.create_vehicle(uow, admin, vin=vin, org_unit="EAST-SH",
                                                loan_id=loan_id)
            device_service.install(uow, admin, car.id, device_service.Fitting(device.id))
            return device.id

        gt06_id = fitted(imei(1), "gt06", "LSVAM4187C2184847", loans[0])
        jt808_id = fitted(PHONE, "jt808", "JHMCM56557C404453", None)
        spare = device_service.register_device(uow, admin, identifier=imei(2),
                                               protocol="gt06", org_unit="EAST-SH").id
        uow.commit()
        return Fleet(world.tenant_id, loans[0], loans[1], loans[2], gt06_id, jt808_id, spare)


def as_user(container: Container, username: str, action: Any, *args: Any,
            **kwargs: Any) -> DeviceCommand:
    """Run one use case as `username` and commit it."""
    with container.uow() as uow:
        result = action(uow, principal_of(uow, username), *args, **kwargs)
        uow.commit()
        uow.session.expunge(result)
        return result


def stop(fleet: Fleet, loan: str | None = None) -> Request:
    return Request(Kind.ENGINE_STOP, reason="four instalments unpaid",
                   loan_id=loan or fleet.loan)


def fix(container: Container, fleet: Fleet, device_id: str, at: datetime,
        speed: float) -> None:
    """The device reports a valid fix taken at `at`, driving at `speed`."""
    with container.uow() as uow:
        store_positions(uow.session, [Report(fleet.tenant_id, device_id, at, Position(
            None, at, True, 31.2304, 121.4737, speed_kmh=speed, course=0.0))])
        uow.commit()


def command(container: Container, command_id: str) -> DeviceCommand:
    with container.uow() as uow:
        row = uow.session.get(DeviceCommand, command_id)
        assert row is not None
        uow.session.expunge(row)
        return row


def trail(container: Container, command_id: str) -> list[tuple[str, str | None]]:
    with container.uow() as uow:
        return [(r.action, r.actor_id) for r in uow.session.scalars(
            select(AuditRecord).where(AuditRecord.entity_id == command_id)
            .order_by(AuditRecord.created_at, AuditRecord.seq))]


def approved_stop(container: Container, fleet: Fleet) -> str:
    asked = as_user(container, "demo.monitor", commands.request, fleet.gt06, stop(fleet))
    as_user(container, "demo.hq", commands.approve, asked.id)
    return asked.id


class FakeLink:
    """The gateway's `send` and `is_connected`, recording what was written."""

    def __init__(self, *connected: str, fail: bool = False) -> None:
        self.connected = set(connected)
        self.fail = fail
        self.written: list[tuple[str, bytes]] = []

    async def send(self, device_id: str, payload: bytes) -> bool:
        if self.fail or device_id not in self.connected:
            return False
        self.written.append((device_id, payload))
        return True

    def is_connected(self, device_id: str) -> bool:
        return device_id in self.connected


def tick(dispatcher: CommandDispatcher, now: datetime | None = None) -> TickReport:
    return asyncio.run(dispatcher.tick(now))


def jt808_wire(payload: bytes) -> bytes:
    """A JT/T 808 frame as a device's framer cuts it."""
    frames = jt808.frame(payload).frames
    assert len(frames) == 1
    return frames[0]
