"""Helpers of the alerts tests: the alerts context wired to the container's bus, and
findings published the way analyzers publish them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from fengkong.alerts import wiring
from fengkong.alerts.models import Alarm
from fengkong.bootstrap import Container
from fengkong.demo import DemoWorld


def wire(container: Container, **kwargs: Any) -> wiring.Notifier:
    return wiring.wire(container.bus, container.uow, background=False, **kwargs)


def publish(container: Container, world: DemoWorld, *, type_: str = "powerCut",
            unit: str = "EAST-SH", key: str | None = None, state: str = "raised",
            severity: str = "critical", at: datetime | None = None,
            vehicle_id: str | None = "V-1", text: str = "external power lost") -> None:
    with container.uow() as uow:
        uow.emit("vehicle.alarm", world.tenant_id, type=type_, vehicle_id=vehicle_id,
                 device_id="D-1", loan_id=None, org_unit_id=world.units[unit],
                 severity=severity, occurred_at=(at or container.clock.now()).isoformat(),
                 key=key or f"{type_}:D-1", state=state,
                 evidence={"text": text, "positions": []})
        uow.commit()


def alarms(container: Container) -> list[Alarm]:
    with container.uow() as uow:
        rows = list(uow.session.scalars(select(Alarm).order_by(Alarm.id)))
        uow.session.expunge_all()  # readable after the unit of work closes
        return rows
