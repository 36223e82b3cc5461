"""The composition root: builds the engine, the bus, the clock and the password hasher once,
and hands out units of work. Nothing connects to anything at import time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from fengkong.core.bus import EventBus, make_bus
from fengkong.core.clock import Clock, SystemClock
from fengkong.core.config import Settings, ensure_secret_key, load_settings
from fengkong.core.db import make_engine
from fengkong.core.uow import RequestContext, UnitOfWork
from fengkong.org.passwords import make_hasher
from fengkong.schema import metadata as _complete_metadata  # noqa: F401  all contexts loaded


@dataclass
class Container:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    bus: EventBus
    clock: Clock
    hasher: Any

    def uow(self, context: RequestContext | None = None) -> UnitOfWork:
        return UnitOfWork(self.session_factory, self.bus, self.clock, context)

    def close(self) -> None:
        self.bus.close()
        self.engine.dispose()


def bootstrap(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    bus: EventBus | None = None,
    engine: Engine | None = None,
) -> Container:
    settings = ensure_secret_key(settings or load_settings())
    if engine is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.resolved_database_url)
    return Container(
        settings=settings,
        engine=engine,
        session_factory=sessionmaker(engine, expire_on_commit=False),
        bus=bus or make_bus(settings.bus_url),
        clock=clock or SystemClock(),
        hasher=make_hasher(settings.password_hash_cost),
    )


@dataclass
class Reactions:
    """The handlers that react to domain events (alarms, device health, installation checks)
    and the periodic ticks that go with them."""

    ticks: list[Any]
    close: Any


def wire_reactions(container: Container, *, demo: bool = False) -> Reactions:
    """Subscribe the alerts context and the device-health analyzers to the container's bus
    (in every process that publishes positions or serves the API)."""
    from fengkong.alerts import wiring as alerts
    from fengkong.telematics.health import installation_service
    from fengkong.telematics.health import wiring as health
    from fengkong.telematics.health.rules import HealthPolicy

    notifier = alerts.wire(container.bus, container.uow)
    analyzers = health.wire(container.bus, container.uow,
                            HealthPolicy.demo() if demo else HealthPolicy())
    checks = installation_service.CheckWatcher(container.uow)
    for topic in ("position.received", "device.readings", "device.status_changed"):
        container.bus.subscribe(topic, checks)
    container.bus.subscribe("installation_check.started", checks.on_check_started)

    def overdue_checks() -> int:
        with container.uow() as uow:
            judged = installation_service.judge_overdue(uow)
            uow.commit()
        return judged

    ticks = [lambda: alerts.alerts_tick(container.uow, container.clock), analyzers.sweep,
             overdue_checks]
    return Reactions(ticks=ticks, close=notifier.close)
