"""Device health on the bus: which events the analyzers judge."""

from __future__ import annotations

from collections.abc import Callable

from fengkong.core.bus import EventBus
from fengkong.core.uow import UnitOfWork
from fengkong.telematics.health.rules import HealthPolicy
from fengkong.telematics.health.service import HealthAnalyzers


def wire(bus: EventBus, new_uow: Callable[[], UnitOfWork],
         policy: HealthPolicy = HealthPolicy()) -> HealthAnalyzers:
    analyzers = HealthAnalyzers(new_uow, policy)
    bus.subscribe("position.received", analyzers.on_positions)
    bus.subscribe("device.readings", analyzers.on_readings)
    bus.subscribe("device.alarm", analyzers.on_device_alarm)
    bus.subscribe("device.status_changed", analyzers.on_status_changed)
    return analyzers
